"""The model card's section on the observational analyses: the tuned lens
against the logit lens per kind, the study's labels beside its nulls, and the
probes beside their control task and random model, from the engine's own
analyses of the shipped files with their default settings (never tuned per
model; seed 0).

    /usr/bin/python3 models/recipe/observations.py --model tiny-gpt2-world2

Needs build/native/strata (bash scripts/build.sh builds it). build.py calls
write_observations_section after the circuits section.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from card_sections import MODELS, STRATA, write_section  # noqa: E402

HEADING = "## Observational analyses (`strata analyze --analysis tuned-lens,study,probes`, default settings)"
ANALYSES = ["tuned-lens", "study", "probes"]


def run_analyses(model_dir):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        subprocess.run([STRATA, "analyze", "--model", model_dir, "--suite", os.path.join(model_dir, "suite.json"),
                        "--analysis", ",".join(ANALYSES), "--seed", "0", "--out", out], check=True)
        with open(out) as f:
            return json.load(f)["results"]


def boundary_name(b):
    return "embeddings" if b == 0 else f"after L{b - 1}"


def lens_lines(lens):
    boundaries = len(next(iter(lens["heldout"]["by_kind"].values()))["tuned_kl"]) - 1  # the last is the output
    fit = ", ".join(f"{k} {n}" for k, n in lens["fit"]["by_kind"].items())
    lines = ["### Tuned lens", "",
             f'Fitted ({lens["fit_method"]}) on every position of {lens["fit"]["n_items"]} prompts drawn per kind '
             f"({fit}); KL(output ‖ lens) in nats, mean over every position of {lens['heldout']['n_items']} "
             "held-out prompts, tuned lens / logit lens:", "",
             "| kind | " + " | ".join(boundary_name(b) for b in range(boundaries)) + " |",
             "|---|" + "---|" * boundaries]
    for kind, k in lens["heldout"]["by_kind"].items():
        lines.append(f"| {kind} | " + " | ".join(f'{k["tuned_kl"][b]:.2f} / {k["logit_kl"][b]:.2f}'
                                                   for b in range(boundaries)) + " |")
    above = lens["heldout"]["tuned_above_logit"]
    if above:
        lines += ["", "Where the tuned lens is above the logit lens:"]
        lines += [f'- {a["kind"]} at {boundary_name(a["boundary"])}: {a["heldout_tuned_kl"]:.2f} vs '
                  f'{a["heldout_logit_kl"]:.2f} ({a["reason"]})' for a in above]
    else:
        lines += ["", "The tuned lens's held-out KL is at most the logit lens's for every kind at every boundary."]
    return lines + [""]


def label_row(name, labels):
    t = labels["totals"]
    layers = ", ".join(labels["layers"])
    return (f'| {name} | {layers} | {t["heads"]["specialised"]} of {t["heads"]["n"]} ({t["heads"]["consistent"]}) | '
            f'{t["neurons"]["task_specific"]} ({100 * t["neurons"]["fraction_task_specific"]:.1f}%) |')


def study_lines(study):
    kinds = ", ".join(f'{k["kind"]} ({k["split"]}, {k["n"]})' for k in study["items"]["kinds"])
    lines = ["### The study's labels beside its nulls", "",
             f"Items: {kinds}. Layer labels (recall / reasoning / mixed / none), heads labelled (of them, "
             "replicated on both disjoint halves in 4 of 5 draws), neurons labelled; the nulls run the same "
             "pipeline where no recall/reasoning mechanism differs:", "",
             "| contrast | layers | heads (replicated) | neurons |", "|---|---|---|---|",
             label_row("**recall vs reasoning**", study["labels"])]
    for null in study["nulls"]:
        if null["labels"] is None:
            lines.append(f'| {null["name"]} | skipped: {null["skipped"]} | | |')
        else:
            lines.append(label_row(null["name"], null["labels"]))
    real = study["labels"]["totals"]
    ran = [n for n in study["nulls"] if n["labels"] is not None]
    most_layers = max(ran, key=lambda n: n["labels"]["totals"]["layers"]["specialised"])
    most_neurons = max(ran, key=lambda n: n["labels"]["totals"]["neurons"]["task_specific"])
    layers_by = most_layers["labels"]["totals"]["layers"]["specialised"]
    neurons_by = most_neurons["labels"]["totals"]["neurons"]["task_specific"]
    nulls_say = (f'the null "{most_layers["name"]}" labels {layers_by} layers and {neurons_by} neurons'
                 if most_layers is most_neurons else
                 f'the null "{most_layers["name"]}" labels {layers_by} layers and "{most_neurons["name"]}" {neurons_by} neurons')
    lines += ["",
              f'The real contrast labels {real["layers"]["specialised"]} of {real["layers"]["n"]} layers and '
              f'{real["neurons"]["task_specific"]} neurons; {nulls_say}. A label that a null also '
              "produces says which tokens are in the prompt, not what the unit does.", ""]
    return lines


def probe_lines(probes):
    lines = ["### Probes", "",
             f'Logistic probes at the last prompt token, {probes["train_items"]} training and {probes["test_items"]} '
             "test items; held-out accuracy, the control task's (labels per type of the probed token), the same "
             "probe on a randomly initialised model, and selectivity against that model:", "",
             "| task | boundary | accuracy | control | random model | accuracy − random |", "|---|---|---|---|---|---|"]

    def pct(x):
        return "n/a" if x is None else f"{100 * x:.1f}%"

    for task in ("family", "answer"):
        for b in probes[task]["trained"]:
            diff = b.get("selectivity_vs_random")
            lines.append(f'| {task} | {b["boundary"]} | {pct(b["test_accuracy"])} | {pct(b["control_accuracy"])} | '
                         f'{pct(b.get("random_accuracy"))} | {"n/a" if diff is None else f"{100 * diff:+.1f} points"} |')
    if probes["family"]["control_types"] == 1:
        lines += ["", "Every prompt ends in the same token, so the control task (one label per type of the probed "
                  "token) is a single constant label: its accuracy is trivially 100% and selectivity against it says "
                  "nothing here. The random model is the baseline that does: accuracy − random is what training "
                  "added to what the prompt's tokens already give."]
    return lines + [""]


def observations_section(model_dir):
    r = run_analyses(model_dir)
    lines = [HEADING, "",
             "Measured by the engine from the shipped files with `build/native/strata analyze --model DIR --suite "
             "DIR/suite.json --analysis tuned-lens,study,probes --seed 0`.", ""]
    lines += lens_lines(r["tuned-lens"]) + study_lines(r["study"]) + probe_lines(r["probes"])
    return "\n".join(lines)


def write_observations_section(model_dir):
    write_section(model_dir, HEADING, observations_section, "observations")


def main():
    ap = argparse.ArgumentParser(description="Rewrite the observational analyses section of a model's card.md.")
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    model_dir = os.path.join(MODELS, args.model)
    if not os.path.isdir(model_dir):
        sys.exit(f"observations.py: {model_dir}: no such model folder")
    write_observations_section(model_dir)


if __name__ == "__main__":
    main()
