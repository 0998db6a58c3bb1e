"""model.onnx for ONNX Runtime Web, from the shipped HF files.

Inputs:  input_ids [1, seq] int64, head_mask [n_layers, n_heads] float32
         (multiplies each head's output before the output projection),
         mlp_mask [n_layers] float32 (multiplies each MLP's output).
Outputs: logits [1, seq, vocab], attentions [n_layers, n_heads, seq, seq],
         hidden_states [n_layers + 1, seq, d_model] (residual stream entering
         each block, then the last block's output before the final norm).

    /usr/bin/python3 models/recipe/onnx_export.py models/tiny-gpt2-world

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


def check_against_torch(model, path, seq=11):
    """Run the ONNX graph with onnx's reference evaluator when available;
    return the max |difference| of the logits, or None if no runtime."""
    try:
        import onnxruntime as ort  # noqa: F401
    except ImportError:
        return None
    sess = ort.InferenceSession(path)
    L, H = model.cfg["n_layers"], model.cfg["n_heads"]
    ids = np.arange(seq, dtype=np.int64)[None] % model.cfg["vocab_size"]
    hm = np.ones((L, H), np.float32)
    mm = np.ones(L, np.float32)
    out = sess.run(None, {"input_ids": ids, "head_mask": hm, "mlp_mask": mm})
    ref = model(torch.from_numpy(ids)).detach().numpy()
    return float(np.abs(out[0] - ref).max())


def main():
    model_dir = sys.argv[1]
    model = load_shipped(model_dir)
    path = os.path.join(model_dir, "model.onnx")
    export_onnx(model, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
