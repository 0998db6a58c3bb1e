"""End-to-end recipe for one shipped model: suite, training, export, ONNX,
evaluation, model card, manifest.

    /usr/bin/python3 models/recipe/build.py --model tiny-gpt2-world2          # everything
    /usr/bin/python3 models/recipe/build.py --model tiny-gpt2-world2 --no-train  # reuse checkpoint
    /usr/bin/python3 models/recipe/build.py --manifest-only
    /usr/bin/python3 models/recipe/build.py --model tiny-gpt2-world2 --circuits-only  # card's circuits section
    /usr/bin/python3 models/recipe/observations.py --model tiny-gpt2-world2  # card's lens, study and probes section

Outputs go to models/<id>/ (config.json, model.safetensors, tokenizer.json,
suite.json, model.onnx, eval-torch.json, card.md) and models/manifest.json.
The checkpoint and training log stay in build/recipe/<id>/.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402
from export import export_hf, load_shipped, write_json  # noqa: E402
from evaluate import evaluate  # noqa: E402
from model import Decoder  # noqa: E402
from card_sections import MODELS, STRATA, write_section  # noqa: E402
from observations import write_observations_section  # noqa: E402
from onnx_export import check_with_ort_web, export_onnx  # noqa: E402

SHIPPED_FILES = ["config.json", "model.safetensors", "tokenizer.json", "suite.json", "model.onnx", "eval-torch.json"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_suite(recipe, out_dir):
    W = T.world_module(recipe)
    suite, _, _ = W.build_suite(recipe["seed"], recipe["id"], recipe["kinds"], optional=recipe.get("optional"))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "suite.json"), "w", encoding="ascii", newline="\n") as f:
        f.write(W.suite_text(suite))
    return suite


def load_checkpoint(path):
    ck = torch.load(path)
    model = Decoder(ck["config"])
    model.load_state_dict(ck["state"])
    return model


def train_and_score(recipe, work, do_train, label):
    """A run of the recipe outside models/ (another seed, a rerun): trains into
    work/ (or reuses work/checkpoint.pt), exports it with its own suite to
    work/model/ and scores it with evaluate.py. Returns work/model."""
    out = os.path.join(work, "model")
    write_suite(recipe, out)
    if do_train:
        T.train(recipe, work, log=lambda s: print(f"{label}: {s}", flush=True))
    export_hf(load_checkpoint(os.path.join(work, "checkpoint.pt")), out, T.world_module(recipe).vocabulary())
    evaluate(out)
    return out


# --- model card -----------------------------------------------------------------

def _examples(suite):
    """One example row per kind: a held-out item, or the first item of a kind with none."""
    chosen = {}
    for it in suite["items"]:
        if it["kind"] not in chosen or (it["split"] == "heldout" and chosen[it["kind"]]["split"] != "heldout"):
            chosen[it["kind"]] = it
    return [f'| {it["kind"]} | `{it["prompt"]}` | `{it["answer"]}` | `{it["corrupt_prompt"]}` | `{it["corrupt_answer"]}` |'
            for it in chosen.values()]


def card_text(recipe, model, suite, result, log, files, ort_report=None):
    cfg = model.cfg
    arch = ("GPT-2: pre-LayerNorm blocks, learned absolute positions, GELU (tanh, `gelu_new`) MLP, "
            "biases everywhere, output embedding tied to `wte`"
            if cfg["arch"] == "gpt2" else
            "LLaMA: pre-RMSNorm blocks, rotary positions (theta 10000, rotate-half), SwiGLU MLP, "
            "no biases, untied `lm_head`")
    L = cfg["n_layers"]
    out = [f'# {recipe["id"]}', "",
           f'A {L}-layer {"GPT-2" if cfg["arch"] == "gpt2" else "LLaMA"}-family language model trained from scratch on '
           "a synthetic world, so that which of its answers come from memory (recall) and which are "
           "worked out from the prompt (reasoning) is known by construction.", "",
           "## Architecture", "",
           f"- {arch}.",
           f'- n_layers {L}, d_model {cfg["d_model"]}, n_heads {cfg["n_heads"]} (d_head {cfg["d_model"] // cfg["n_heads"]}), '
           f'd_mlp {cfg["d_mlp"]}, d_vocab {cfg["vocab_size"]}, n_ctx {cfg["n_ctx"]}, norm eps {cfg["eps"]}; '
           f"{model.n_params():,} parameters, float32.",
           "- Tokenizer: WordLevel over whitespace-split words (one word = one token), `[UNK]` = 0, `[EOS]` = 1 (unused by the prompts).",
           "- `model.onnx` (opset 14): inputs `input_ids` [1, seq] int64, `head_mask` [n_layers, n_heads] "
           "(multiplies each head's output before the output projection), `mlp_mask` [n_layers] (multiplies "
           "each MLP's output); outputs `logits` [1, seq, d_vocab], `attentions` [n_layers, n_heads, seq, seq], "
           "`hidden_states` [n_layers + 1, seq, d_model]: the residual stream entering each block, then the "
           "last block's output *before* the final norm (unlike Hugging Face, whose last entry is normed)."
           + (f" Checked in ONNX Runtime Web 1.30 (node, wasm) against PyTorch with one head and one MLP masked: `{ort_report}`."
              if ort_report else ""), "",
           "## Data", ""]
    out += T.world_module(recipe).card_data(recipe["seed"], _examples(suite))
    mix = ", ".join(f"{k} {v}" for k, v in recipe["mix"].items())
    out += ["## Training", "",
            f'- Cross-entropy on the answer token only; AdamW (betas 0.9/0.98, weight decay {recipe.get("weight_decay", 0.01)}), '
            f'peak learning rate {recipe["lr"]}, {recipe["warmup"]} warm-up steps then cosine to 10%, '
            f'batch {recipe["batch"]}, gradient clipping 1.0, init seed {recipe.get("torch_seed", recipe["seed"])}.',
            f"- Training mix (weights): {mix}."
            + (" `chain1` is a warm-up only: the same chain prompts asking a one-hop binding; it is not in the suite."
               if "chain1" in recipe["mix"] else "")]
    if "phase2" in recipe:
        p2 = recipe["phase2"]
        out += [f'- Second phase (curriculum): {p2["steps"]} more steps after the first {recipe["max_steps"]}, '
                "continuing the same model, optimizer and data streams with a new warm-up "
                f'({p2["warmup"]} steps, peak {p2["lr"]}, then cosine to 10%) and the mix '
                + ", ".join(f"{k} {v}" for k, v in p2["mix"].items()) + "."]
    stop = recipe.get("stop_accuracy", 0.995)
    out += [f"- Stops after {T.total_steps(recipe)} steps or when every required kind is at least {stop:.1%} "
            f'on a development stream checked every {recipe["eval_every"]} steps (both deterministic).' if stop <= 1 else
            f"- Runs {T.total_steps(recipe)} steps, with no early stop: the development stream (checked every "
            f'{recipe["eval_every"]} steps) asks about training people only, and held-out lookups lag behind it.',
            *([f'- Saves the model at steps {", ".join(map(str, recipe["snapshots"]))} for the training timeline.']
              if recipe.get("snapshots") else []),
            f'- This model: {log["steps"]} steps, {log["seconds"] / 60:.1f} minutes on one CPU thread '
            "(PyTorch 1.13 from Debian, OpenBLAS).", ""]
    out += ["## Accuracy (exact match of the next token, `eval-torch.json`)", "",
            "| kind | family | optional | trained | held-out |", "|---|---|---|---|---|"]
    for kind, k in result["by_kind"].items():
        cells = []
        for split in ("trained", "heldout"):
            s = k["splits"].get(split)
            memory = f'; memorised answer {s["memory"] / s["n"]:.1%} ({s["memory"]}/{s["n"]})' if s and "memory" in s else ""
            cells.append(f'{s["accuracy"]:.1%} ({s["correct"]}/{s["n"]}){memory}' if s else "-")
        out.append(f'| {kind} | {k["family"]} | {"yes" if k["optional"] else "no"} | {cells[0]} | {cells[1]} |')
    out += ["", "Held-out recall is expected near chance (1/16): the facts of unseen people cannot be inferred.", "",
            "## Coarse ablations (accuracy with one component zeroed)", "",
            "Recall kinds on trained facts, reasoning kinds on held-out items. `attn l` zeroes every head of "
            "layer l through `head_mask`, `mlp l` zeroes MLP l through `mlp_mask`. A sanity view only; the "
            "page's analyses find the circuits.", ""]
    kinds = list(result["by_kind"])
    out += ["| ablation | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    for what in ("attn", "mlp"):
        for l, row in enumerate(result["ablations"][what]):
            out.append(f"| {what} {l} | " + " | ".join(f"{row[k]:.0%}" for k in kinds) + " |")
    out += ["", "## What was tried", ""]
    out += [f"- {n}" for n in recipe.get("notes", [])]
    out += ["", "## Files", "", "| file | bytes | sha256 |", "|---|---|---|"]
    out += [f'| {name} | {f["bytes"]} | `{f["sha256"]}` |' for name, f in files.items()]
    out += ["", "## Reproduce", "", "```",
            f'/usr/bin/python3 models/recipe/build.py --model {recipe["id"]}',
            "```", "",
            "The suite is regenerated byte for byte from the seed. Training is deterministic on one thread: "
            + f'`models/recipe/reproduce.py --model {recipe["id"]}` retrains the recipe with this seed and compares the '
            "weights and each kind's accuracy with these files."
            + " `build/recipe/<id>/train-log.json` holds the full curve to compare against.", ""]
    return "\n".join(out)


# --- circuits, found by the engine -----------------------------------------------

CIRCUITS_HEADING = "## Circuits (`strata analyze --analysis circuits`, default settings)"


# Other settings run beside the default, all reported: how much the finding
# depends on the kind of ablation and on the candidate components.
CIRCUIT_VARIANTS = [("mean ablation (by kind)", {"ablation": "mean"}), ("zero ablation", {"ablation": "zero"}),
                    ("attention blocks and MLPs as candidates", {"candidates": "attn_mlps"})]


def run_circuits(model_dir, settings):
    with tempfile.TemporaryDirectory() as tmp:
        out, settings_file = os.path.join(tmp, "report.json"), os.path.join(tmp, "settings.json")
        with open(settings_file, "w") as f:
            json.dump({"circuits": settings}, f)
        subprocess.run([STRATA, "analyze", "--model", model_dir, "--suite", os.path.join(model_dir, "suite.json"),
                        "--analysis", "circuits", "--settings", settings_file, "--out", out], check=True)
        with open(out) as f:
            return json.load(f)["results"]["circuits"]


def points(x):
    return "undefined" if x is None else f"{x:.1f}"


def interval(ci):
    return f"[{points(ci[0])}, {points(ci[1])}]"


def circuit_labels(c):
    return ", ".join(x["label"] for x in c["components"])


def circuits_section(model_dir):
    """The card's circuits section: the engine's circuits analysis on the
    shipped files, with its default settings (never tuned per model), and the
    variants above beside it."""
    result = run_circuits(model_dir, {})
    m, st = result["method"], result["settings"]

    def cell(f):
        a = f["accuracy"]
        return (f'effect {points(f["effect"])} {interval(f["effect_ci"])}; drop {points(f["drop"])} '
                f'{interval(f["ci"])}; accuracy {a["intact"]:.1%} → {a["ablated"]:.1%} (n {f["n"]})')

    def short(c, target, other):
        t = c["test"]
        return (f'{circuit_labels(c)}: {target} {points(t[target]["effect"])} {interval(t[target]["effect_ci"])}, '
                f'{other} {points(t[other]["effect"])} {interval(t[other]["effect_ci"])}, '
                f'null {points(c["null"]["percentile"])}%')

    kinds = ", ".join(f'{k["kind"]} ({k["split"]}, {k["n"]})' for k in result["items"]["test"]["kinds"])
    lines = [CIRCUITS_HEADING, "",
             "Found by the engine from the shipped files (`build/native/strata analyze --model DIR --suite "
             "DIR/suite.json --analysis circuits`; the method in src/analysis/circuits/circuits.h): "
             f'{m["ablation"]} ablation ({st["donors"]} donors of the same kind), a {m["search"]} search over heads and '
             f'MLPs for the objective {m["objective"]} on {st["selection_items_per_kind"]} selection items per kind, '
             f'the size chosen on {st["validation_items_per_kind"]} validation items per kind, and every figure below '
             f"on the test items ({kinds}). Effects are normalised logit differences (0 intact, 100 answer and "
             "foil tied), drops are accuracy drops as a share of the distance to chance, both in points with 95% "
             f'intervals; the null is {st["random_circuits"]} random circuits of the same size and mix on '
             f'{st["null_items_per_kind"]} test items per kind.', "",
             "| circuit | components | recall | reasoning | beats random circuits |", "|---|---|---|---|---|"]
    for family in ("recall", "reasoning"):
        c = result["circuits"][family]
        lines.append(f'| {family} | {circuit_labels(c)} | {cell(c["test"]["recall"])} | '
                     f'{cell(c["test"]["reasoning"])} | {points(c["null"]["percentile"])}% of {c["null"]["n"]} |')
    contrast = result["contrast"]
    lines += ["", f'Double-dissociation contrast: {points(contrast["value"])} points {interval(contrast["ci"])}.', "",
              result["statement"], "",
              "The same analysis with one setting changed (effects in points on the test items, 95% intervals):", "",
              "| setting | recall circuit | reasoning circuit | separated |", "|---|---|---|---|"]
    for label, settings in CIRCUIT_VARIANTS:
        v = run_circuits(model_dir, settings)
        lines.append(f'| {label} | {short(v["circuits"]["recall"], "recall", "reasoning")} | '
                     f'{short(v["circuits"]["reasoning"], "reasoning", "recall")} | '
                     f'{"yes" if v["separated"] else "no"} |')
    lines.append("")
    return "\n".join(lines)


def write_circuits_section(model_dir):
    write_section(model_dir, CIRCUITS_HEADING, circuits_section, "circuits")


def file_table(out_dir):
    return {n: {"bytes": os.path.getsize(os.path.join(out_dir, n)), "sha256": sha256(os.path.join(out_dir, n))}
            for n in SHIPPED_FILES if os.path.exists(os.path.join(out_dir, n))}


def write_manifest():
    entries = []
    for name in sorted(os.listdir(MODELS)):
        d = os.path.join(MODELS, name)
        if not os.path.exists(os.path.join(d, "config.json")) or not os.path.exists(os.path.join(d, "eval-torch.json")):
            continue
        with open(os.path.join(d, "config.json")) as f:
            hf = json.load(f)
        with open(os.path.join(d, "eval-torch.json")) as f:
            ev = json.load(f)
        gpt2 = hf["model_type"] == "gpt2"
        entries.append({
            "id": name, "path": f"{name}/", "model_type": hf["model_type"],
            "description": f'{"GPT-2" if gpt2 else "LLaMA"}-family model of the ' + (
                "second synthetic world: recall and reasoning over the same people, and memory against the prompt"
                if T.load_recipe(name).get("world") == "world2" else "synthetic recall/reasoning world"),
            "n_layers": hf["n_layer"] if gpt2 else hf["num_hidden_layers"],
            "n_heads": hf["n_head"] if gpt2 else hf["num_attention_heads"],
            "d_model": hf["n_embd"] if gpt2 else hf["hidden_size"],
            "d_vocab": hf["vocab_size"],
            "suite": "suite.json", "onnx": "model.onnx", "card": "card.md",
            "kinds": {k: {"family": v["family"], "optional": v["optional"],
                          "accuracy": {s: x["accuracy"] for s, x in v["splits"].items()}}
                      for k, v in ev["by_kind"].items()},
            "files": {n: f for n, f in file_table(d).items() if n != "eval-torch.json"},
            **({"timeline": "timeline.json"} if os.path.exists(os.path.join(d, "timeline.json")) else {})})
    write_json(os.path.join(MODELS, "manifest.json"), {"format": "strata-manifest", "version": 1, "models": entries})


def build(model_id, do_train=True):
    recipe = T.load_recipe(model_id)
    out_dir = os.path.join(MODELS, model_id)
    work = T.work_dir(model_id)
    suite = write_suite(recipe, out_dir)
    if do_train:
        T.train(recipe, work, log=lambda s: print(s, flush=True))
    model = load_checkpoint(os.path.join(work, "checkpoint.pt"))
    export_hf(model, out_dir, T.world_module(recipe).vocabulary())
    shipped = load_shipped(out_dir)
    export_onnx(shipped, os.path.join(out_dir, "model.onnx"))
    result = evaluate(out_dir)
    ok, ort_report = check_with_ort_web(shipped, out_dir, os.path.dirname(MODELS))
    print("onnxruntime-web:", ok, ort_report)
    if ok is False:
        raise SystemExit(f"{out_dir}/model.onnx: onnxruntime-web disagrees with PyTorch: {ort_report}")
    with open(os.path.join(work, "train-log.json")) as f:
        log = json.load(f)
    files = file_table(out_dir)
    with open(os.path.join(out_dir, "card.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(card_text(recipe, shipped, suite, result, log, files, ort_report if ok else None))
    write_circuits_section(out_dir)
    write_observations_section(out_dir)
    write_manifest()
    for kind, k in result["by_kind"].items():
        print(kind, {s: v["accuracy"] for s, v in k["splits"].items()})


def main():
    ap = argparse.ArgumentParser(description="Build one shipped model end to end.")
    ap.add_argument("--model")
    ap.add_argument("--no-train", action="store_true", help="reuse build/recipe/<id>/checkpoint.pt")
    ap.add_argument("--manifest-only", action="store_true")
    ap.add_argument("--circuits-only", action="store_true",
                    help="rewrite the circuits section of the model's card.md (needs build/native/strata)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.manifest_only:
        write_manifest()
        return
    if args.circuits_only:
        write_circuits_section(os.path.join(MODELS, args.model))
        return
    build(args.model, do_train=not args.no_train)


if __name__ == "__main__":
    main()
