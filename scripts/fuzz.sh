#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for SECONDS each, starting from its committed corpus, under
# AddressSanitizer + UBSan, then merges the inputs that reached new coverage edges — a minimal set chosen by
# libFuzzer's -merge — into tests/fuzz/corpus/TARGET, which ctest replays in every build (docs/SECURITY.md,
# docs/DEVELOPING.md).
#
#   scripts/fuzz.sh SECONDS [TARGET...]      e.g. scripts/fuzz.sh 180, scripts/fuzz.sh 600 hf_folder model
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-dev). Environment: ATTNSCOPE_JOBS (build jobs),
# ATTNSCOPE_FUZZ_BUILD (build folder, default build-fuzz), ATTNSCOPE_FUZZ_NO_MERGE=1 (leave the corpora alone).
# Per target it prints executions, coverage (libFuzzer's cov: edges and ft: features) and the corpus size;
# logs and any crash, timeout or out-of-memory input are kept in the build folder. Exits non-zero if any
# target found one.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh SECONDS [TARGET...]   (targets: gguf safetensors tokenizer_json tokenize hf_folder model)" >&2
  exit 2
fi
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gguf safetensors tokenizer_json tokenize hf_folder model)
build="${ATTNSCOPE_FUZZ_BUILD:-build-fuzz}"
jobs="${ATTNSCOPE_JOBS:-$(nproc)}"

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}" CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNSCOPE_PARSERS_ONLY=ON \
  -DATTNSCOPE_FUZZ=ON "-DATTNSCOPE_SANITIZE=address;undefined" >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}"

mkdir -p "$build/fuzz-logs" "$build/fuzz-artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
summary=()
for t in "${targets[@]}"; do
  corpus="tests/fuzz/corpus/$t"
  work="$build/fuzz-work/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$work"
  echo "== fuzz_$t for ${seconds}s (corpus $corpus: $(ls "$corpus" | wc -l) inputs) =="
  # New inputs go to the scratch folder (first argument); the committed corpus is only read.
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
       -artifact_prefix="$build/fuzz-artifacts/$t-" "$work" "$corpus" >"$log" 2>&1; then
    echo "fuzz_$t found a problem: see $log and $build/fuzz-artifacts/" >&2
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  added=0
  if [ "${ATTNSCOPE_FUZZ_NO_MERGE:-0}" != "1" ]; then
    # Only inputs that reach coverage edges the committed corpus does not: hit counts and comparison
    # operands are left out of the features, so the corpus stays small (a few hundred inputs per target).
    before=$(ls "$corpus" | wc -l)
    "$build/tests/fuzz/fuzz_$t" -merge=1 -use_counters=0 -use_cmp=0 -use_value_profile=0 -rss_limit_mb=2048 \
      -timeout=30 "$corpus" "$work" >"$build/fuzz-logs/$t.merge.log" 2>&1 || status=1
    added=$(( $(ls "$corpus" | wc -l) - before ))
  fi
  summary+=("$(printf '%-15s %12s executions   cov %6s   ft %7s   +%s corpus inputs' "fuzz_$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$added")")
done
echo "== summary (${seconds}s per target) =="
printf '%s\n' "${summary[@]}"
exit $status
