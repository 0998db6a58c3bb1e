"""Hugging Face files for a trained checkpoint: model.safetensors (exact HF
tensor names and layouts), config.json (HF keys), tokenizer.json (WordLevel,
WhitespaceSplit, [UNK]); and the reverse (load_shipped) for evaluation.

safetensors layout, written by hand: 8-byte little-endian header length N,
N bytes of JSON padded with spaces to a multiple of 8, then the f32 tensors
tiled in header order with no gaps.

GPT-2 (Conv1D layout, [in, out]):
  transformer.wte.weight [V, d], transformer.wpe.weight [n_ctx, d],
  transformer.h.{l}.ln_1.{weight,bias}, .attn.c_attn.{weight [d, 3d], bias [3d]},
  .attn.c_proj.{weight [d, d], bias}, .ln_2.*, .mlp.c_fc.{weight [d, d_mlp], bias},
  .mlp.c_proj.{weight [d_mlp, d], bias}, transformer.ln_f.* (lm_head tied to wte).
LLaMA (nn.Linear layout, [out, in]):
  model.embed_tokens.weight, model.layers.{l}.self_attn.{q,k,v,o}_proj.weight,
  .mlp.{gate,up,down}_proj.weight, .input_layernorm.weight,
  .post_attention_layernorm.weight, model.norm.weight, lm_head.weight.

Not responsible for ONNX (onnx_export.py) or training (train.py).
"""

import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world as W  # noqa: E402
from model import Decoder  # noqa: E402

EOS_ID = 1


# --- tensor naming -----------------------------------------------------------

def hf_tensors(model):
    """Ordered list of (HF name, numpy f32 array) for a Decoder."""
    cfg, out = model.cfg, []
    t = lambda x: x.detach().cpu().float().numpy()  # noqa: E731
    if cfg["arch"] == "gpt2":
        out += [("transformer.wte.weight", t(model.wte.weight)), ("transformer.wpe.weight", t(model.wpe.weight))]
        for l, b in enumerate(model.blocks):
            p = f"transformer.h.{l}."
            qkv_w = torch.cat([b.q.weight, b.k.weight, b.v.weight], 0).t()
            qkv_b = torch.cat([b.q.bias, b.k.bias, b.v.bias], 0)
            out += [(p + "ln_1.weight", t(b.ln_1.weight)), (p + "ln_1.bias", t(b.ln_1.bias)),
                    (p + "attn.c_attn.weight", t(qkv_w)), (p + "attn.c_attn.bias", t(qkv_b)),
                    (p + "attn.c_proj.weight", t(b.o.weight.t())), (p + "attn.c_proj.bias", t(b.o.bias)),
                    (p + "ln_2.weight", t(b.ln_2.weight)), (p + "ln_2.bias", t(b.ln_2.bias)),
                    (p + "mlp.c_fc.weight", t(b.fc.weight.t())), (p + "mlp.c_fc.bias", t(b.fc.bias)),
                    (p + "mlp.c_proj.weight", t(b.down.weight.t())), (p + "mlp.c_proj.bias", t(b.down.bias))]
        out += [("transformer.ln_f.weight", t(model.ln_f.weight)), ("transformer.ln_f.bias", t(model.ln_f.bias))]
    else:
        out.append(("model.embed_tokens.weight", t(model.wte.weight)))
        for l, b in enumerate(model.blocks):
            p = f"model.layers.{l}."
            out += [(p + "self_attn.q_proj.weight", t(b.q.weight)), (p + "self_attn.k_proj.weight", t(b.k.weight)),
                    (p + "self_attn.v_proj.weight", t(b.v.weight)), (p + "self_attn.o_proj.weight", t(b.o.weight)),
                    (p + "mlp.gate_proj.weight", t(b.gate.weight)), (p + "mlp.up_proj.weight", t(b.up.weight)),
                    (p + "mlp.down_proj.weight", t(b.down.weight)),
                    (p + "input_layernorm.weight", t(b.ln_1.weight)),
                    (p + "post_attention_layernorm.weight", t(b.ln_2.weight))]
        out += [("model.norm.weight", t(model.ln_f.weight)), ("lm_head.weight", t(model.lm_head.weight))]
    return out


def load_hf_tensors(model, tensors):
    """Inverse of hf_tensors: copy a name -> array dict into a Decoder."""
    cfg, d = model.cfg, model.cfg["d_model"]
    T = lambda name: torch.from_numpy(np.array(tensors[name], dtype=np.float32))  # noqa: E731
    with torch.no_grad():
        if cfg["arch"] == "gpt2":
            model.wte.weight.copy_(T("transformer.wte.weight"))
            model.wpe.weight.copy_(T("transformer.wpe.weight"))
            for l, b in enumerate(model.blocks):
                p = f"transformer.h.{l}."
                w, bias = T(p + "attn.c_attn.weight").t(), T(p + "attn.c_attn.bias")
                for i, lin in enumerate([b.q, b.k, b.v]):
                    lin.weight.copy_(w[i * d:(i + 1) * d])
                    lin.bias.copy_(bias[i * d:(i + 1) * d])
                b.o.weight.copy_(T(p + "attn.c_proj.weight").t())
                b.o.bias.copy_(T(p + "attn.c_proj.bias"))
                b.fc.weight.copy_(T(p + "mlp.c_fc.weight").t())
                b.fc.bias.copy_(T(p + "mlp.c_fc.bias"))
                b.down.weight.copy_(T(p + "mlp.c_proj.weight").t())
                b.down.bias.copy_(T(p + "mlp.c_proj.bias"))
                for n in ("ln_1", "ln_2"):
                    getattr(b, n).weight.copy_(T(p + n + ".weight"))
                    getattr(b, n).bias.copy_(T(p + n + ".bias"))
            model.ln_f.weight.copy_(T("transformer.ln_f.weight"))
            model.ln_f.bias.copy_(T("transformer.ln_f.bias"))
        else:
            model.wte.weight.copy_(T("model.embed_tokens.weight"))
            for l, b in enumerate(model.blocks):
                p = f"model.layers.{l}."
                for lin, n in [(b.q, "self_attn.q_proj"), (b.k, "self_attn.k_proj"), (b.v, "self_attn.v_proj"),
                               (b.o, "self_attn.o_proj"), (b.gate, "mlp.gate_proj"), (b.up, "mlp.up_proj"),
                               (b.down, "mlp.down_proj")]:
                    lin.weight.copy_(T(p + n + ".weight"))
                b.ln_1.weight.copy_(T(p + "input_layernorm.weight"))
                b.ln_2.weight.copy_(T(p + "post_attention_layernorm.weight"))
            model.ln_f.weight.copy_(T("model.norm.weight"))
            model.lm_head.weight.copy_(T("lm_head.weight"))


# --- safetensors -------------------------------------------------------------

def bf16_bits(arr):
    """float32 -> bfloat16 bit patterns (uint16), rounded to nearest even."""
    bits = np.ascontiguousarray(arr, dtype="<f4").view("<u4").astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")


def safetensors_bytes(named, dtype="F32"):
    """A safetensors file of (name, float32 array) pairs, stored as F32 or BF16."""
    width = {"F32": 4, "BF16": 2}[dtype]
    header, offset = {}, 0
    for name, arr in named:
        n = arr.size * width
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    encode = (lambda a: np.ascontiguousarray(a, dtype="<f4").tobytes()) if dtype == "F32" else (lambda a: bf16_bits(a).tobytes())
    body = b"".join(encode(arr) for _, arr in named)
    return struct.pack("<Q", len(text)) + text + body


def read_safetensors(path):
    """{name: float32 array}; BF16 tensors are widened."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] in ("F32", "BF16"), (name, spec["dtype"])
        a, b = spec["data_offsets"]
        raw = data[8 + n + a:8 + n + b]
        if spec["dtype"] == "F32":
            out[name] = np.frombuffer(raw, dtype="<f4").reshape(spec["shape"])
        else:
            out[name] = (np.frombuffer(raw, dtype="<u2").astype("<u4") << 16).view("<f4").reshape(spec["shape"])
    return out


# --- config.json and tokenizer.json ------------------------------------------

def hf_config(cfg):
    common = {"vocab_size": cfg["vocab_size"], "bos_token_id": EOS_ID, "eos_token_id": EOS_ID,
              "torch_dtype": "float32", "transformers_version": "4.40.0"}
    if cfg["arch"] == "gpt2":
        return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_positions": cfg["n_ctx"],
                "n_ctx": cfg["n_ctx"], "n_embd": cfg["d_model"], "n_layer": cfg["n_layers"],
                "n_head": cfg["n_heads"], "n_inner": cfg["d_mlp"], "activation_function": "gelu_new",
                "layer_norm_epsilon": cfg["eps"], "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
                "initializer_range": 0.02, "scale_attn_weights": True, "tie_word_embeddings": True, **common}
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": cfg["d_model"],
            "intermediate_size": cfg["d_mlp"], "num_hidden_layers": cfg["n_layers"],
            "num_attention_heads": cfg["n_heads"], "num_key_value_heads": cfg["n_heads"],
            "head_dim": cfg["d_model"] // cfg["n_heads"], "max_position_embeddings": cfg["n_ctx"],
            "rms_norm_eps": cfg["eps"], "rope_theta": cfg["rope_theta"], "rope_scaling": None,
            "hidden_act": "silu", "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": False,
            "initializer_range": 0.02, **common}


def tokenizer_json(vocab_list):
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(vocab_list) if t in W.SPECIALS]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None,
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": {t: i for i, t in enumerate(vocab_list)}, "unk_token": "[UNK]"}}


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def export_hf(model, out_dir, vocab_list=None, dtype="F32"):
    """model.safetensors (F32 or BF16), config.json and, given vocab_list (the
    world's tokens in id order), tokenizer.json."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.safetensors"), "wb") as f:
        f.write(safetensors_bytes(hf_tensors(model), dtype))
    config = hf_config(model.cfg)
    config["torch_dtype"] = {"F32": "float32", "BF16": "bfloat16"}[dtype]
    write_json(os.path.join(out_dir, "config.json"), config)
    if vocab_list is not None:
        write_json(os.path.join(out_dir, "tokenizer.json"), tokenizer_json(vocab_list))


def load_shipped(model_dir):
    """Decoder rebuilt from config.json + model.safetensors (what is shipped)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        hf = json.load(f)
    if hf["model_type"] == "gpt2":
        cfg = {"arch": "gpt2", "vocab_size": hf["vocab_size"], "d_model": hf["n_embd"], "n_layers": hf["n_layer"],
               "n_heads": hf["n_head"], "d_mlp": hf["n_inner"], "n_ctx": hf["n_positions"],
               "eps": hf["layer_norm_epsilon"], "rope_theta": 10000.0}
    else:
        cfg = {"arch": "llama", "vocab_size": hf["vocab_size"], "d_model": hf["hidden_size"],
               "n_layers": hf["num_hidden_layers"], "n_heads": hf["num_attention_heads"],
               "d_mlp": hf["intermediate_size"], "n_ctx": hf["max_position_embeddings"],
               "eps": hf["rms_norm_eps"], "rope_theta": hf["rope_theta"]}
    model = Decoder(cfg)
    load_hf_tensors(model, read_safetensors(os.path.join(model_dir, "model.safetensors")))
    model.eval()
    return model
