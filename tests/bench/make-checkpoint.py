#!/usr/bin/python3
"""Writes a random-weight GPT-2 checkpoint in Hugging Face layout (config.json
and model.safetensors, F32 or BF16, Conv1D weights [in, out], tied
unembedding) for the cost-growth and in-page benchmarks. The weights are
N(0, 0.02) as GPT-2 initialises them, norms 1 and biases 0; the vocabulary
and context are GPT-2's (50257, 1024) and d_head is 64, so 12 layers x 768
wide is GPT-2 small's size (124M parameters). A BF16 checkpoint holds the same draws rounded to
nearest even, norms and biases included. Checkpoints are made at bench time
in a temporary folder and never committed.

  /usr/bin/python3 tests/bench/make-checkpoint.py OUT_DIR N_LAYERS D_MODEL [f32|bf16]
"""

import json
import os
import struct
import sys

import numpy as np

VOCAB, N_CTX, D_HEAD, SEED = 50257, 1024, 64, 2026


def tensors(n_layers, d_model, rng):
    def normal(*shape):
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype("<f4")

    ones, zeros = (lambda n: np.ones(n, "<f4")), (lambda n: np.zeros(n, "<f4"))
    d_mlp = 4 * d_model
    yield "wte.weight", normal(VOCAB, d_model)
    yield "wpe.weight", normal(N_CTX, d_model)
    for l in range(n_layers):
        p = f"h.{l}."
        yield p + "ln_1.weight", ones(d_model)
        yield p + "ln_1.bias", zeros(d_model)
        yield p + "attn.c_attn.weight", normal(d_model, 3 * d_model)
        yield p + "attn.c_attn.bias", zeros(3 * d_model)
        yield p + "attn.c_proj.weight", normal(d_model, d_model)
        yield p + "attn.c_proj.bias", zeros(d_model)
        yield p + "ln_2.weight", ones(d_model)
        yield p + "ln_2.bias", zeros(d_model)
        yield p + "mlp.c_fc.weight", normal(d_model, d_mlp)
        yield p + "mlp.c_fc.bias", zeros(d_mlp)
        yield p + "mlp.c_proj.weight", normal(d_mlp, d_model)
        yield p + "mlp.c_proj.bias", zeros(d_model)
    yield "ln_f.weight", ones(d_model)
    yield "ln_f.bias", zeros(d_model)


def to_bf16(array):
    """The float32 array rounded to bfloat16 (nearest, ties to even), as little-endian uint16."""
    bits = array.astype("<f4").view("<u4").astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")


def write_safetensors(path, named, dtype):
    header, offset = {}, 0
    for name, array in named:
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, array in named:
            f.write(array.tobytes())


def main():
    if len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[4] not in ("f32", "bf16")):
        sys.exit("usage: make-checkpoint.py OUT_DIR N_LAYERS D_MODEL [f32|bf16]")
    out, n_layers, d_model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    bf16 = len(sys.argv) == 5 and sys.argv[4] == "bf16"
    if n_layers < 1 or d_model < D_HEAD or d_model % D_HEAD:
        sys.exit(f"make-checkpoint: expected n_layers >= 1 and d_model a multiple of {D_HEAD}")
    os.makedirs(out, exist_ok=True)
    config = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB,
        "n_positions": N_CTX, "n_ctx": N_CTX, "n_embd": d_model, "n_layer": n_layers,
        "n_head": d_model // D_HEAD, "n_inner": 4 * d_model, "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5, "tie_word_embeddings": True, "torch_dtype": "bfloat16" if bf16 else "float32",
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    named = list(tensors(n_layers, d_model, np.random.default_rng(SEED)))
    if bf16:
        named = [(name, to_bf16(array)) for name, array in named]
    write_safetensors(os.path.join(out, "model.safetensors"), named, "BF16" if bf16 else "F32")
    params = sum(a.size for _, a in named)
    print(json.dumps({"dir": out, "n_layers": n_layers, "d_model": d_model, "parameters": params,
                      "dtype": "BF16" if bf16 else "F32"}))


if __name__ == "__main__":
    main()
