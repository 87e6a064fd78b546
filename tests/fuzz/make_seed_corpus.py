#!/usr/bin/env python3
"""Seed corpora for the fuzz targets in tests/fuzz (small, valid inputs the fuzzers mutate from).

Rerun (needs numpy, gguf, safetensors):  python tests/fuzz/make_seed_corpus.py tests/fuzz/corpus
Inputs that scripts/fuzz.sh merged in later (named by their SHA-1) are not made here; rerunning this script
leaves them in place.
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf.quants import quantize
from safetensors.numpy import save, save_file

OUT = sys.argv[1]
rng = np.random.default_rng(7)


def tiny_llama_gguf(path, qtype):
    D, F, H, V = 32, 64, 4, 260
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(1)
    w.add_embedding_length(D)
    w.add_feed_forward_length(F)
    w.add_head_count(H)
    w.add_head_count_kv(2)
    w.add_context_length(64)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    byte_tokens = [chr(c) if 33 <= c <= 126 else f"<{c}>" for c in range(256)]
    # byte-level alphabet as GPT-2 maps it
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    alphabet = [chr(c) for _, c in sorted(zip(bs, cs))]
    tokens = alphabet + ["Ġt", "he", "<|endoftext|>", "<|im_start|>"]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types([1] * 258 + [3, 3])
    w.add_token_merges(["Ġ t", "h e"])
    w.add_eos_token_id(258)

    def t(name, shape):
        a = rng.standard_normal(shape).astype(np.float32)
        if len(shape) == 1 or qtype == gguf.GGMLQuantizationType.F32:
            w.add_tensor(name, a)
        elif qtype == gguf.GGMLQuantizationType.F16:
            w.add_tensor(name, a.astype(np.float16))
        else:
            w.add_tensor(name, quantize(a, qtype), raw_dtype=qtype)

    t("token_embd.weight", (V, D))
    t("output_norm.weight", (D,))
    t("blk.0.attn_norm.weight", (D,))
    t("blk.0.attn_q.weight", (D, D))
    t("blk.0.attn_k.weight", (D // 2, D))
    t("blk.0.attn_v.weight", (D // 2, D))
    t("blk.0.attn_output.weight", (D, D))
    t("blk.0.ffn_norm.weight", (D,))
    t("blk.0.ffn_gate.weight", (F, D))
    t("blk.0.ffn_up.weight", (F, D))
    t("blk.0.ffn_down.weight", (D, F))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


os.makedirs(f"{OUT}/gguf", exist_ok=True)
for q in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.Q8_0,
          gguf.GGMLQuantizationType.Q4_0, gguf.GGMLQuantizationType.Q5_1):
    tiny_llama_gguf(f"{OUT}/gguf/tiny-{q.name.lower()}.gguf", q)


def tiny_spm_gguf(path):
    """SentencePiece BPE vocabulary (tokenizer.ggml.model = llama): control, byte, user-defined, unused pieces."""
    w = gguf.GGUFWriter(path, "llama")
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    scores = [0.0] * len(tokens)
    for piece, score, kind in [("\u2581", -1, 1), ("a", -2, 1), ("b", -3, 1), ("ab", -4, 1), ("\u2581a", -5, 1),
                               ("\u2581ab", -6, 1), ("  ", 0, 4), ("\n\n", 0, 4), ("ba", -0.5, 5)]:
        tokens.append(piece)
        scores.append(float(score))
        types.append(kind)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_space_prefix(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


tiny_spm_gguf(f"{OUT}/gguf/tiny-spm.gguf")

os.makedirs(f"{OUT}/safetensors", exist_ok=True)
save_file({"a": rng.standard_normal((4, 8)).astype(np.float32), "b": rng.standard_normal((3,)).astype(np.float16),
           "c": np.zeros((0, 2), np.float32)}, f"{OUT}/safetensors/small.safetensors", metadata={"format": "pt"})
save_file({"w": rng.standard_normal((2, 2, 2)).astype(np.float32)}, f"{OUT}/safetensors/rank3.safetensors")

os.makedirs(f"{OUT}/tokenizer_json", exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
tj = open(os.path.join(here, "..", "fixtures", "tiny", "tiny-llama", "tokenizer.json")).read()
open(f"{OUT}/tokenizer_json/bytelevel.json", "w").write("The first token is a sink.\n" + tj)
wp = {"version": "1.0", "added_tokens": [{"id": 0, "content": "[UNK]", "special": True, "single_word": False,
      "lstrip": False, "rstrip": False, "normalized": False}], "normalizer": {"type": "BertNormalizer",
      "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
      "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": None, "decoder": None,
      "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                "max_input_chars_per_word": 100, "vocab": {"[UNK]": 0, "hello": 1, "world": 2, "##s": 3, "!": 4}}}
open(f"{OUT}/tokenizer_json/wordpiece.json", "w").write("Hello worlds!\n" + json.dumps(wp))

os.makedirs(f"{OUT}/tokenize", exist_ok=True)
for i, s in enumerate(["Hello world!", "  multiple   spaces\t\ttabs\r\n", "日本語のテキスト 👩‍👩‍👧 emoji",
                       "<|endoftext|>special<|endoftext|>", "def f(x):\n    return x ** 2  # 12345", "\xff\xfe bad utf8",
                       "<s>ab \u2581ba  a\n\n</s> \U00010000 <unk>"]):
    open(f"{OUT}/tokenize/seed{i}.txt", "wb").write(s.encode("utf-8", "surrogateescape") if i != 5 else b"\xff\xfe bad utf8")

# Model folders in the layout of tests/fuzz/fuzz_folder.h: a prompt, then "\n@@file NAME\n" + bytes per file.
# Tiny valid models (hidden 8, one layer) so that every mutation is cheap to run.
tokenizer_json = open(os.path.join(here, "..", "fixtures", "tiny", "tiny-llama", "tokenizer.json"), "rb").read()
tokenizer_config = json.dumps({"bos_token": None, "eos_token": "<|endoftext|>"}).encode()


def mini_config(model_type, tied):
    return {"architectures": ["X"], "model_type": model_type, "hidden_size": 8, "intermediate_size": 16,
            "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4, "num_hidden_layers": 1,
            "vocab_size": 320, "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "hidden_act": "silu",
            "rope_theta": 10000.0, "tie_word_embeddings": tied}


def mini_tensors(qk_norm, dtype):
    D, F, HD = 8, 16, 4
    t = {"model.embed_tokens.weight": (320, D), "model.norm.weight": (D,),
         "model.layers.0.input_layernorm.weight": (D,), "model.layers.0.post_attention_layernorm.weight": (D,),
         "model.layers.0.self_attn.q_proj.weight": (2 * HD, D), "model.layers.0.self_attn.k_proj.weight": (HD, D),
         "model.layers.0.self_attn.v_proj.weight": (HD, D), "model.layers.0.self_attn.o_proj.weight": (D, 2 * HD),
         "model.layers.0.mlp.gate_proj.weight": (F, D), "model.layers.0.mlp.up_proj.weight": (F, D),
         "model.layers.0.mlp.down_proj.weight": (D, F)}
    if qk_norm:
        t["model.layers.0.self_attn.q_norm.weight"] = (HD,)
        t["model.layers.0.self_attn.k_norm.weight"] = (HD,)
    return {k: rng.standard_normal(v).astype(dtype) for k, v in t.items()}


def folder_input(prompt, files):
    out = prompt.encode()
    for name, data in files.items():
        out += b"\n@@file " + name.encode() + b"\n" + data
    return out


llama = mini_tensors(False, np.float16)
qwen3 = mini_tensors(True, np.float32)
qwen3["lm_head.weight"] = rng.standard_normal((320, 8)).astype(np.float32)
names = sorted(qwen3)
shard1 = {k: qwen3[k] for k in names[: len(names) // 2]}
shard2 = {k: qwen3[k] for k in names[len(names) // 2:]}
index = {"metadata": {"total_size": 0}, "weight_map": {**{k: "model-00001-of-00002.safetensors" for k in shard1},
                                                        **{k: "model-00002-of-00002.safetensors" for k in shard2}}}
folders = {
    "llama-single.txt": folder_input("The first token is a sink.", {
        "config.json": json.dumps(mini_config("llama", True)).encode(),
        "model.safetensors": save(llama, metadata={"format": "pt"}),
        "tokenizer.json": tokenizer_json, "tokenizer_config.json": tokenizer_config}),
    "qwen3-sharded.txt": folder_input("Hello <|endoftext|> world", {
        "config.json": json.dumps(mini_config("qwen3", False)).encode(),
        "model.safetensors.index.json": json.dumps(index).encode(),
        "model-00001-of-00002.safetensors": save(shard1),
        "model-00002-of-00002.safetensors": save(shard2),
        "tokenizer.json": tokenizer_json}),
}
for target in ("hf_folder", "model"):
    os.makedirs(f"{OUT}/{target}", exist_ok=True)
    for name, data in folders.items():
        open(f"{OUT}/{target}/{name}", "wb").write(data)
# The model target also takes GGUF files.
for q in ("q4_0", "f16"):
    open(f"{OUT}/model/tiny-{q}.gguf", "wb").write(open(f"{OUT}/gguf/tiny-{q}.gguf", "rb").read())
print("wrote", OUT)
