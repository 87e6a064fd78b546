#!/usr/bin/env python3
"""The PyTorch side of the GPU benchmarks (docs/CUDA.md "Benchmarks"), same shapes as tests/cuda/bench_cuda.cpp,
on the same GPU in the same session:

  attention   every SDPA backend PyTorch offers (flash, cuDNN, memory-efficient, math) — none returns
              probabilities — and eager attention that does (softmax(QKᵀ/√d) materialised, then ·V), bf16,
              n = 4096 (64 heads × d 128, 128 heads × d 64) and n = 16384 (16 heads × d 128), causal and not.
              Eager at 16384 is expected to run out of memory; that is reported, not an error.
  models      HF transformers (eager attention, fp32) on the same GGUF files: SmolLM2 with every map
              (output_attentions) at 4096 tokens, Gemma 3 at 32768 tokens without maps.

    python3 scripts/bench_gpu_reference.py [--quick] [--repeats 10] [--smollm2 F.gguf] [--gemma3 F.gguf]

Prints one JSON object. Degrades gracefully: without torch, without a GPU, or without transformers/gguf it
says so in the JSON (and exits 0), so scripts/gpu-check.sh can run anywhere.
Medians of timed runs after warm-up, CUDA events on the current stream.
"""
import argparse
import json
import statistics
import sys


def stats(times):
    times = sorted(times)
    return {"median": statistics.median(times), "min": times[0], "max": times[-1], "runs": len(times)}


def time_cuda(torch, fn, warm, reps):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return stats(times)


def attention(torch, shapes, reps):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    import torch.nn.functional as F

    backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": getattr(SDPBackend, "CUDNN_ATTENTION", None),
                "efficient": SDPBackend.EFFICIENT_ATTENTION, "math": SDPBackend.MATH}
    out = []
    for n, heads, d, causal in shapes:
        r = {"n": n, "heads": heads, "d": d, "causal": causal, "dtype": "bf16"}
        counted = 4.0 * n * n * d * heads * (0.5 if causal else 1.0)
        g = torch.Generator(device="cuda").manual_seed(1)
        q, k, v = (torch.rand(1, heads, n, d, device="cuda", dtype=torch.bfloat16, generator=g) * 4 - 2 for _ in range(3))
        best = None
        for name, be in backends.items():
            if be is None:
                r[name] = {"skipped": "not in this PyTorch"}
                continue
            try:
                with sdpa_kernel(be):
                    st = time_cuda(torch, lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), 2, reps)
                tf = counted / (st["median"] * 1e-3) / 1e12
                r[name] = {"ms": st, "tflops_counted": tf}
                best = max(best or 0.0, tf)
            except Exception as e:  # a backend that does not support the shape or this GPU
                r[name] = {"skipped": str(e).splitlines()[0][:200]}
            torch.cuda.empty_cache()
        r["fastest_sdpa_tflops"] = best

        future = torch.ones(n, n, device="cuda", dtype=torch.bool).triu(1) if causal else None

        def eager():
            s = (q @ k.transpose(-1, -2)) * (d ** -0.5)
            if causal:
                s = s.masked_fill(future, float("-inf"))
            p = torch.softmax(s, dim=-1)
            return p @ v, p

        try:
            st = time_cuda(torch, eager, 1, max(3, reps // 2))
            r["eager_with_probs"] = {"ms": st, "tflops_counted": counted / (st["median"] * 1e-3) / 1e12}
        except torch.cuda.OutOfMemoryError as e:
            r["eager_with_probs"] = {"out_of_memory": str(e).splitlines()[0][:200]}
        del q, k, v, future
        torch.cuda.empty_cache()
        out.append(r)
    return out


def model(torch, path, tokens, maps, reps):
    try:
        import os
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:
        return {"skipped": f"transformers not importable: {e}"}
    try:
        d, name = os.path.split(os.path.abspath(path))
        m = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, torch_dtype=torch.float32,
                                                 attn_implementation="eager").to("cuda").eval()
        tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    except Exception as e:  # gguf package missing, unsupported architecture, …
        return {"skipped": f"cannot load {path} with transformers: {str(e).splitlines()[0][:200]}"}
    text = ("Attention is a mechanism that lets every token look at every earlier token and decide how much of each "
            "to take in. ") * 1000
    ids = tok(text, return_tensors="pt").input_ids[:, :tokens]
    while ids.shape[1] < tokens:
        ids = torch.cat([ids, ids], dim=1)[:, :tokens]
    ids = ids.to("cuda")
    r = {"model": path, "tokens": tokens, "output_attentions": maps}
    try:
        with torch.no_grad():
            st = time_cuda(torch, lambda: m(ids, output_attentions=maps, logits_to_keep=1), 1, reps)
        r["forward_ms"] = st
    except torch.cuda.OutOfMemoryError as e:
        r["out_of_memory"] = str(e).splitlines()[0][:200]
    del m
    torch.cuda.empty_cache()
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--smollm2")
    ap.add_argument("--gemma3")
    a = ap.parse_args()
    out = {}
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"skipped": f"PyTorch is not installed here ({e}); no PyTorch comparison"}))
        return 0
    out["torch"] = torch.__version__
    if not torch.cuda.is_available():
        out["skipped"] = "PyTorch sees no CUDA device"
        print(json.dumps(out))
        return 0
    out["device"] = torch.cuda.get_device_name(0)
    shapes = [(4096, 64, 128, False), (4096, 64, 128, True), (4096, 128, 64, False), (4096, 128, 64, True),
              (16384, 16, 128, False), (16384, 16, 128, True)]
    if a.quick:
        shapes = [(1024, 8, 128, True), (1024, 16, 64, True)]
    out["attention"] = attention(torch, shapes, a.repeats)
    out["models"] = []
    if a.smollm2:
        out["models"].append(model(torch, a.smollm2, 1024 if a.quick else 4096, True, max(3, a.repeats // 2)))
    if a.gemma3:
        out["models"].append(model(torch, a.gemma3, 2048 if a.quick else 32768, False, 3))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
