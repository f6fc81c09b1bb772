#!/usr/bin/env bash
# Transcription throughput, side by side on the same audio, the same Whisper base
# model and this machine's cores: callqa (whisper.cpp through whisper-rs; bf16, f16
# and q8_0 weights; VAD-packed speech or whole channels) and faster-whisper
# (CTranslate2, int8, beam_size=1, cpu_threads=2; VAD off and on, and its
# BatchedInferencePipeline with batch 8, which always uses its VAD).
#
#   bench/asr.sh            both workloads below
#   bench/asr.sh calls [DIR] the calls of DIR/manifest.csv (default samples/calls) as
#                           callqa scores them: stereo calls per channel
#                           (faster-whisper gets the same channel files), mono
#                           calls as one
#   bench/asr.sh clip [WAV] one long mono clip (default: the five calls mixed to mono
#                           and joined, about 200 s of Mandarin)
#
# Needs sox; fetches the models it lacks (`callqa model fetch`) and makes its own
# virtualenv for faster-whisper in bench/.venv (pip install faster-whisper).
# Prints per engine and setting: wall seconds (model load included), audio seconds
# per wall second, peak RSS, and the rule phrases its transcripts contain.
# For a call set with a timeline.tsv (scripts/make_dev_calls.py) it also prints each
# setting's per-speaker CER on the stereo calls.
# ENGINES=q8_0,fw-vad,fw-batched (any of bf16 f16 q8_0 whole fw fw-vad fw-batched)
# runs only those settings.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
what=${1:-all}

cargo build --release --quiet
ct2=models/.cache/whisper-base-ct2
for q in bf16 f16 q8_0; do
    name=ggml-base-$q.bin
    [ "$q" = f16 ] && name=ggml-base.bin
    [ -f "models/$name" ] || target/release/callqa model fetch --dir models --quantize "$q"
done
if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet faster-whisper
fi

cat > "$work/fw.py" <<'PY'
# faster-whisper over the given files; one transcript JSON with every segment.
import json, sys
from faster_whisper import WhisperModel
# argv[2]: "0" no VAD, "1" vad_filter, "batched" BatchedInferencePipeline (batch 8).
from faster_whisper import BatchedInferencePipeline
m = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=2)
batched = BatchedInferencePipeline(model=m) if sys.argv[2] == "batched" else None
out = []
for f in sys.argv[3:]:
    if batched:
        segs, _ = batched.transcribe(f, language="zh", beam_size=1, batch_size=8)
    else:
        segs, _ = m.transcribe(f, language="zh", beam_size=1, vad_filter=sys.argv[2] == "1")
    out += [{"speaker": "unknown", "start_s": s.start, "end_s": s.end, "text": s.text, "file": f} for s in segs]
print(json.dumps({"interaction_id": "fw", "segments": out}, ensure_ascii=False))
PY

cat > "$work/turns.py" <<'PY'
# Every turn of every callqa result as one transcript JSON.
import json, sys
segs = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    segs += [{"speaker": "unknown", "start_s": t["start_s"], "end_s": t["end_s"], "text": t["text"]} for t in r.get("turns", [])]
json.dump({"interaction_id": "callqa", "segments": segs}, open(sys.argv[2], "w"), ensure_ascii=False)
PY

# Per-speaker CER against DIR/timeline.tsv (a set made by scripts/make_dev_calls.py),
# with bench/calls_accuracy.py's normalization (Traditional folded to Simplified): callqa's turns by their speaker,
# faster-whisper's segments by the channel file they came from.
cat > "$work/cer.py" <<'PY'
import csv, importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("acc", "bench/calls_accuracy.py")
acc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(acc)
set_dir, kind, path = sys.argv[1:4]
layout = {r["call_id"]: r["channel_layout"] for r in csv.DictReader(open(os.path.join(set_dir, "manifest.csv")))}
ref = {}
for r in csv.DictReader(open(os.path.join(set_dir, "timeline.tsv")), delimiter="\t"):
    ref.setdefault((r["call_id"], r["speaker"]), []).append(r["text"])
hyp = {}
if kind == "callqa":
    for line in open(path):
        r = json.loads(line)
        for t in sorted(r["turns"], key=lambda t: t["start_s"]):
            hyp.setdefault((r["interaction_id"], t["speaker"]), []).append(t["text"])
else:
    for s in json.load(open(path))["segments"]:
        call, ch = os.path.basename(s["file"])[:-4].rsplit("-", 1)
        agent_ch = "2" if layout.get(call) == "agent-right" else "1"
        hyp.setdefault((call, "agent" if ch == agent_ch else "customer"), []).append(s["text"])
e = n = 0
for (call, who), texts in ref.items():
    if layout.get(call, "mono") == "mono":
        continue
    r_ = acc.norm("".join(texts), True)
    e += acc.edit_distance(r_, acc.norm("".join(hyp.get((call, who), [])), True))
    n += len(r_)
print(f"{'':34s} per-speaker CER {e / max(n, 1):.3f} ({n} reference characters)")
PY

# Which rule phrases a transcript holds, counted by callqa's own matcher (so
# Traditional/Simplified and punctuation are folded the same way for both engines).
report() { # name seconds rss_kb audio_s transcript.json
    local out="$work/phr-$RANDOM"
    target/release/callqa scan "$5" --rules bench/phrases.toml --out "$out" >/dev/null 2>&1 || true
    python3 - "$1" "$2" "$3" "$4" "$out/results.jsonl" <<'PY'
import json, sys
name, secs, rss, audio, res = sys.argv[1:6]
r = json.loads(open(res).readline())
hits = {v["rule_id"]: len(v["evidence"]) for v in r["violations"]}
found = " ".join(f"{k}x{n}" for k, n in sorted(hits.items()))
print(f"{name:34s} wall {float(secs):6.1f} s  {float(audio)/float(secs):5.2f} audio-s/s  peak {int(rss)/1024:5.0f} MiB  heard: {found}")
PY
}

# Whether ENGINES (unset: all) names this setting.
wanted() { [ -z "${ENGINES:-}" ] || [[ ",$ENGINES," == *",$1,"* ]]; }

run_callqa() { # key name audio_s model asr_input scan-args...
    wanted "$1" || return 0
    local name=$2 audio=$3 model=$4 input=$5
    shift 5
    local out="$work/out-$RANDOM"
    /usr/bin/time -f "%e %M" -o "$work/time" target/release/callqa scan "$@" \
        --rules rules --no-redact --model "$model" --asr-input "$input" --out "$out" 2>/dev/null || true
    read -r secs rss < "$work/time"
    python3 "$work/turns.py" "$out/results.jsonl" "$out.json"
    report "$name" "$secs" "$rss" "$audio" "$out.json"
    if [ -n "${cer_set:-}" ]; then python3 "$work/cer.py" "$cer_set" callqa "$out/results.jsonl"; fi
}

run_fw() { # key name audio_s vad files...
    wanted "$1" || return 0
    local name=$2 audio=$3 vad=$4
    shift 4
    /usr/bin/time -f "%e %M" -o "$work/time" bench/.venv/bin/python "$work/fw.py" "$ct2" "$vad" "$@" > "$work/fw.json"
    read -r secs rss < "$work/time"
    report "$name" "$secs" "$rss" "$audio" "$work/fw.json"
    if [ -n "${cer_set:-}" ]; then python3 "$work/cer.py" "$cer_set" fw "$work/fw.json"; fi
}

engines() { # audio_s fw-files -- callqa scan-args
    local audio=$1
    shift
    local files=()
    while [ "$1" != -- ]; do files+=("$1"); shift; done
    shift
    run_callqa bf16 "callqa bf16, speech (VAD)" "$audio" models/ggml-base-bf16.bin speech "$@"
    run_callqa f16 "callqa f16, speech (VAD)" "$audio" models/ggml-base.bin speech "$@"
    run_callqa q8_0 "callqa q8_0, speech (VAD)" "$audio" models/ggml-base-q8_0.bin speech "$@"
    run_callqa whole "callqa bf16, whole channels" "$audio" models/ggml-base-bf16.bin whole "$@"
    run_fw fw "faster-whisper int8" "$audio" 0 "${files[@]}"
    run_fw fw-vad "faster-whisper int8, vad_filter" "$audio" 1 "${files[@]}"
    run_fw fw-batched "faster-whisper int8, batched 8" "$audio" batched "${files[@]}"
}

if [ "$what" = all ] || [ "$what" = calls ]; then
    # The channels callqa transcribes, as files for faster-whisper: left/right of
    # each stereo call, the mono call as it is; all at 16 kHz.
    set_dir=${2:-samples/calls}
    cer_set=
    [ -f "$set_dir/timeline.tsv" ] && cer_set=$set_dir
    files=()
    audio=0
    while IFS=, read -r id file _ _ layout; do
        [ "$id" = call_id ] && continue
        src=$set_dir/$file
        if [ "$layout" = mono ]; then
            sox -D "$src" -r 16000 -c 1 -b 16 -e signed-integer "$work/$id.wav"
            files+=("$work/$id.wav")
        else
            for ch in 1 2; do
                sox -D "$src" -r 16000 -b 16 -e signed-integer "$work/$id-$ch.wav" remix "$ch"
                files+=("$work/$id-$ch.wav")
            done
        fi
    done < "$set_dir/manifest.csv"
    for f in "${files[@]}"; do audio=$(python3 -c "print($audio + $(soxi -D "$f"))"); done
    echo "== calls: $set_dir, ${#files[@]} channels, ${audio} channel-seconds, cores: $(nproc)"
    engines "$audio" "${files[@]}" -- "$set_dir/manifest.csv"
fi

if [ "$what" = all ] || [ "$what" = clip ]; then
    clip=${2:-}
    if [ -z "$clip" ]; then
        parts=()
        for f in samples/calls/call-00{1,2,3,4,5}.wav; do
            sox -D "$f" -r 16000 -c 1 -b 16 -e signed-integer "$work/mono-$(basename "$f")" remix - 2>/dev/null \
                || sox -D "$f" -r 16000 -c 1 -b 16 -e signed-integer "$work/mono-$(basename "$f")"
            parts+=("$work/mono-$(basename "$f")")
        done
        sox "${parts[@]}" "$work/clip.wav"
        clip="$work/clip.wav"
    fi
    audio=$(soxi -D "$clip")
    echo "== clip: $clip (${audio} s mono), cores: $(nproc)"
    engines "$audio" "$clip" -- "$clip" --channels mono
fi
