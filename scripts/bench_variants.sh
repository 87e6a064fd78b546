#!/usr/bin/env bash
# Benchmarks of what-if runs (docs/PERFORMANCE.md "Variants"): medians over REPEATS runs of
#   1. a variant on the last 10 of 30 layers, reusing the baseline's residual stream below them, against the same
#      variant recomputing every layer (--no-reuse): the ratio is what reuse saves;
#   2. a comparison of the baseline and 3 variants against one forward with every map captured (`bench`).
# Usage: scripts/bench_variants.sh MODEL TEXT_FILE [REPEATS] [THREADS]   (run from a build: build/app/attnscope-cli)
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
model=$1 text=$2 repeats=${3:-5} threads=${4:-2}
cli=${ATTNSCOPE_CLI:-build/app/attnscope-cli}
py=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { "$py" -c 'import sys,statistics; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
field() { "$py" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"j": j}))' "$@"; }

layers=$("$cli" info "$model" --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["n_layers"])')
first=$((layers - 10))
spec="sliding:window=64,sinks=4@layers=${first}-$((layers - 1))"
reuse=() full=() compare=() forward=()
for ((r = 0; r < repeats; ++r)); do
    "$cli" compare "$model" --text-file "$text" --variant "$spec" --threads "$threads" --json > "$tmp/reuse.json"
    "$cli" compare "$model" --text-file "$text" --variant "$spec" --no-reuse --threads "$threads" --json > "$tmp/full.json"
    reuse+=("$(field "$tmp/reuse.json" 'j["variants"][0]["forward_ms"]')")
    full+=("$(field "$tmp/full.json" 'j["variants"][0]["forward_ms"]')")
    "$cli" compare "$model" --text-file "$text" --variant sliding:window=64 --variant sliding:window=64,sinks=4 \
        --variant topk:k=8 --threads "$threads" --json > "$tmp/cmp.json"
    compare+=("$(field "$tmp/cmp.json" 'j["total_ms"]')")
done
tokens=$(field "$tmp/cmp.json" 'j["tokens"]')
"$cli" bench "$model" --text-file "$text" --tokens "$tokens" --threads "$threads" --repeats "$repeats" --skip-peak --json > "$tmp/bench.json"
forward=$(field "$tmp/bench.json" 'j["forward_with_attention_ms"]')
mr=$(median "${reuse[@]}") mf=$(median "${full[@]}") mc=$(median "${compare[@]}")
echo "model $(basename "$model"), $tokens tokens, $threads threads, median of $repeats; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "variant $spec: reusing layers < $first ${mr} ms, every layer ${mf} ms, ratio $("$py" -c "print('%.2f' % ($mr / $mf))")"
echo "compare baseline + 3 variants ${mc} ms; one forward with all maps ${forward} ms; ratio $("$py" -c "print('%.2f' % ($mc / $forward))")"
