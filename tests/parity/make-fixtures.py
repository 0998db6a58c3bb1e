#!/usr/bin/python3
"""Writes the parity fixtures: small random-weight checkpoints in exact
Hugging Face layout, and the golden activations of the reference forward pass.

For every fixture, tests/data/parity/<name>/ holds
  config.json         Hugging Face keys for the model_type
  model.safetensors   Hugging Face tensor names and layouts (F32 or BF16)
  prompts.json        {"prompts": [[token ids], ...]}: lengths 1, 5 and 12
  golden.safetensors  F32: "p{p}.{hook name}" for every hook and "p{p}.logits"

The BF16 fixtures hold the F32 fixture's weights rounded to bf16; their golden
values come from those rounded weights upcast, so the engine and the reference
see identical numbers. Deterministic: rerunning rewrites identical bytes.

Run with the Debian interpreter (torch): /usr/bin/python3 tests/parity/make-fixtures.py
"""

import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "parity")
PROMPT_LENGTHS = (1, 5, 12)
SEED = 20250611


# --- safetensors -----------------------------------------------------------

_DTYPE_NAMES = {torch.float32: "F32", torch.bfloat16: "BF16"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype("<f4").tobytes()


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, torch tensor in F32 or BF16), written in order."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, t in tensors:
        data = tensor_bytes(t)
        header[name] = {"dtype": _DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


# --- random weights --------------------------------------------------------


def make_random(gen):
    def randn(*shape, std):
        return torch.randn(*shape, generator=gen) * std

    def norm_weight(n):
        return 1.0 + randn(n, std=0.1)

    return randn, norm_weight


def gpt2_checkpoint(gen):
    config = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": 0,
        "embd_pdrop": 0.1,
        "eos_token_id": 0,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": 32,
        "n_embd": 32,
        "n_head": 4,
        "n_inner": None,
        "n_layer": 2,
        "n_positions": 32,
        "resid_pdrop": 0.1,
        "scale_attn_weights": True,
        "torch_dtype": "float32",
        "vocab_size": 96,
    }
    d, n_ctx, vocab = config["n_embd"], config["n_positions"], config["vocab_size"]
    d_mlp = 4 * d
    randn, norm_weight = make_random(gen)
    w = [("wte.weight", randn(vocab, d, std=0.1)), ("wpe.weight", randn(n_ctx, d, std=0.05))]
    for l in range(config["n_layer"]):
        p = f"h.{l}."
        w += [
            (p + "ln_1.weight", norm_weight(d)),
            (p + "ln_1.bias", randn(d, std=0.05)),
            (p + "attn.bias", torch.tril(torch.ones(n_ctx, n_ctx)).view(1, 1, n_ctx, n_ctx)),
            (p + "attn.masked_bias", torch.tensor(-1e4)),
            (p + "attn.c_attn.weight", randn(d, 3 * d, std=0.15)),
            (p + "attn.c_attn.bias", randn(3 * d, std=0.05)),
            (p + "attn.c_proj.weight", randn(d, d, std=0.1)),
            (p + "attn.c_proj.bias", randn(d, std=0.05)),
            (p + "ln_2.weight", norm_weight(d)),
            (p + "ln_2.bias", randn(d, std=0.05)),
            (p + "mlp.c_fc.weight", randn(d, d_mlp, std=0.2)),
            (p + "mlp.c_fc.bias", randn(d_mlp, std=0.1)),
            (p + "mlp.c_proj.weight", randn(d_mlp, d, std=0.08)),
            (p + "mlp.c_proj.bias", randn(d, std=0.05)),
        ]
    w += [("ln_f.weight", norm_weight(d)), ("ln_f.bias", randn(d, std=0.05))]
    return config, w


def llama_family_checkpoint(gen, config):
    d = config["hidden_size"]
    n_heads, n_kv = config["num_attention_heads"], config["num_key_value_heads"]
    d_head = d // n_heads
    d_mlp, vocab = config["intermediate_size"], config["vocab_size"]
    qkv_bias = config["model_type"] == "qwen2"
    randn, norm_weight = make_random(gen)
    w = [("model.embed_tokens.weight", randn(vocab, d, std=0.1))]
    for l in range(config["num_hidden_layers"]):
        p = f"model.layers.{l}."
        a = p + "self_attn."
        w += [(a + "q_proj.weight", randn(n_heads * d_head, d, std=0.15))]
        if qkv_bias:
            w += [(a + "q_proj.bias", randn(n_heads * d_head, std=0.1))]
        w += [(a + "k_proj.weight", randn(n_kv * d_head, d, std=0.15))]
        if qkv_bias:
            w += [(a + "k_proj.bias", randn(n_kv * d_head, std=0.1))]
        w += [(a + "v_proj.weight", randn(n_kv * d_head, d, std=0.15))]
        if qkv_bias:
            w += [(a + "v_proj.bias", randn(n_kv * d_head, std=0.1))]
        w += [
            (a + "o_proj.weight", randn(d, n_heads * d_head, std=0.1)),
            (p + "mlp.gate_proj.weight", randn(d_mlp, d, std=0.2)),
            (p + "mlp.up_proj.weight", randn(d_mlp, d, std=0.2)),
            (p + "mlp.down_proj.weight", randn(d, d_mlp, std=0.1)),
            (p + "input_layernorm.weight", norm_weight(d)),
            (p + "post_attention_layernorm.weight", norm_weight(d)),
        ]
    w += [("model.norm.weight", norm_weight(d))]
    if not config["tie_word_embeddings"]:
        w += [("lm_head.weight", randn(vocab, d, std=0.1))]
    return config, w


LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "vocab_size": 96,
}

QWEN2_CONFIG = {
    "architectures": ["Qwen2ForCausalLM"],
    "attention_dropout": 0.0,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "hidden_act": "silu",
    "hidden_size": 48,
    "initializer_range": 0.02,
    "intermediate_size": 96,
    "max_position_embeddings": 64,
    "max_window_layers": 2,
    "model_type": "qwen2",
    "num_attention_heads": 6,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 64,
    "tie_word_embeddings": True,
    "torch_dtype": "float32",
    "use_sliding_window": False,
    "vocab_size": 100,
}


# --- fixtures --------------------------------------------------------------


def to_bf16(weights):
    return [(name, t.to(torch.bfloat16)) for name, t in weights]


def write_fixture(name, config, weights, prompts):
    """weights: list of (HF name, tensor) in file order, F32 or BF16."""
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(directory, "model.safetensors"), weights, {"format": "pt"})
    with open(os.path.join(directory, "prompts.json"), "w") as f:
        json.dump({"prompts": prompts}, f)
        f.write("\n")

    as_f32 = {n: t.to(torch.float32) for n, t in weights}
    reference.self_check(config, as_f32, prompts)
    golden = []
    for p, tokens in enumerate(prompts):
        logits, hooks = reference.forward(config, as_f32, tokens)
        for hook, t in hooks.items():
            golden.append((f"p{p}.{hook}", t.to(torch.float32)))
        golden.append((f"p{p}.logits", logits.to(torch.float32)))
    write_safetensors(os.path.join(directory, "golden.safetensors"), golden)
    print(f"{name}: {len(weights)} weight tensors, {len(golden)} golden tensors")


def make_prompts(gen, vocab):
    return [torch.randint(0, vocab, (n,), generator=gen).tolist() for n in PROMPT_LENGTHS]


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)

    config, weights = gpt2_checkpoint(gen)
    prompts = make_prompts(gen, config["vocab_size"])
    prefixed = [("transformer." + n, t) for n, t in weights]
    write_fixture("gpt2-f32", config, prefixed, prompts)
    write_fixture("gpt2-bare-f32", config, weights, prompts)
    write_fixture("gpt2-bf16", dict(config, torch_dtype="bfloat16"), to_bf16(weights), prompts)

    for name, base in (("llama-gqa", LLAMA_CONFIG), ("qwen2", QWEN2_CONFIG)):
        config, weights = llama_family_checkpoint(gen, dict(base))
        prompts = make_prompts(gen, config["vocab_size"])
        as_dict = dict(weights)
        reference.check_gqa_equals_mha(config, as_dict, prompts[-1])
        reference.check_rope_relative(config)
        write_fixture(f"{name}-f32", config, weights, prompts)
        write_fixture(f"{name}-bf16", dict(config, torch_dtype="bfloat16"), to_bf16(weights), prompts)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--out":
        OUT = sys.argv[2]  # write elsewhere, e.g. to check that the committed fixtures reproduce
    main()
