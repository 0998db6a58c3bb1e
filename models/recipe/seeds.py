"""The recipe's other seeds: whether a shipped model's accuracy and circuits
are a property of the recipe or of one seed.

    /usr/bin/python3 models/recipe/seeds.py --model tiny-gpt2-world2            # train, evaluate, card
    /usr/bin/python3 models/recipe/seeds.py --model tiny-gpt2-world2 --no-train # reuse the checkpoints

Every seed of the recipe's "seeds" list is trained with the shipped recipe
(only the seed changes: the world's facts, the items and the initialisation),
exported with its own suite to build/recipe/<id>-seed<seed>/model/, scored
by evaluate.py and analysed by the engine's circuits analysis with its default
settings. The shipped model's card gets a "Seeds" section: accuracy per kind
and the circuits verdict and figures of every seed, the shipped one first.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402
from build import interval, points, run_circuits, train_and_score  # noqa: E402
from card_sections import MODELS, write_section  # noqa: E402

HEADING = "## Seeds (the same recipe, other seeds)"
BAR = 0.95  # the accuracy every required kind must reach (the recipe README's bar)


def seed_recipe(recipe, seed):
    r = {k: v for k, v in recipe.items() if k != "seeds"}
    r.update(seed=seed, id=f'{recipe["id"]}-seed{seed}')
    return r


def scored_split(kind):
    """The split a kind is scored on: memorised facts for recall and conflict, held-out items for reasoning."""
    return "heldout" if kind["family"] == "reasoning" else "trained"


def scored_accuracy(model_dir):
    """{kind: {split, optional, n, correct, accuracy[, memory]}} on each kind's scored split, from eval-torch.json."""
    with open(os.path.join(model_dir, "eval-torch.json")) as f:
        ev = json.load(f)
    accuracy = {}
    for name, k in ev["by_kind"].items():
        s = k["splits"][scored_split(k)]
        accuracy[name] = {"split": scored_split(k), "optional": k["optional"],
                          **{x: s[x] for x in ("n", "correct", "accuracy", "memory") if x in s}}
    return accuracy


def summary(model_dir, seed, steps):
    """What the card says of one seed, from its eval-torch.json and a circuits run."""
    accuracy = scored_accuracy(model_dir)
    c = run_circuits(model_dir, {})

    def circuit(family, other):
        t = c["circuits"][family]["test"]
        return {"components": [x["label"] for x in c["circuits"][family]["components"]],
                "effect": t[family]["effect"], "effect_ci": t[family]["effect_ci"],
                "other_effect": t[other]["effect"], "other_effect_ci": t[other]["effect_ci"],
                "null_percentile": c["circuits"][family]["null"]["percentile"]}

    return {"seed": seed, "steps": steps, "accuracy": accuracy, "separated": c["separated"],
            "contrast": c["contrast"]["value"], "contrast_ci": c["contrast"]["ci"],
            "recall": circuit("recall", "reasoning"), "reasoning": circuit("reasoning", "recall")}


def build_seed(recipe, seed, do_train):
    r = seed_recipe(recipe, seed)
    work = T.work_dir(r["id"])
    out = train_and_score(r, work, do_train, f"seed {seed}")
    with open(os.path.join(work, "train-log.json")) as f:
        steps = json.load(f)["steps"]
    result = summary(out, seed, steps)
    with open(os.path.join(work, "seed-summary.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def seeds_section(recipe, shipped, others):
    """The card section: one row per seed, the shipped one first."""
    rows = [shipped] + others
    kinds = list(shipped["accuracy"])

    def acc(a):
        text = f'{a["accuracy"]:.1%}'
        return text + (f' (memory {a["memory"] / a["n"]:.0%})' if "memory" in a else "")

    def fig(c):
        return (f'{", ".join(c["components"])}: {points(c["effect"])} {interval(c["effect_ci"])}, '
                f'other {points(c["other_effect"])} {interval(c["other_effect_ci"])}')

    held = sum(r["separated"] for r in rows)
    required = [k for k in kinds if not shipped["accuracy"][k]["optional"]]
    learned = [r["seed"] for r in rows if all(r["accuracy"][k]["accuracy"] >= BAR for k in required)]
    lines = [HEADING, "",
             f'The recipe trained with {len(rows)} seeds (only the seed changes: the world\'s facts, the suite\'s items and '
             "the initialisation; each seed is scored on its own suite). Accuracy on the scored split (memorised facts for "
             "recall and conflict, held-out items for reasoning; a conflict kind's accuracy is how often the prompt's answer "
             "wins, beside how often the memorised one does). Circuits: the engine's circuits analysis with its default "
             "settings, as in the section above; effects in points on the test items with 95% intervals.", "",
             "| seed | steps | " + " | ".join(kinds) + " | separated | recall circuit | reasoning circuit | contrast |",
             "|---" * (len(kinds) + 6) + "|"]
    for i, r in enumerate(rows):
        name = f'{r["seed"]}{" (shipped)" if i == 0 else ""}'
        lines.append(f'| {name} | {r["steps"]} | ' + " | ".join(acc(r["accuracy"][k]) for k in kinds)
                     + f' | {"yes" if r["separated"] else "no"} | {fig(r["recall"])} | {fig(r["reasoning"])} | '
                     f'{points(r["contrast"])} {interval(r["contrast_ci"])} |')
    lines += ["", f"Every required kind ({', '.join(required)}) reaches {BAR:.0%} on its scored split in {len(learned)} of "
              f"{len(rows)} seeds{' (' + ', '.join(map(str, learned)) + ')' if learned else ''}. The circuits analysis "
              f"separates recall from reasoning in {held} of {len(rows)} seeds."
              + (f' Not trained yet: seed{"s" if len(recipe["not_run"]) > 1 else ""} {", ".join(map(str, recipe["not_run"]))}.'
                 if recipe.get("not_run") else ""), ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="Train and analyse a recipe's other seeds; write the card's Seeds section.")
    ap.add_argument("--model", required=True)
    ap.add_argument("--no-train", action="store_true", help="reuse build/recipe/<id>-seed<seed>/checkpoint.pt")
    ap.add_argument("--seeds", help="comma-separated: only these of the recipe's seeds (default: all)")
    args = ap.parse_args()
    recipe = T.load_recipe(args.model)
    if not recipe.get("seeds"):
        raise SystemExit(f'recipes.json: {args.model} lists no "seeds"')
    if args.seeds:
        chosen = [int(s) for s in args.seeds.split(",")]
        unknown = sorted(set(chosen) - set(recipe["seeds"]))
        if unknown:
            raise SystemExit(f'recipes.json: {args.model} has no seeds {unknown}; its seeds are {recipe["seeds"]}')
        recipe["not_run"] = [x for x in recipe["seeds"] if x not in chosen]
        recipe["seeds"] = chosen
    model_dir = os.path.join(MODELS, args.model)
    with open(os.path.join(T.work_dir(args.model), "train-log.json")) as f:
        shipped_steps = json.load(f)["steps"]
    others = [build_seed(recipe, s, not args.no_train) for s in recipe["seeds"]]
    write_section(model_dir, HEADING,
                  lambda d: seeds_section(recipe, summary(d, recipe["seed"], shipped_steps), others), "seeds")


if __name__ == "__main__":
    main()
