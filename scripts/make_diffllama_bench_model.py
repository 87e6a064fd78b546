#!/usr/bin/env python3
"""A random DiffLlama for timing the differential view on long prompts (docs/PERFORMANCE.md): 8 layers, 16 query
heads of 32 dims (8 differential heads), 8 KV heads, d_model 512, 4096 positions, the tiny fixtures' BPE tokenizer.
Written by HF transformers; its weights mean nothing (only the maps' sizes matter for the benchmark).

    /work/venv/bin/python scripts/make_diffllama_bench_model.py /tmp/diffllama-bench
    attnscope --benchmark-ui --differential /tmp/diffllama-bench --tokens 1024 --repeat 20 --threads 2
"""
import os
import sys

import torch
from transformers import DiffLlamaConfig, DiffLlamaForCausalLM

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
from make_tiny_breadth_models import bpe_tokenizer  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
tok = bpe_tokenizer(out, bos="<s>")
torch.manual_seed(0)
cfg = DiffLlamaConfig(vocab_size=len(tok), hidden_size=512, intermediate_size=1024, num_hidden_layers=8,
                      num_attention_heads=16, num_key_value_heads=8, head_dim=32, max_position_embeddings=4096,
                      tie_word_embeddings=True, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
model = DiffLlamaForCausalLM(cfg)
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            p.mul_(4.0)   # sharper maps than the 0.02 initialisation
model.save_pretrained(out, safe_serialization=True)
print("wrote", out)
