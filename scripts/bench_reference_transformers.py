#!/usr/bin/env python3
"""Side-by-side reference for `attnscope-cli bench`: HF transformers (eager attention, float32, weights
dequantised from the same GGUF) running the same 1024 token ids on the same number of CPU threads.

    python bench_reference_transformers.py MODEL.gguf IDS.json --threads 2 --repeats 5
IDS.json: a JSON list of token ids (e.g. from `attnscope-cli tokenize --json`). Prints JSON medians.
"""
import argparse
import json
import os
import statistics
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("ids")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d, name = os.path.split(os.path.abspath(a.gguf))
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, torch_dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    ids = torch.tensor([json.load(open(a.ids))])
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


if __name__ == "__main__":
    main()
