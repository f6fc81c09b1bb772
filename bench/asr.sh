#!/usr/bin/env bash
# Transcription throughput, side by side on the same audio and the same Whisper base
# model on this machine: callqa (whisper.cpp through whisper-rs; f16 and q8_0) and
# faster-whisper (CTranslate2, int8, beam_size=1, cpu_threads=2).
#
#   bench/asr.sh [CLIP.wav]
#
# Default clip: the five sample calls mixed to mono and joined (about 200 s of
# Mandarin). Needs the models from `callqa model fetch` and `--quantize q8_0`; makes
# its own virtualenv for faster-whisper in bench/.venv (pip install faster-whisper).
# Prints, per engine: wall seconds, audio seconds per wall second, peak RSS, and which
# rule phrases each transcript contains.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

clip=${1:-}
if [ -z "$clip" ]; then
    parts=()
    for f in samples/calls/call-00{1,2,3,4,5}.wav; do
        sox "$f" -r 16000 -c 1 -b 16 -e signed-integer "$work/$(basename "$f")" remix - 2>/dev/null || sox "$f" -r 16000 -c 1 -b 16 "$work/$(basename "$f")"
        parts+=("$work/$(basename "$f")")
    done
    sox "${parts[@]}" "$work/clip.wav"
    clip="$work/clip.wav"
fi
audio_s=$(soxi -D "$clip")
echo "clip: $clip (${audio_s} s), cores: $(nproc)"

cargo build --release --quiet
ct2=models/.cache/whisper-base-ct2
[ -f models/ggml-base.bin ] || target/release/callqa model fetch --dir models
[ -f models/ggml-base-q8_0.bin ] || target/release/callqa model fetch --dir models --quantize q8_0

if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet faster-whisper
fi

# Which rule phrases a transcript holds, counted by callqa's own matcher (so
# Traditional/Simplified and punctuation are folded the same way for both engines).
report() { # name seconds rss_kb transcript.json
    local out="$work/phr-$RANDOM"
    target/release/callqa scan "$4" --rules bench/phrases.toml --out "$out" >/dev/null 2>&1 || true
    python3 - "$1" "$2" "$3" "$audio_s" "$out/results.jsonl" <<'PY'
import json, sys
name, secs, rss, audio, res = sys.argv[1:6]
r = json.loads(open(res).readline())
hits = {v["rule_id"]: len(v["evidence"]) for v in r["violations"]}
found = " ".join(f"{k}x{n}" for k, n in sorted(hits.items()))
print(f"{name:26s} wall {float(secs):6.1f} s  {float(audio)/float(secs):5.2f} audio-s/s  peak {int(rss)/1024:5.0f} MiB  heard: {found}")
PY
}

run_callqa() { # name model
    local out="$work/out-$RANDOM"
    /usr/bin/time -f "%e %M" -o "$work/time" target/release/callqa scan "$clip" --channels mono --model "$2" --out "$out" --jobs 1 2>/dev/null || true
    read -r secs rss < "$work/time"
    python3 -c "
import json, sys
r = json.loads(open(sys.argv[1]).readline())
segs = [{'speaker': 'unknown', 'start_s': t['start_s'], 'end_s': t['end_s'], 'text': t['text']} for t in r['turns']]
json.dump({'interaction_id': 'clip', 'segments': segs}, open(sys.argv[2], 'w'), ensure_ascii=False)" "$out/results.jsonl" "$out.json"
    report "$1" "$secs" "$rss" "$out.json"
}

run_fw() { # name vad
    cat > "$work/fw.py" <<'PY'
import sys
from faster_whisper import WhisperModel
m = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=2)
segs, _ = m.transcribe(sys.argv[2], language="zh", beam_size=1, vad_filter=sys.argv[3] == "1")
import json
out = [{"speaker": "unknown", "start_s": s.start, "end_s": s.end, "text": s.text} for s in segs]
print(json.dumps({"interaction_id": "clip", "segments": out}, ensure_ascii=False))
PY
    /usr/bin/time -f "%e %M" -o "$work/time" bench/.venv/bin/python "$work/fw.py" "$ct2" "$clip" "$2" > "$work/fw-$2.json"
    read -r secs rss < "$work/time"
    report "$1" "$secs" "$rss" "$work/fw-$2.json"
}

run_callqa "callqa f16 (VAD)" models/ggml-base.bin
run_callqa "callqa q8_0 (VAD)" models/ggml-base-q8_0.bin
run_fw "faster-whisper int8" 0
run_fw "faster-whisper int8 +VAD" 1
