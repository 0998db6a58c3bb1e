#!/usr/bin/python3
"""Writes the malformed files of tests/data/bad: one file per error class of
the safetensors reader (safetensors-*.safetensors), the strict JSON parser
(json-*.json) and the config.json reader (config-*.json).

tests/unit/{safetensors,json-reader,model-config}-test.cpp expect each file to
fail with a message naming its problem; the fuzz targets can use the folder
as seeds. Run from anywhere: /usr/bin/python3 tests/data/bad/make-bad-files.py
The output is deterministic; commit it together with this script.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# --- safetensors -----------------------------------------------------------

def raw_safetensors(header_bytes, data=b"", length=None):
    """8-byte little-endian length, header bytes, data; `length` overrides N."""
    n = len(header_bytes) if length is None else length
    return struct.pack("<Q", n) + header_bytes + data


def safetensors(header, data=b"", pad=True):
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad:
        text += b" " * (-len(text) % 8)
    return raw_safetensors(text, data)


def f32_entry(shape, begin, end, dtype="F32"):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def safetensors_files():
    zeros = lambda n: b"\0" * n  # noqa: E731
    ok_entry = f32_entry([2], 0, 8)
    files = {
        # rule 1: the header length
        "too-short": b"\x10\0\0\0\0",
        "header-length-over-cap": raw_safetensors(b"{}", length=1 << 40),
        "header-length-past-end": raw_safetensors(b"{}      ", length=200),
        "header-length-overflow": raw_safetensors(b"{}      ", length=(1 << 64) - 1),
        # rule 2: the header text
        "header-empty": raw_safetensors(b""),
        "header-not-object": raw_safetensors(b"[1, 2]  "),
        "header-only-spaces": raw_safetensors(b"        "),
        "header-syntax-error": raw_safetensors(b'{"a": {"dtype": "F32",, }}    '),
        "header-invalid-utf8": raw_safetensors(b'{"w\xff": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}  '),
        "header-too-deep": safetensors({"__metadata__": {"a": [[[[[[[["x"]]]]]]]]}}),
        # rule 3
        "duplicate-tensor": raw_safetensors(
            b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
            b'"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}', zeros(16)),
        # rule 4: fields
        "tensor-not-object": safetensors({"w": [0, 8]}, zeros(8)),
        "dtype-unknown": safetensors({"w": f32_entry([2], 0, 8, "F128")}, zeros(8)),
        "dtype-missing": safetensors({"w": {"shape": [2], "data_offsets": [0, 8]}}, zeros(8)),
        "dtype-not-string": safetensors({"w": {"dtype": 4, "shape": [2], "data_offsets": [0, 8]}}, zeros(8)),
        "shape-negative": safetensors({"w": f32_entry([2, -1], 0, 8)}, zeros(8)),
        "shape-not-integer": safetensors({"w": f32_entry([2.5], 0, 8)}, zeros(8)),
        "shape-not-array": safetensors({"w": f32_entry(2, 0, 8)}, zeros(8)),
        "shape-rank-over-cap": safetensors({"w": f32_entry([1] * 9 + [2], 0, 8)}, zeros(8)),
        "offsets-missing": safetensors({"w": {"dtype": "F32", "shape": [2]}}, zeros(8)),
        "offsets-three-values": safetensors({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 16]}},
                                            zeros(8)),
        "offsets-negative": safetensors({"w": f32_entry([2], -8, 0)}, zeros(8)),
        "offsets-not-integer": safetensors({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, "8"]}},
                                           zeros(8)),
        "offsets-reversed": safetensors({"w": f32_entry([0], 8, 0)}, zeros(8)),
        "metadata-not-object": safetensors({"__metadata__": ["pt"], "w": ok_entry}, zeros(8)),
        "metadata-value-not-string": safetensors({"__metadata__": {"format": "pt", "step": 3}, "w": ok_entry},
                                                 zeros(8)),
        # rule 5: tiling
        "first-begin-not-zero": safetensors({"w": f32_entry([2], 4, 12)}, zeros(12)),
        "overlap": safetensors({"a": f32_entry([2], 0, 8), "b": f32_entry([2], 4, 12)}, zeros(12)),
        "hole": safetensors({"a": f32_entry([2], 0, 8), "b": f32_entry([2], 12, 20)}, zeros(20)),
        "trailing-bytes": safetensors({"w": ok_entry}, zeros(8) + b"appended"),
        "truncated": safetensors({"a": f32_entry([2], 0, 8), "b": f32_entry([4], 8, 24)}, zeros(20)),
        # rule 6: sizes
        "size-mismatch": safetensors({"h.0.attn.c_attn.weight": f32_entry([4, 8], 0, 96)}, zeros(96)),
        "shape-overflow": safetensors({"w": f32_entry([1 << 62, 1 << 62], 0, 8)}, zeros(8)),
        "shape-bytes-overflow": safetensors({"w": f32_entry([1 << 62], 0, 8)}, zeros(8)),
        # a dtype read_f32 does not convert (the file itself is valid)
        "dtype-not-float": safetensors({"ids": f32_entry([2], 0, 16, "I64")}, zeros(16)),
    }
    for name, data in files.items():
        write("safetensors-" + name + ".safetensors", data)


# --- strict JSON -----------------------------------------------------------

def json_files():
    files = {
        "duplicate-key": '{"n_layer": 2, "n_embd": 8, "n_layer": 3}\n',
        "duplicate-key-nested": '{"a": [1, {"b": {"c": 1, "c": 2}}]}\n',
        "too-deep": "[" * 65 + "]" * 65 + "\n",
        "invalid-utf8": b'{"name": "caf\xc3("}\n',
        "overlong-utf8": b'{"name": "\xc0\xaf"}\n',
        "syntax-error": '{"n_layer": 2,, "n_embd": 8}\n',
        "trailing-garbage": '{"n_layer": 2} {"n_embd": 8}\n',
        "unterminated": '{"n_layer": [1, 2\n',
        "number-overflow": '{"rope_theta": 1e400}\n',
    }
    for name, data in files.items():
        write("json-" + name + ".json", data)


# --- config.json -----------------------------------------------------------

GPT2 = {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
        "vocab_size": 50257}
LLAMA = {"architectures": ["LlamaForCausalLM"], "hidden_act": "silu", "hidden_size": 2048,
         "intermediate_size": 5632, "max_position_embeddings": 2048, "model_type": "llama",
         "num_attention_heads": 32, "num_hidden_layers": 22, "num_key_value_heads": 4, "rms_norm_eps": 1e-05,
         "rope_scaling": None, "tie_word_embeddings": False, "vocab_size": 32000}


def config_files():
    files = {
        "unknown-model-type": {**GPT2, "model_type": "bert"},
        "missing-model-type": {k: v for k, v in GPT2.items() if k != "model_type"},
        "not-object": ["gpt2"],
        "layers-not-integer": {**GPT2, "n_layer": "12"},
        "layers-zero": {**GPT2, "n_layer": 0},
        "missing-vocab": {k: v for k, v in GPT2.items() if k != "vocab_size"},
        "gpt2-activation": {**GPT2, "activation_function": "relu"},
        "gpt2-heads-not-dividing": {**GPT2, "n_head": 7},
        "llama-rope-scaling": {**LLAMA, "rope_scaling": {"type": "linear", "factor": 2.0}},
        "llama-hidden-act": {**LLAMA, "hidden_act": "gelu"},
        "llama-kv-heads-not-dividing": {**LLAMA, "num_key_value_heads": 5},
        "llama-eps-zero": {**LLAMA, "rms_norm_eps": 0},
        "vocab-too-large": {**LLAMA, "vocab_size": 1000001},
    }
    for name, data in files.items():
        write("config-" + name + ".json", json.dumps(data, indent=2) + "\n")
    write("config-duplicate-key.json", '{"model_type": "gpt2", "n_layer": 12, "n_layer": 24}\n')


if __name__ == "__main__":
    safetensors_files()
    json_files()
    config_files()
