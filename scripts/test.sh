#!/usr/bin/env bash
# The project's test command (README "Quick start", run by .ci/run): sets the
# machine up, then runs formatting and lint checks and every test, with the real
# Whisper model required (a missing model fails the end-to-end tests, never skips).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CALLQA_REQUIRE_MODEL=1
# The workbench's browser test needs chromium and chromedriver (setup installs them).
export CALLQA_REQUIRE_BROWSER=1
# The PostgreSQL export is tested against a throwaway server (setup installs postgresql).
export CALLQA_REQUIRE_POSTGRES=1
cargo fmt --all -- --check
scripts/check_layers.sh
# --release shares the build (and the whisper.cpp compile) with the tests below.
cargo clippy --release --all-targets -- -D warnings
# The API docs build without broken links.
RUSTDOCFLAGS="-D warnings" cargo doc --release --no-deps --quiet
# Every rule's example sentences behave as written.
cargo run --release --quiet -- rules test rules
cargo test --release
