"""Reference forward passes for the parity test, written in torch from the math.

This module is an independent statement of the GPT-2 and LLaMA/Qwen2
architectures as Hugging Face defines them, used to produce the golden
activations that the C++ engine is compared against. It records every hook
point under its TransformerLens name, with the shapes listed in
src/model/hooks.h (no batch dimension):

  hook_embed, hook_pos_embed (gpt2)               [pos, d_model]
  blocks.{l}.hook_resid_pre / hook_resid_mid / hook_resid_post
  blocks.{l}.ln1.hook_normalized / ln2.hook_normalized  (weight and bias applied)
  blocks.{l}.attn.hook_q                           [pos, n_heads, d_head]
  blocks.{l}.attn.hook_k / hook_v                  [pos, n_kv_heads, d_head]  (before RoPE)
  blocks.{l}.attn.hook_rot_q / hook_rot_k          after RoPE (llama family)
  blocks.{l}.attn.hook_attn_scores                 [n_heads, pos, pos] scaled, -inf above the diagonal
  blocks.{l}.attn.hook_pattern                     [n_heads, pos, pos]
  blocks.{l}.attn.hook_z                           [pos, n_heads, d_head]
  blocks.{l}.hook_attn_out, blocks.{l}.hook_mlp_out [pos, d_model]
  blocks.{l}.mlp.hook_pre                          [pos, d_mlp] (gate pre-activation for llama)
  blocks.{l}.mlp.hook_pre_linear                   [pos, d_mlp] (llama: up projection)
  blocks.{l}.mlp.hook_post                         [pos, d_mlp]
  ln_final.hook_normalized                         [pos, d_model]

Weights are passed as a dict keyed by Hugging Face tensor names (GPT-2 names
without the "transformer." prefix). Everything is computed in float64 by
default, so the golden values carry no rounding error of their own beyond the
final conversion to f32.

It is not a general model runner: one prompt, no batch, no cache, no padding.
"""

import math

import torch


# --- shared pieces ---------------------------------------------------------


def causal_scores(q, k):
    """q: [pos, n_heads, d_head], k: [pos, n_heads, d_head] -> scaled scores
    [n_heads, pos, pos] with -inf above the diagonal."""
    n_pos, _, d_head = q.shape
    scores = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(d_head)
    future = torch.triu(torch.ones(n_pos, n_pos, dtype=torch.bool), diagonal=1)
    return scores.masked_fill(future, float("-inf"))


def attend(scores, v):
    """scores [n_heads, pos, pos], v [pos, n_heads, d_head] -> (pattern, z [pos, n_heads, d_head])."""
    pattern = torch.softmax(scores, dim=-1)
    z = torch.einsum("hqk,khd->qhd", pattern, v)
    return pattern, z


def layer_norm(x, weight, bias, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def rms_norm(x, weight, eps):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps) * weight


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def silu(x):
    return x * torch.sigmoid(x)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rope_cos_sin(n_pos, d_head, theta, dtype):
    inv_freq = 1.0 / (theta ** (torch.arange(0, d_head, 2, dtype=torch.float64) / d_head))
    freqs = torch.outer(torch.arange(n_pos, dtype=torch.float64), inv_freq)  # [pos, d_head/2]
    emb = torch.cat([freqs, freqs], dim=-1)  # [pos, d_head]
    return emb.cos().to(dtype)[:, None, :], emb.sin().to(dtype)[:, None, :]


def apply_rope(x, cos, sin):
    """x: [pos, heads, d_head]; rotate-half convention of the Hugging Face LLaMA."""
    return x * cos + rotate_half(x) * sin


def repeat_kv(x, n_heads):
    """[pos, n_kv_heads, d_head] -> [pos, n_heads, d_head]: query head h reads
    key/value head h // (n_heads / n_kv_heads)."""
    n_kv = x.shape[1]
    return x.repeat_interleave(n_heads // n_kv, dim=1)


def _weights_as(weights, dtype):
    return {name: t.to(dtype) for name, t in weights.items()}


def _check_tokens(tokens, vocab):
    ids = torch.tensor(tokens, dtype=torch.long)
    if ids.ndim != 1 or ids.numel() == 0 or int(ids.min()) < 0 or int(ids.max()) >= vocab:
        raise ValueError(f"tokens must be a non-empty list of ids below {vocab}, got {tokens}")
    return ids


# --- GPT-2 -----------------------------------------------------------------


def gpt2_forward(config, weights, tokens, dtype=torch.float64):
    """config: GPT-2 config.json dict; weights: HF names without "transformer."
    (Conv1D weights [in, out]). Returns (logits [pos, vocab], hooks dict)."""
    w = _weights_as(weights, dtype)
    d_model, n_heads = config["n_embd"], config["n_head"]
    d_head = d_model // n_heads
    eps = config["layer_norm_epsilon"]
    ids = _check_tokens(tokens, config["vocab_size"])
    n_pos = ids.numel()
    hooks = {}

    embed = w["wte.weight"][ids]
    pos_embed = w["wpe.weight"][:n_pos]
    hooks["hook_embed"] = embed
    hooks["hook_pos_embed"] = pos_embed
    resid = embed + pos_embed

    for l in range(config["n_layer"]):
        p = f"h.{l}."
        b = f"blocks.{l}."
        hooks[b + "hook_resid_pre"] = resid

        x = layer_norm(resid, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        hooks[b + "ln1.hook_normalized"] = x
        qkv = x @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (t.reshape(n_pos, n_heads, d_head) for t in qkv.split(d_model, dim=-1))
        hooks[b + "attn.hook_q"] = q
        hooks[b + "attn.hook_k"] = k
        hooks[b + "attn.hook_v"] = v
        scores = causal_scores(q, k)
        pattern, z = attend(scores, v)
        hooks[b + "attn.hook_attn_scores"] = scores
        hooks[b + "attn.hook_pattern"] = pattern
        hooks[b + "attn.hook_z"] = z
        attn_out = z.reshape(n_pos, d_model) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        hooks[b + "hook_attn_out"] = attn_out
        resid = resid + attn_out
        hooks[b + "hook_resid_mid"] = resid

        x = layer_norm(resid, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        hooks[b + "ln2.hook_normalized"] = x
        pre = x @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]
        post = gelu_new(pre)
        hooks[b + "mlp.hook_pre"] = pre
        hooks[b + "mlp.hook_post"] = post
        mlp_out = post @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        hooks[b + "hook_mlp_out"] = mlp_out
        resid = resid + mlp_out
        hooks[b + "hook_resid_post"] = resid

    x = layer_norm(resid, w["ln_f.weight"], w["ln_f.bias"], eps)
    hooks["ln_final.hook_normalized"] = x
    logits = x @ w["wte.weight"].T
    return logits, hooks


# --- LLaMA / Qwen2 ---------------------------------------------------------


def llama_forward(config, weights, tokens, dtype=torch.float64):
    """config: LLaMA or Qwen2 config.json dict; weights: HF names (nn.Linear
    weights [out, in]). Qwen2 q/k/v biases are used when present. Returns
    (logits [pos, vocab], hooks dict)."""
    w = _weights_as(weights, dtype)
    d_model = config["hidden_size"]
    n_heads = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_heads
    d_head = d_model // n_heads
    eps = config["rms_norm_eps"]
    ids = _check_tokens(tokens, config["vocab_size"])
    n_pos = ids.numel()
    cos, sin = rope_cos_sin(n_pos, d_head, config.get("rope_theta", 10000.0), dtype)
    hooks = {}

    def linear(x, name):
        y = x @ w[name + ".weight"].T
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        return y

    resid = w["model.embed_tokens.weight"][ids]
    hooks["hook_embed"] = resid

    for l in range(config["num_hidden_layers"]):
        p = f"model.layers.{l}."
        b = f"blocks.{l}."
        hooks[b + "hook_resid_pre"] = resid

        x = rms_norm(resid, w[p + "input_layernorm.weight"], eps)
        hooks[b + "ln1.hook_normalized"] = x
        q = linear(x, p + "self_attn.q_proj").reshape(n_pos, n_heads, d_head)
        k = linear(x, p + "self_attn.k_proj").reshape(n_pos, n_kv, d_head)
        v = linear(x, p + "self_attn.v_proj").reshape(n_pos, n_kv, d_head)
        hooks[b + "attn.hook_q"] = q
        hooks[b + "attn.hook_k"] = k
        hooks[b + "attn.hook_v"] = v
        rot_q, rot_k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        hooks[b + "attn.hook_rot_q"] = rot_q
        hooks[b + "attn.hook_rot_k"] = rot_k
        scores = causal_scores(rot_q, repeat_kv(rot_k, n_heads))
        pattern, z = attend(scores, repeat_kv(v, n_heads))
        hooks[b + "attn.hook_attn_scores"] = scores
        hooks[b + "attn.hook_pattern"] = pattern
        hooks[b + "attn.hook_z"] = z
        attn_out = linear(z.reshape(n_pos, n_heads * d_head), p + "self_attn.o_proj")
        hooks[b + "hook_attn_out"] = attn_out
        resid = resid + attn_out
        hooks[b + "hook_resid_mid"] = resid

        x = rms_norm(resid, w[p + "post_attention_layernorm.weight"], eps)
        hooks[b + "ln2.hook_normalized"] = x
        gate = linear(x, p + "mlp.gate_proj")
        up = linear(x, p + "mlp.up_proj")
        post = silu(gate) * up
        hooks[b + "mlp.hook_pre"] = gate
        hooks[b + "mlp.hook_pre_linear"] = up
        hooks[b + "mlp.hook_post"] = post
        mlp_out = linear(post, p + "mlp.down_proj")
        hooks[b + "hook_mlp_out"] = mlp_out
        resid = resid + mlp_out
        hooks[b + "hook_resid_post"] = resid

    x = rms_norm(resid, w["model.norm.weight"], eps)
    hooks["ln_final.hook_normalized"] = x
    unembed = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    logits = x @ unembed.T
    return logits, hooks


def forward(config, weights, tokens, dtype=torch.float64):
    """Dispatches on config["model_type"]. GPT-2 weights may carry the
    "transformer." prefix; it is stripped here."""
    if config["model_type"] == "gpt2":
        bare = {n[len("transformer."):] if n.startswith("transformer.") else n: t for n, t in weights.items()}
        return gpt2_forward(config, bare, tokens, dtype)
    if config["model_type"] in ("llama", "qwen2"):
        return llama_forward(config, weights, tokens, dtype)
    raise ValueError(f"unsupported model_type {config['model_type']!r}")


# --- self-checks -----------------------------------------------------------


def _check(condition, message):
    if not condition:
        raise AssertionError(message)


def self_check(config, weights, prompts):
    """Invariants the reference must satisfy on any model: patterns are causal
    and rows sum to 1, a one-token prompt attends to itself with weight 1,
    the residual stream adds up, each prompt's prefix gives the same
    activations as the prompt alone, and f32 agrees with f64."""
    for tokens in prompts:
        logits, hooks = forward(config, weights, tokens)
        n_pos = len(tokens)
        _check(logits.shape == (n_pos, config["vocab_size"]), f"logits shape {tuple(logits.shape)}")
        _check(torch.isfinite(logits).all(), "logits are finite")
        for name, t in hooks.items():
            if name.endswith("hook_pattern"):
                _check(torch.allclose(t.sum(-1), torch.ones_like(t.sum(-1)), atol=1e-12), f"{name} rows sum to 1")
                _check((t.triu(1) == 0).all(), f"{name} is causal")
                if n_pos == 1:
                    _check((t == 1).all(), f"{name} of a one-token prompt is 1")
            elif name.endswith("hook_attn_scores"):
                upper = torch.triu(torch.ones(n_pos, n_pos, dtype=torch.bool), 1)
                _check(torch.isinf(t[:, upper]).all() and torch.isfinite(t[:, ~upper]).all(), f"{name} mask")
            else:
                _check(torch.isfinite(t).all(), f"{name} is finite")
        for l in range(_n_layers(config)):
            b = f"blocks.{l}."
            mid = hooks[b + "hook_resid_pre"] + hooks[b + "hook_attn_out"]
            post = hooks[b + "hook_resid_mid"] + hooks[b + "hook_mlp_out"]
            _check(torch.allclose(mid, hooks[b + "hook_resid_mid"]), f"{b}hook_resid_mid adds up")
            _check(torch.allclose(post, hooks[b + "hook_resid_post"]), f"{b}hook_resid_post adds up")
        if n_pos > 1:  # causality: the first n-1 positions do not see the last token
            prefix_logits, _ = forward(config, weights, tokens[:-1])
            _check(torch.allclose(prefix_logits, logits[:-1], atol=1e-10), "prefix gives the same logits")
        f32_logits, _ = forward(config, weights, tokens, dtype=torch.float32)
        _check(torch.allclose(f32_logits.double(), logits, atol=1e-4), "f32 and f64 agree")


def check_gqa_equals_mha(config, weights, tokens):
    """A grouped-query model equals the plain multi-head model whose k/v
    projections repeat each key/value head for its group of query heads."""
    n_heads = config["num_attention_heads"]
    n_kv = config["num_key_value_heads"]
    d_head = config["hidden_size"] // n_heads
    mha_config = dict(config, num_key_value_heads=n_heads)
    mha = dict(weights)
    for name, t in weights.items():
        if any(name.endswith(f"self_attn.{x}_proj.{kind}") for x in "kv" for kind in ("weight", "bias")):
            rows = t.reshape(n_kv, d_head, *t.shape[1:])
            mha[name] = rows.repeat_interleave(n_heads // n_kv, dim=0).reshape(n_heads * d_head, *t.shape[1:])
    logits_gqa, hooks_gqa = forward(config, weights, tokens)
    logits_mha, hooks_mha = forward(mha_config, mha, tokens)
    _check(torch.allclose(logits_gqa, logits_mha, atol=1e-12), "GQA logits equal MHA logits")
    for l in range(config["num_hidden_layers"]):
        name = f"blocks.{l}.attn.hook_pattern"
        _check(torch.allclose(hooks_gqa[name], hooks_mha[name], atol=1e-12), f"{name}: GQA equals MHA")


def check_rope_relative(config):
    """RoPE makes q.k depend only on the distance between positions."""
    d_head = config["hidden_size"] // config["num_attention_heads"]
    cos, sin = rope_cos_sin(16, d_head, config.get("rope_theta", 10000.0), torch.float64)
    gen = torch.Generator().manual_seed(7)
    q = torch.randn(1, 1, d_head, generator=gen, dtype=torch.float64)
    k = torch.randn(1, 1, d_head, generator=gen, dtype=torch.float64)

    def dot(i, j):
        return float((apply_rope(q, cos[i:i + 1], sin[i:i + 1]) * apply_rope(k, cos[j:j + 1], sin[j:j + 1])).sum())

    _check(abs(dot(5, 2) - dot(13, 10)) < 1e-9, "RoPE scores depend on relative position only")
    _check(abs(dot(0, 0) - float((q * k).sum())) < 1e-12, "RoPE at position 0 is the identity")


def _n_layers(config):
    return config["n_layer"] if config["model_type"] == "gpt2" else config["num_hidden_layers"]
