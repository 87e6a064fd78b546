#!/usr/bin/env bash
# gpu-check: on a machine with an NVIDIA GPU, build attnscope with CUDA (for this GPU's architecture only), run
# every GPU test and the GPU benchmarks, and print a summary (docs/CUDA.md "Checking on a GPU").
# Sized to finish in ≤ 8 minutes on a 16-core H100/H200 machine; each step has a time limit and reports when
# it hits it. Downloads nothing:
#   - the real-model checks (SmolLM2, Gemma 3) use the model cache (ATTNSCOPE_MODEL_CACHE, else
#     ~/.cache/attnscope/models) and are reported as not run when the files are not there;
#   - the PyTorch comparison runs when the Python interpreter (ATTNSCOPE_PYTHON, else python3) has torch with
#     CUDA, and says why not otherwise.
# Usage: scripts/gpu-check.sh [--quick] [--build-dir DIR] [--jobs N] [--no-bench]
#   --quick     small benchmark shapes (a smoke run of the scripts, ≈ 1 minute after the build)
# ATTNSCOPE_CUDA_ARCHS overrides the architectures (default: native, the GPU of this machine).
# Outputs (logs and JSON) go to DIR/gpu-check/. Exit status: 0 when every test passed on a GPU, 1 when one
# failed or timed out, 2 when the build failed, 3 when no GPU could be used (everything skipped).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
BUILD=build-gpu
JOBS=$(nproc)
QUICK=0
BENCH=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --build-dir) BUILD="$2"; shift ;;
    --jobs) JOBS="$2"; shift ;;
    --no-bench) BENCH=0 ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
OUT="$BUILD/gpu-check"
mkdir -p "$OUT"
PY="${ATTNSCOPE_PYTHON:-python3}"
CACHE="${ATTNSCOPE_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attnscope/models}"
SMOL="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA="$CACHE/gemma-3-270m-q4_k_m.gguf"
T0=$(date +%s)
SUMMARY=()
FAILED=0
note() { SUMMARY+=("$1"); echo "gpu-check: $1"; }
elapsed() { echo $(( $(date +%s) - T0 )); }

echo "== machine =="
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | tee "$OUT/gpu.txt"
else
  echo "nvidia-smi not found" | tee "$OUT/gpu.txt"
fi
NVCC="${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [ ! -x "$NVCC" ]; then
  echo "gpu-check: no nvcc (set CUDACXX or install the CUDA toolkit)" >&2
  exit 2
fi
"$NVCC" --version | tail -2
echo "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM"

echo "== build (CUDA for ${ATTNSCOPE_CUDA_ARCHS:-this GPU only (native)}) =="
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
CONF=(-S . -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_CUDA=ON -DCMAKE_CUDA_COMPILER="$NVCC"
      "-DCMAKE_CUDA_ARCHITECTURES=${ATTNSCOPE_CUDA_ARCHS:-native}" -DATTNSCOPE_BUILD_UI=OFF)
TARGETS=(test_cuda test_cuda_models test_kernels test_models bench_cuda)
if ! cmake "${CONF[@]}" >"$OUT/configure.log" 2>&1; then
  # Without Qt the CLI cannot be built; everything this script runs can.
  if ! cmake "${CONF[@]}" -DATTNSCOPE_BUILD_CLI=OFF >"$OUT/configure.log" 2>&1; then
    tail -20 "$OUT/configure.log"
    echo "gpu-check: configure failed (log: $OUT/configure.log)" >&2
    exit 2
  fi
  note "configured without the CLI (Qt not found)"
fi
B0=$(date +%s)
if ! timeout 300 cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}" >"$OUT/build.log" 2>&1; then
  tail -30 "$OUT/build.log"
  echo "gpu-check: build failed or took over 5 minutes (log: $OUT/build.log)" >&2
  exit 2
fi
note "build: $(( $(date +%s) - B0 )) s with $JOBS jobs"

# Is there a GPU the build can use? (bench_cuda with no benchmark selected only probes.)
NOGPU=0
PROBE=$("$BUILD/tests/bench_cuda" 2>/dev/null)
if echo "$PROBE" | grep -q '"skipped"'; then
  NOGPU=1
  note "NO USABLE GPU: $(echo "$PROBE" | sed -n 's/.*"skipped": "\(.*\)".*/\1/p') — the GPU tests skip and nothing is measured"
fi

# Runs a gtest binary with a time limit; records passed/failed/skipped counts.
run_tests() {
  local name="$1" limit="$2"; shift 2
  local log="$OUT/$name.log"
  timeout "$limit" "$@" >"$log" 2>&1
  local rc=$?
  local passed failed skipped
  passed=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  failed=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$log" | grep -Eo '[0-9]+' | head -1 || true)
  skipped=$(grep -Eo '^\[  SKIPPED \] [0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  if [ $rc -eq 124 ]; then
    note "$name: TIMED OUT after $limit s (log: $log)"
    FAILED=1
  elif [ $rc -ne 0 ]; then
    note "$name: FAILED (${failed:-?} failed, ${passed:-0} passed; log: $log)"
    grep -E '^\[  FAILED  \]' "$log" | head -20
    FAILED=1
  else
    note "$name: ${passed:-0} passed, ${skipped:-0} skipped"
  fi
  if [ -n "${skipped:-}" ] && [ "${skipped:-0}" != "0" ]; then
    grep -A1 -E ': Skipped$' "$log" | grep -v -E ': Skipped$|^--$' | sort | uniq -c | head -5 | sed 's/^/    skipped: /'
  fi
}

echo "== GPU tests =="
run_tests test_cuda 240 "$BUILD/tests/test_cuda"
if [ -f "$SMOL" ] && [ -f "$GEMMA" ]; then
  ATTNSCOPE_MODEL_CACHE="$CACHE" run_tests test_cuda_models 240 "$BUILD/tests/test_cuda_models"
else
  note "test_cuda_models: NOT RUN (model files not in $CACHE; run scripts/fetch-models.sh where the network is reachable)"
fi
run_tests test_kernels_cuda_host 60 "$BUILD/tests/test_kernels" --gtest_filter='Cuda*:BackendRegistry*'
run_tests test_models_fallback 120 "$BUILD/tests/test_models" --gtest_filter='*DeviceFallback*:*AttentionHeadSlices*'
note "tests done at $(elapsed) s"

if [ $BENCH -eq 1 ]; then
  echo "== benchmarks =="
  REPS=10
  ATTN=(--attention --ceilings)
  MODELS=()
  if [ $QUICK -eq 1 ]; then
    REPS=3
    ATTN=(--attention --ceilings --quick)
    [ -f "$SMOL" ] && MODELS+=(--tokens 1024 --cpu-repeats 1 --model "$SMOL")
    [ -f "$GEMMA" ] && MODELS+=(--tokens 2048 --cpu-repeats 1 --streamed --model "$GEMMA")
  else
    [ -f "$SMOL" ] && MODELS+=(--tokens 4096 --cpu-repeats 3 --model "$SMOL")
    [ -f "$GEMMA" ] && MODELS+=(--tokens 32768 --cpu-repeats 0 --streamed --model "$GEMMA")
  fi
  timeout 200 "$BUILD/tests/bench_cuda" --repeats $REPS "${ATTN[@]}" >"$OUT/bench_attention.json" 2>"$OUT/bench_attention.log" ||
    note "bench_cuda (attention): exit $? (log: $OUT/bench_attention.log)"
  if [ ${#MODELS[@]} -gt 0 ]; then
    timeout 200 "$BUILD/tests/bench_cuda" --repeats $REPS "${MODELS[@]}" >"$OUT/bench_models.json" 2>"$OUT/bench_models.log" ||
      note "bench_cuda (models): exit $? (log: $OUT/bench_models.log)"
  else
    echo '{"skipped": "model files not in the cache"}' >"$OUT/bench_models.json"
  fi
  PYARGS=(--repeats "$REPS")
  [ $QUICK -eq 1 ] && PYARGS+=(--quick)
  [ -f "$SMOL" ] && PYARGS+=(--smollm2 "$SMOL")
  [ -f "$GEMMA" ] && PYARGS+=(--gemma3 "$GEMMA")
  if command -v "$PY" >/dev/null; then
    timeout 180 "$PY" scripts/bench_gpu_reference.py "${PYARGS[@]}" >"$OUT/bench_torch.json" 2>"$OUT/bench_torch.log" ||
      { note "PyTorch reference: exit $? (log: $OUT/bench_torch.log)"; [ -s "$OUT/bench_torch.json" ] || echo '{"skipped": "the reference script did not finish"}' >"$OUT/bench_torch.json"; }
  else
    echo "{\"skipped\": \"no $PY\"}" >"$OUT/bench_torch.json"
  fi
  note "benchmarks done at $(elapsed) s"
fi

echo
echo "== summary ($(elapsed) s) =="
for line in "${SUMMARY[@]}"; do echo "  $line"; done
if [ $BENCH -eq 1 ] && command -v python3 >/dev/null; then
  python3 "$ROOT/scripts/gpu_check_summary.py" "$OUT/bench_attention.json" "$OUT/bench_models.json" "$OUT/bench_torch.json" ||
    echo "  (benchmark JSON in $OUT)"
fi
echo "  logs and JSON: $OUT"
if [ $FAILED -eq 0 ] && [ $NOGPU -eq 1 ]; then
  exit 3   # nothing failed, but nothing ran on a GPU either
fi
exit $FAILED
