#!/usr/bin/env python3
"""Summary table of scripts/gpu-check.sh: our GPU benchmarks (tests/cuda/bench_cuda.cpp) next to the PyTorch
reference (scripts/bench_gpu_reference.py) from the same run, with the ratios the CUDA issue targets.

    python3 scripts/gpu_check_summary.py bench_attention.json bench_models.json bench_torch.json
Standard library only; a missing or partial file is reported, never fatal.
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception as e:  # missing file, truncated JSON from a timed-out step
        return {"skipped": f"{path}: {e}"}


def ms(x):
    return x["ms"]["median"] if isinstance(x, dict) and "ms" in x else None


def fmt(v, spec=".1f", none="–"):
    return none if v is None else format(v, spec)


def main():
    ours, models, torch = (load(p) for p in sys.argv[1:4])
    if "device" in ours:
        d = ours["device"]
        print(f"  device: {d['name']} (sm_{d['sm']}, {d['memory_gib']:.0f} GiB, driver {d['driver']}, runtime {d['runtime']})")
    if "ceilings" in ours:
        c = ours["ceilings"]
        print(f"  same-run ceilings: bf16 GEMM 8192³ {c['bf16_gemm_8192_tflops']:.0f} TFLOP/s, "
              f"device copy {c['d2d_copy_gb_per_s']:.0f} GB/s")
    if "skipped" in ours or "error" in ours:
        print(f"  attention benchmark: {ours.get('skipped') or ours.get('error')}")
    ref = {}
    if "attention" in torch:
        for r in torch["attention"]:
            ref[(r["n"], r["heads"], r["d"], r["causal"])] = r
    elif "skipped" in torch:
        print(f"  PyTorch reference: {torch['skipped']}")
    if "attention" in ours:
        print("  attention writing every probability (TFLOP/s counted: 4·n²·d per head, halved when causal)")
        print("    n      heads d    mask    ours 16-bit P      ours fp32 P   no P    fastest SDPA  ratio (≥0.5)  "
              "eager+P ms  speed-up (≥3)  check")
        for r in ours["attention"]:
            key = (r["n"], r["heads"], r["d"], r["causal"])
            t = ref.get(key, {})
            p16, p32, nop = r.get("tc_16bit_probs", {}), r.get("tc_fp32_probs", {}), r.get("tc_no_probs", {})
            best = t.get("fastest_sdpa_tflops")
            ratio = p16.get("tflops_counted") / best if best and p16.get("tflops_counted") else None
            eager = t.get("eager_with_probs", {})
            eager_ms = ms(eager)
            speed = eager_ms / ms(p16) if eager_ms and ms(p16) else None
            eager_txt = fmt(eager_ms) if eager_ms else ("OOM" if "out_of_memory" in eager else "–")
            chk = r.get("check", {})
            chk_txt = ("ok" if chk.get("ok") else "WRONG") + f" |Δp| {chk.get('max_abs_dp', float('nan')):.1e}" if chk else "–"
            print(f"    {r['n']:<6} {r['heads']:<5} {r['d']:<4} {'causal' if r['causal'] else 'full':<7} "
                  f"{fmt(ms(p16))} ms {fmt(p16.get('tflops_counted'), '.0f')} TF  {fmt(p32.get('tflops_counted'), '.0f'):>5} TF  "
                  f"{fmt(nop.get('tflops_counted'), '.0f'):>5} TF  {fmt(best, '.0f'):>6} TF   {fmt(ratio, '.2f'):>6}        "
                  f"{eager_txt:>8}    {fmt(speed, '.1f'):>6}×      {chk_txt}")
        if "attention_fp32_kernel" in ours:
            f = ours["attention_fp32_kernel"]
            print(f"    fp32 kernel (the forward's), SmolLM2 shape n {f['n']} 9/3 heads d 64 causal, all maps: "
                  f"{f['ms']['median']:.1f} ms, {f['tflops_counted']:.1f} TFLOP/s")
    hf = {}
    for r in torch.get("models", []):
        if "model" in r:
            hf[(r["model"], r["tokens"])] = r
    if "models" in models:
        print("  model forwards (medians; CUDA vs our CPU path vs HF transformers eager fp32 on the same GPU)")
        for r in models["models"]:
            cu, cp = r.get("cuda", {}), r.get("cpu", {})
            h = hf.get((r["model"], r["tokens"]), {})
            name = r["model"].split("/")[-1]
            line = f"    {name} {r['tokens']} tokens: cuda {fmt(cu.get('forward_ms', {}).get('median'))} ms"
            if "forward_all_maps_ms" in cu:
                line += f", with all {r['layers'] * r['heads']} maps {fmt(cu['forward_all_maps_ms']['median'])} ms"
            if "forward_streamed_ms" in cu:
                line += f", with every head's statistics streamed {fmt(cu['forward_streamed_ms']['median'])} ms"
            if "forward_ms" in cp:
                line += f"; cpu {fmt(cp['forward_ms']['median'])} ms"
                if "forward_all_maps_ms" in cp:
                    line += f" / {fmt(cp['forward_all_maps_ms']['median'])} ms with maps"
                if "forward_streamed_ms" in cp:
                    line += f" / {fmt(cp['forward_streamed_ms']['median'])} ms streamed"
                line += (f" → {fmt(r.get('speedup_cuda_vs_cpu'), '.1f')}× / "
                         f"{fmt(r.get('speedup_all_maps_cuda_vs_cpu', r.get('speedup_streamed_cuda_vs_cpu')), '.1f')}×")
            else:
                line += f"; cpu {cp.get('skipped', 'not run')}"
            if "forward_ms" in h:
                hf_ms = h["forward_ms"]["median"]
                ours_ms = cu.get("forward_all_maps_ms" if h.get("output_attentions") else "forward_ms", {}).get("median")
                line += f"; HF {hf_ms:.1f} ms" + (f" → {hf_ms / ours_ms:.1f}×" if ours_ms else "")
            elif h:
                line += f"; HF {h.get('skipped') or h.get('out_of_memory', 'not run')}"
            print(line)
    elif "skipped" in models:
        print(f"  model benchmarks: {models['skipped']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
