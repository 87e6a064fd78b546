#!/usr/bin/env bash
# attnscope: install what is missing, build, and run every test through ctest.
#   1. Debian packages (scripts/install-deps.sh; only missing ones are installed)
#   2. Release build of everything (app, CLI, GUI, tests) in build/, with ccache
#   3. ctest: unit, parser, property, kernel, real-model (SmolLM2 fetched into ~/.cache/attnscope), CLI, GUI
#   4. AddressSanitizer + UBSan build of core, the parser/tokenizer/property tests and the fuzz-corpus replays
#      in build-asan/, ctest
# Environment: ATTNSCOPE_JOBS (default: number of cores), ATTNSCOPE_OFFLINE=1 to skip fetching models
# (real-model tests then skip), ATTNSCOPE_SKIP_ASAN=1 to skip step 4 locally.
set -euo pipefail
cd "$(dirname "$0")"
JOBS="${ATTNSCOPE_JOBS:-$(nproc)}"

./scripts/install-deps.sh

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths relative to the checkout, so a fresh clone elsewhere (CI) still hits the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

echo "== build (Release) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_NATIVE=ON >/dev/null
cmake --build build -j "$JOBS"

echo "== tests =="
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build -j "$JOBS" --output-on-failure --timeout 900

if [ "${ATTNSCOPE_SKIP_ASAN:-0}" != "1" ]; then
  echo "== parser, tokenizer, property tests and fuzz-corpus replay under AddressSanitizer + UBSan =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNSCOPE_PARSERS_ONLY=ON \
        "-DATTNSCOPE_SANITIZE=address;undefined" >/dev/null
  cmake --build build-asan -j "$JOBS"
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1" UBSAN_OPTIONS="print_stacktrace=1" \
    ctest --test-dir build-asan -j "$JOBS" --output-on-failure --timeout 900
fi
