#!/usr/bin/env python3
"""Side-by-side reference for `attnscope-cli bench` and the long-prompt UI benchmark: HF transformers (eager
attention, float32, weights dequantised from the same GGUF) running the same token ids on the same number of CPU
threads.

    python bench_reference_transformers.py MODEL.gguf IDS.json --threads 2 --repeats 5
IDS.json: a JSON list of token ids (e.g. the "ids" of `attnscope-cli tokenize --json`). Prints JSON medians.

Long prompts (docs/PERFORMANCE.md "Long prompts"):

    python bench_reference_transformers.py MODEL.gguf IDS.json --lengths 2048,4096,8192 --max-gb 16
runs, for each length (the first N ids; repeated when IDS.json is shorter), one forward with
output_attentions=True (every head's map, as BertViz-style tools need) and one without, each in a child process
whose address space is capped at --max-gb so that running out of memory is an error in the child, not the
machine's OOM killer. Reports the time, the child's peak RSS, or the error at which it failed.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def load(gguf, threads):
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    d, name = os.path.split(os.path.abspath(gguf))
    return AutoModelForCausalLM.from_pretrained(d, gguf_file=name, torch_dtype=torch.float32,
                                                attn_implementation="eager").eval()


def ids_of_length(path, n):
    ids = json.load(open(path))
    if isinstance(ids, dict):
        ids = ids["ids"]
    out = list(ids)
    while len(out) < n:
        out += ids
    return out[:n]


def short_bench(a):
    import torch

    model = load(a.gguf, a.threads)
    ids = torch.tensor([ids_of_length(a.ids, a.tokens) if a.tokens else json.load(open(a.ids))])
    out = {"tokens": ids.shape[1], "threads": a.threads, "torch": torch.__version__}
    for label, attn in (("forward_ms", False), ("forward_with_attention_ms", True)):
        times = []
        with torch.no_grad():
            model(ids[:, :64], output_attentions=attn)  # warm-up
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                model(ids, output_attentions=attn, logits_to_keep=1)
                times.append((time.perf_counter() - t0) * 1000)
        out[label] = statistics.median(times)
        out[label + "_minmax"] = [min(times), max(times)]
    print(json.dumps(out))


def child(a):
    """One forward at one length, inside the memory cap; prints one JSON line."""
    cap = int(a.max_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out = {"tokens": a.child, "output_attentions": a.attentions, "max_gb": a.max_gb}
    try:
        import torch

        model = load(a.gguf, a.threads)
        ids = torch.tensor([ids_of_length(a.ids, a.child)])
        with torch.no_grad():
            model(ids[:, :16], output_attentions=a.attentions)  # warm-up
            t0 = time.perf_counter()
            r = model(ids, output_attentions=a.attentions, logits_to_keep=1)
            out["forward_ms"] = (time.perf_counter() - t0) * 1000
            if a.attentions:
                out["maps_bytes"] = sum(t.numel() * t.element_size() for t in r.attentions)
        out["ok"] = True
    except (RuntimeError, MemoryError) as e:  # torch reports a failed allocation as RuntimeError
        out["ok"] = False
        out["error"] = str(e).splitlines()[0][:300]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out), flush=True)


def long_bench(a):
    results = []
    for n in [int(x) for x in a.lengths.split(",")]:
        for attentions in (True, False):
            cmd = [sys.executable, os.path.abspath(__file__), a.gguf, a.ids, "--threads", str(a.threads),
                   "--max-gb", str(a.max_gb), "--child", str(n)] + (["--attentions"] if attentions else [])
            p = subprocess.run(cmd, capture_output=True, text=True)
            line = [l for l in p.stdout.splitlines() if l.startswith("{")]
            if line:
                results.append(json.loads(line[-1]))
            else:  # killed (a signal) before it could report
                results.append({"tokens": n, "output_attentions": attentions, "ok": False,
                                "error": f"exit {p.returncode}: {p.stderr.strip().splitlines()[-1:] }"})
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"threads": a.threads, "max_gb": a.max_gb, "runs": results}, indent=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("ids")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=0, help="short benchmark: use the first N ids (repeated)")
    ap.add_argument("--lengths", help="long-prompt runs: comma-separated lengths")
    ap.add_argument("--max-gb", type=float, default=16.0, help="address-space cap of each long-prompt run")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--attentions", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a)
    elif a.lengths:
        long_bench(a)
    else:
        short_bench(a)


if __name__ == "__main__":
    main()
