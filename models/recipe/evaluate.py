"""PyTorch evaluation of a shipped model on its suite, item by item.

    /usr/bin/python3 models/recipe/evaluate.py models/tiny-gpt2-world2

Loads what is shipped (config.json, model.safetensors, tokenizer.json,
suite.json), predicts the greedy next token after every prompt and its
corrupt prompt, and writes eval-torch.json:
  {"model", "backend": "torch", "suite_sha256",
   "by_kind": {kind: {"family", "optional", "splits": {split: {"n", "correct", "accuracy"}}}},
              (a conflict kind's splits add "memory" and "memory_rate")
   "ablations": {"attn" | "mlp": [per layer: {kind: heldout-or-trained accuracy}]},
   "items": [{"id", "predicted", "correct", "corrupt_predicted", "margin"}]}
margin = top logit minus runner-up logit (a near-tie flags an item where a
second engine may legitimately disagree).

Not responsible for training or export.
"""

import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import load_shipped  # noqa: E402


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_vocab(model_dir):
    with open(os.path.join(model_dir, "tokenizer.json")) as f:
        return json.load(f)["model"]["vocab"]


def run(model, vocab, prompts, head_mask=None, mlp_mask=None, batch=256):
    """(predicted ids, margins) for a list of whitespace-separated prompts."""
    unk = vocab["[UNK]"]
    preds, margins = [], []
    with torch.no_grad():
        for i in range(0, len(prompts), batch):
            ids = torch.tensor([[vocab.get(t, unk) for t in p.split()] for p in prompts[i:i + batch]])
            logits = model(ids, head_mask, mlp_mask)[:, -1, :]
            top = torch.topk(logits, 2, dim=-1).values
            preds += logits.argmax(-1).tolist()
            margins += (top[:, 0] - top[:, 1]).tolist()
    return preds, margins


def accuracy_table(suite, predicted):
    """By kind and split: n, correct, accuracy; a conflict kind also counts the
    answers that follow memory (memory, memory_rate), as `strata eval` does."""
    by_kind = {}
    for item, word in zip(suite["items"], predicted):
        spec = suite["kinds"][item["kind"]]
        k = by_kind.setdefault(item["kind"], {"family": spec["family"], "optional": spec["optional"], "splits": {}})
        s = k["splits"].setdefault(item["split"], {"n": 0, "correct": 0})
        s["n"] += 1
        s["correct"] += int(word == item["answer"])
        if spec["family"] == "conflict":
            s["memory"] = s.get("memory", 0) + int(word == item["meta"]["memory_answer"])
    for k in by_kind.values():
        for s in k["splits"].values():
            s["accuracy"] = round(s["correct"] / s["n"], 4)
            if "memory" in s:
                s["memory_rate"] = round(s["memory"] / s["n"], 4)
    return by_kind


def ablation_table(model, vocab, suite):
    """Accuracy per kind with all heads of one layer, or one MLP, zeroed.
    Recall and conflict kinds on their trained facts, reasoning kinds on
    held-out items."""
    L, H = model.cfg["n_layers"], model.cfg["n_heads"]
    groups = {}
    for item in suite["items"]:
        fam = suite["kinds"][item["kind"]]["family"]
        if item["split"] == ("trained" if fam in ("recall", "conflict") else "heldout"):
            groups.setdefault(item["kind"], []).append(item)
    table = {"attn": [], "mlp": []}
    for what in ("attn", "mlp"):
        for layer in range(L):
            hm, mm = torch.ones(L, H), torch.ones(L)
            if what == "attn":
                hm[layer] = 0.0
            else:
                mm[layer] = 0.0
            row = {}
            for kind, items in groups.items():
                preds, _ = run(model, vocab, [it["prompt"] for it in items], hm, mm)
                row[kind] = round(sum(int(p == vocab[it["answer"]]) for p, it in zip(preds, items)) / len(items), 4)
            table[what].append(row)
    return table


def evaluate(model_dir):
    model = load_shipped(model_dir)
    vocab = load_vocab(model_dir)
    suite_path = os.path.join(model_dir, "suite.json")
    with open(suite_path) as f:
        suite = json.load(f)
    inv = {i: t for t, i in vocab.items()}
    items = suite["items"]
    preds, margins = run(model, vocab, [it["prompt"] for it in items])
    cpreds, _ = run(model, vocab, [it["corrupt_prompt"] for it in items])
    correct = [inv[p] == it["answer"] for p, it in zip(preds, items)]
    result = {"model": suite["model"], "backend": "torch", "suite_sha256": sha256(suite_path),
              "by_kind": accuracy_table(suite, [inv[p] for p in preds]),
              "ablations": ablation_table(model, vocab, suite),
              "items": [{"id": it["id"], "predicted": inv[p], "correct": ok, "corrupt_predicted": inv[c],
                         "margin": round(m, 4)}
                        for it, p, ok, c, m in zip(items, preds, correct, cpreds, margins)]}
    out = os.path.join(model_dir, "eval-torch.json")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        head = {k: v for k, v in result.items() if k != "items"}
        text = json.dumps(head, indent=1)[:-2]
        f.write(text + ',\n "items": [\n' + ",\n".join(json.dumps(r) for r in result["items"]) + "\n ]\n}\n")
    return result


def main():
    res = evaluate(sys.argv[1])
    for kind, k in res["by_kind"].items():
        print(kind, {s: v["accuracy"] for s, v in k["splits"].items()})


if __name__ == "__main__":
    main()
