"""Retrain a shipped model from its recipe and seed, and compare the result
with the shipped files: the weights' bytes and each kind's accuracy.

    /usr/bin/python3 models/recipe/reproduce.py --model tiny-gpt2-world2            # train (~28 min), compare
    /usr/bin/python3 models/recipe/reproduce.py --model tiny-gpt2-world2 --no-train # compare an earlier rerun

The rerun goes to build/recipe/<id>-rerun/ (its own suite, written from the
seed, must equal the shipped one byte for byte), is exported and scored by
evaluate.py like the shipped model, and the comparison is written to
build/recipe/<id>-rerun/reproduce.json and to the card's "Rerun with the
same seed" section. Exit status 1 when a kind's accuracy
on its scored split differs from the shipped one by more than one point.
"""

import argparse
import filecmp
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402
from build import sha256, train_and_score  # noqa: E402
from card_sections import MODELS, write_section  # noqa: E402
from seeds import scored_accuracy  # noqa: E402

TOLERANCE = 0.01  # one point of accuracy, the recipe README's reproduction bar
HEADING = "## Rerun with the same seed"


def compare(shipped_dir, rerun_dir):
    shipped, rerun = scored_accuracy(shipped_dir), scored_accuracy(rerun_dir)
    kinds = {k: {"shipped": shipped[k]["accuracy"], "rerun": rerun[k]["accuracy"],
                 "difference": round(rerun[k]["accuracy"] - shipped[k]["accuracy"], 4)} for k in shipped}
    weights = [sha256(os.path.join(d, "model.safetensors")) for d in (shipped_dir, rerun_dir)]
    return {"suite_identical": filecmp.cmp(os.path.join(shipped_dir, "suite.json"), os.path.join(rerun_dir, "suite.json"),
                                           shallow=False),
            "weights_identical": weights[0] == weights[1], "kinds": kinds,
            "within_one_point": all(abs(k["difference"]) <= TOLERANCE for k in kinds.values())}


def yes(x):
    return "yes" if x else "no"


def rerun_section(model_id, result, log):
    lines = [HEADING, "",
             f"The recipe retrained from scratch with the shipped seed (`models/recipe/reproduce.py --model {model_id}`): "
             f'{log["steps"]} steps in {log["seconds"] / 60:.1f} minutes on one thread. Suite identical byte for byte: '
             f'{yes(result["suite_identical"])}; weights (`model.safetensors`) identical byte for byte: '
             f'{yes(result["weights_identical"])}.', "",
             "| kind | shipped | rerun | difference (points) |", "|---|---|---|---|"]
    lines += [f'| {k} | {v["shipped"]:.1%} | {v["rerun"]:.1%} | {100 * v["difference"]:+.1f} |' for k, v in result["kinds"].items()]
    lines += ["", f'Every kind within one point of the shipped accuracy: {yes(result["within_one_point"])}.', ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="Retrain a shipped model from its recipe and compare it with the shipped files.")
    ap.add_argument("--model", required=True)
    ap.add_argument("--no-train", action="store_true", help="reuse build/recipe/<id>-rerun/checkpoint.pt")
    args = ap.parse_args()
    recipe = T.load_recipe(args.model)
    shipped_dir = os.path.join(MODELS, args.model)
    if not os.path.exists(os.path.join(shipped_dir, "eval-torch.json")):
        raise SystemExit(f"reproduce.py: {shipped_dir}: not a shipped model (no eval-torch.json)")
    work = T.work_dir(f"{args.model}-rerun")
    out = train_and_score(recipe, work, not args.no_train, "rerun")
    result = compare(shipped_dir, out)
    with open(os.path.join(work, "reproduce.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))
    with open(os.path.join(work, "train-log.json")) as f:
        log = json.load(f)
    write_section(shipped_dir, HEADING, lambda d: rerun_section(args.model, result, log), "rerun")
    if not result["within_one_point"]:
        sys.exit(f"reproduce.py: {args.model}: a kind's accuracy differs from the shipped one by more than one point")


if __name__ == "__main__":
    main()
