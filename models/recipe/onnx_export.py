"""model.onnx for ONNX Runtime Web, from the shipped HF files.

Inputs:  input_ids [1, seq] int64, head_mask [n_layers, n_heads] float32
         (multiplies each head's output before the output projection),
         mlp_mask [n_layers] float32 (multiplies each MLP's output).
Outputs: logits [1, seq, vocab], attentions [n_layers, n_heads, seq, seq],
         hidden_states [n_layers + 1, seq, d_model] (residual stream entering
         each block, then the last block's output before the final norm).

    /usr/bin/python3 models/recipe/onnx_export.py models/tiny-gpt2-world2

Not responsible for the HF files (export.py).
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import load_shipped  # noqa: E402

OPSET = 14


class OnnxForward(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, head_mask, mlp_mask):
        logits, patterns, hidden = self.model(input_ids, head_mask, mlp_mask, want_all=True)
        attentions = torch.stack([p[0] for p in patterns], 0)
        hidden_states = torch.stack([h[0] for h in hidden], 0)
        return logits, attentions, hidden_states


def export_onnx(model, path):
    model.eval()
    L, H = model.cfg["n_layers"], model.cfg["n_heads"]
    ids = torch.zeros(1, 16, dtype=torch.long)
    args = (ids, torch.ones(L, H), torch.ones(L))
    torch.onnx.export(OnnxForward(model), args, path, opset_version=OPSET,
                      input_names=["input_ids", "head_mask", "mlp_mask"],
                      output_names=["logits", "attentions", "hidden_states"],
                      dynamic_axes={"input_ids": {1: "seq"}, "logits": {1: "seq"},
                                    "attentions": {2: "seq", 3: "seq"}, "hidden_states": {1: "seq"}},
                      do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def check_with_ort_web(model, model_dir, root):
    """Run model.onnx in ONNX Runtime Web under node (check_ort.mjs) with a
    head and an MLP masked; return (ok, report line), or (None, reason)."""
    import json
    import shutil
    import subprocess
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(root, "node_modules", "onnxruntime-web")):
        return None, "node or onnxruntime-web not available"
    L, H = model.cfg["n_layers"], model.cfg["n_heads"]
    ids = [i % model.cfg["vocab_size"] for i in range(3, 16)]
    hm, mm = torch.ones(L, H), torch.ones(L)
    hm[L - 1, H - 1], mm[0] = 0.0, 0.0
    with torch.no_grad():
        last = model(torch.tensor([ids]), hm, mm)[0, -1].tolist()
    ref = os.path.join(model_dir, "..", f".ort-ref-{os.getpid()}.json")
    with open(ref, "w") as f:
        json.dump({"input_ids": ids, "head_mask": hm.tolist(), "mlp_mask": mm.tolist(), "logits_last": last}, f)
    try:
        r = subprocess.run([node, os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_ort.mjs"),
                            model_dir, ref], cwd=root, capture_output=True, text=True, timeout=300)
    finally:
        os.remove(ref)
    return r.returncode == 0, (r.stdout.strip() or r.stderr.strip()[-400:])


def main():
    model_dir = sys.argv[1]
    model = load_shipped(model_dir)
    path = os.path.join(model_dir, "model.onnx")
    export_onnx(model, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
