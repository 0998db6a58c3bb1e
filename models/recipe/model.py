"""GPT-2 and LLaMA style decoders in plain PyTorch, written so that their
parameters map one-to-one onto Hugging Face tensors (export.py) and their
forward pass exports to ONNX (onnx_export.py).

forward(ids, head_mask, mlp_mask) multiplies each head's output (before the
output projection) by head_mask[l, h] and each MLP's output by mlp_mask[l];
it returns the logits, every attention pattern and every residual stream
(hidden_states[l] = input of block l, hidden_states[n_layers] = output of the
last block, before the final norm).

Not responsible for training (train.py) or file formats (export.py).
"""

import math

import torch
import torch.nn as nn


def gelu_tanh(x):
    # GPT-2's "gelu_new", spelled out so that every exporter sees the same math.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class LayerNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = (x - mu).pow(2).mean(-1, keepdim=True)
        return (x - mu) * torch.rsqrt(var + self.eps) * self.weight + self.bias


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Block(nn.Module):
    """One pre-norm block. arch 'gpt2': LayerNorm, biases, GELU MLP;
    arch 'llama': RMSNorm, no biases, RoPE, SwiGLU MLP."""

    def __init__(self, cfg):
        super().__init__()
        d, bias = cfg["d_model"], cfg["arch"] == "gpt2"
        self.arch, self.n_heads, self.d_head = cfg["arch"], cfg["n_heads"], d // cfg["n_heads"]
        Norm = (lambda: LayerNorm(d, cfg["eps"])) if bias else (lambda: RMSNorm(d, cfg["eps"]))
        self.ln_1, self.ln_2 = Norm(), Norm()
        self.q = nn.Linear(d, d, bias=bias)
        self.k = nn.Linear(d, d, bias=bias)
        self.v = nn.Linear(d, d, bias=bias)
        self.o = nn.Linear(d, d, bias=bias)
        if self.arch == "gpt2":
            self.fc = nn.Linear(d, cfg["d_mlp"], bias=True)
        else:
            self.gate = nn.Linear(d, cfg["d_mlp"], bias=False)
            self.up = nn.Linear(d, cfg["d_mlp"], bias=False)
        self.down = nn.Linear(cfg["d_mlp"], d, bias=bias)

    def attention(self, x, cos, sin, causal, head_mask_l):
        B, T, d = x.shape
        H, dh = self.n_heads, self.d_head
        q = self.q(x).view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        k = self.k(x).view(B, T, H, dh).transpose(1, 2)
        v = self.v(x).view(B, T, H, dh).transpose(1, 2)
        if self.arch == "llama":
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh)
        scores = scores.masked_fill(causal, -1e9)
        pattern = torch.softmax(scores, dim=-1)  # (B, H, T, T)
        z = torch.matmul(pattern, v) * head_mask_l.view(1, H, 1, 1)  # (B, H, T, dh)
        return self.o(z.transpose(1, 2).reshape(B, T, d)), pattern

    def mlp(self, x):
        if self.arch == "gpt2":
            return self.down(gelu_tanh(self.fc(x)))
        g = self.gate(x)
        return self.down(g * torch.sigmoid(g) * self.up(x))

    def forward(self, x, cos, sin, causal, head_mask_l, mlp_mask_l):
        a, pattern = self.attention(self.ln_1(x), cos, sin, causal, head_mask_l)
        x = x + a
        x = x + self.mlp(self.ln_2(x)) * mlp_mask_l
        return x, pattern


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg["d_model"]
        self.wte = nn.Embedding(cfg["vocab_size"], d)
        if cfg["arch"] == "gpt2":
            self.wpe = nn.Embedding(cfg["n_ctx"], d)
            self.ln_f = LayerNorm(d, cfg["eps"])
        else:
            self.ln_f = RMSNorm(d, cfg["eps"])
            self.lm_head = nn.Linear(d, cfg["vocab_size"], bias=False)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["n_layers"])])
        self.apply(self._init)
        for b in self.blocks:  # GPT-2's scaled init of the residual projections
            nn.init.normal_(b.o.weight, std=0.02 / math.sqrt(2 * cfg["n_layers"]))
            nn.init.normal_(b.down.weight, std=0.02 / math.sqrt(2 * cfg["n_layers"]))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def rope(self, T, device):
        dh = self.cfg["d_model"] // self.cfg["n_heads"]
        inv = 1.0 / (self.cfg["rope_theta"] ** (torch.arange(0, dh, 2, dtype=torch.float32) / dh))
        t = torch.arange(T, dtype=torch.float32, device=device)
        freqs = t[:, None] * inv[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos(), emb.sin()

    def forward(self, ids, head_mask=None, mlp_mask=None, want_all=False):
        B, T = ids.shape
        L, H = self.cfg["n_layers"], self.cfg["n_heads"]
        if head_mask is None:
            head_mask = torch.ones(L, H)
        if mlp_mask is None:
            mlp_mask = torch.ones(L)
        x = self.wte(ids)
        if self.cfg["arch"] == "gpt2":
            x = x + self.wpe(torch.arange(T, device=ids.device))[None]
            cos = sin = None
        else:
            cos, sin = self.rope(T, ids.device)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool, device=ids.device), diagonal=1)
        hidden, patterns = [x], []
        for l, block in enumerate(self.blocks):
            x, p = block(x, cos, sin, causal, head_mask[l], mlp_mask[l])
            hidden.append(x)
            patterns.append(p)
        h = self.ln_f(x)
        logits = torch.matmul(h, self.wte.weight.t()) if self.cfg["arch"] == "gpt2" else self.lm_head(h)
        if want_all:
            return logits, patterns, hidden
        return logits

    def n_params(self):
        return sum(p.numel() for p in self.parameters())
