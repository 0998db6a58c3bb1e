"""A shipped model's training timeline: the snapshots its recipe saved, in
BF16, each scored and analysed as the shipped model is.

    /usr/bin/python3 models/recipe/timeline.py --model tiny-llama-world2

For every step of the recipe's "snapshots" (build/recipe/<id>/snapshot-<step>.pt,
saved by train.py), writes models/<id>/checkpoints/step-<step>/ (config.json
and model.safetensors in BF16; the tokenizer and suite are the model's own),
and models/<id>/timeline.json:

  {"format": "strata-timeline", "version": 1, "model", "suite_sha256",
   "checkpoints": [{"step", "path", "files": {name: {bytes, sha256}},
                    "accuracy": {kind: {split, n, correct, accuracy[, memory]}},
                    "circuits": {separated, contrast, contrast_ci, recall: {...}, reasoning: {...}} | null,
                    "circuits_error": text (when the engine could not find circuits)}]}

Accuracy is the PyTorch evaluation (evaluate.py) on the scored split of each
kind; circuits are the engine's circuits analysis with its default settings
(seeds.py's summary), on the BF16 weights the page loads.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402
from build import sha256, write_manifest  # noqa: E402
from card_sections import MODELS  # noqa: E402
from evaluate import evaluate  # noqa: E402
from export import export_hf, write_json  # noqa: E402
from model import Decoder  # noqa: E402
from seeds import scored_accuracy, summary  # noqa: E402

CHECKPOINT_FILES = ["config.json", "model.safetensors"]


def checkpoint_entry(model_dir, work, step, seed):
    ck = torch.load(os.path.join(work, f"snapshot-{step:06d}.pt"))
    model = Decoder(ck["config"])
    model.load_state_dict(ck["state"])
    rel = f"checkpoints/step-{step:06d}/"
    out = os.path.join(model_dir, rel)
    export_hf(model, out, dtype="BF16")
    entry = {"step": step, "path": rel,
             "files": {n: {"bytes": os.path.getsize(os.path.join(out, n)), "sha256": sha256(os.path.join(out, n))}
                       for n in CHECKPOINT_FILES}}
    with tempfile.TemporaryDirectory() as tmp:  # the checkpoint with the model's tokenizer and suite
        for name in CHECKPOINT_FILES:
            shutil.copy(os.path.join(out, name), tmp)
        for name in ("tokenizer.json", "suite.json"):
            shutil.copy(os.path.join(model_dir, name), tmp)
        evaluate(tmp)
        try:
            s = summary(tmp, seed, step)
            entry["accuracy"] = s["accuracy"]
            entry["circuits"] = {k: s[k] for k in ("separated", "contrast", "contrast_ci", "recall", "reasoning")}
        except subprocess.CalledProcessError as e:
            entry["accuracy"] = scored_accuracy(tmp)
            entry["circuits"] = None
            entry["circuits_error"] = f"the circuits analysis failed (exit {e.returncode})"
    print(f'step {step}: ' + ", ".join(f'{k} {a["accuracy"]:.1%}' for k, a in entry["accuracy"].items()), flush=True)
    return entry


def write_timeline(model_id):
    recipe = T.load_recipe(model_id)
    model_dir = os.path.join(MODELS, model_id)
    work = T.work_dir(model_id)
    steps = recipe.get("snapshots") or []
    if not steps:
        raise SystemExit(f'recipes.json: {model_id} lists no "snapshots"')
    shutil.rmtree(os.path.join(model_dir, "checkpoints"), ignore_errors=True)
    entries = [checkpoint_entry(model_dir, work, step, recipe["seed"]) for step in steps]
    write_json(os.path.join(model_dir, "timeline.json"),
               {"format": "strata-timeline", "version": 1, "model": model_id,
                "suite_sha256": sha256(os.path.join(model_dir, "suite.json")), "checkpoints": entries})


def main():
    ap = argparse.ArgumentParser(description="Export, score and analyse a shipped model's training snapshots.")
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    write_timeline(args.model)
    write_manifest()


if __name__ == "__main__":
    main()
