#!/usr/bin/env bash
# attnscope: install what is missing, build (Release), fetch the default model (SmolLM2-135M-Instruct, into
# ~/.cache/attnscope/models, outside the repository) and open the desktop app on it with a sample prompt.
# Extra arguments are passed to the app (e.g. ./run.sh --view head --layer 3 --head 2).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths relative to the checkout, so a fresh clone elsewhere (CI) still hits the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_NATIVE=ON >/dev/null
cmake --build build -j "${ATTNSCOPE_JOBS:-$(nproc)}" --target attnscope attnscope-cli
./scripts/fetch-models.sh
MODEL="${ATTNSCOPE_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attnscope/models}/SmolLM2-135M-Instruct.Q4_1.gguf"
SAMPLE="$(cat resources/sample_prompt.txt 2>/dev/null || echo 'The quick brown fox jumps over the lazy dog.')"
exec build/app/gui/attnscope "$MODEL" --text "$SAMPLE" "$@"
