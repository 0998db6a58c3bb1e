"""Tests of the second world's suite generator (models/recipe/world2.py).

    /usr/bin/python3 tests/models/test_world2.py

For every item of the suites of three seeds: one prompt length across
families, a corrupt prompt that differs in exactly one token and has another
answer, answers from the vocabulary all families share; no held-out binding
(a held-out recall or lookup person, a held-out comparison) ever comes out of
the training sampler, and no conflict (a memorised person stated in the
prompt) either; a tiny model trains a few steps on the world and exports
its tokenizer. Exits non-zero after the checks if any failed.
"""

import json
import os
import random
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "models", "recipe"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import world2 as W  # noqa: E402
import export as E  # noqa: E402
import train as T  # noqa: E402

FAILURES = []
SAMPLES = 4000  # training-stream draws per trained kind and seed


def check(cond, message):
    if not cond:
        FAILURES.append(message)
        print("FAIL:", message)


def names_in(tokens):
    """The two-token names of a fact prompt's clauses and question."""
    return [tuple(tokens[i:i + 2]) for i in (0, 4, 8)] + [tuple(tokens[14:16])]


def check_items(suite):
    vocab = set(W.vocabulary())
    answers = set(W.CITIES) | set(W.JOBS)
    family_tokens = {}
    for it in suite["items"]:
        p, c, where = it["prompt"].split(), it["corrupt_prompt"].split(), it["id"]
        check(len(p) == W.PROMPT_LEN and len(c) == W.PROMPT_LEN, f"{where}: prompt lengths {len(p)}, {len(c)}")
        check([p[i] for i in (3, 7, 11, 13)] == [".", ".", ".", "of"], f"{where}: template shape")
        check(sum(a != b for a, b in zip(p, c)) == 1, f"{where}: corrupt prompt differs in more than one token")
        check(it["answer"] != it["corrupt_answer"], f"{where}: the corrupt answer is the answer")
        check(it["answer"] in answers and it["corrupt_answer"] in answers, f"{where}: answer outside cities and jobs")
        check(all(t in vocab for t in p + c), f"{where}: token outside the vocabulary")
        check(it["family"] == W.KINDS[it["kind"]]["family"], f"{where}: family")
        family_tokens.setdefault(it["family"], set()).update(p)
        if it["kind"] in W.ATTRIBUTES:
            check(it["answer"] not in p and it["corrupt_answer"] not in c, f"{where}: recall answer in the prompt")
            check(tuple(p[14:16]) not in names_in(p)[:3], f"{where}: the asked person is stated in a recall prompt")
        if it["kind"] in ("lookup", "conflict"):
            stated = [i + 2 for i in (0, 4, 8) if tuple(p[i:i + 2]) == tuple(p[14:16])]
            check(len(stated) == 1 and p[stated[0]] == it["answer"], f"{where}: the answer is not stated once")
            check(p.count(it["answer"]) == 1 and it["corrupt_answer"] not in p, f"{where}: ambiguous stated value")
        if it["kind"] == "conflict":
            check(it["meta"]["memory_answer"] == it["corrupt_answer"] != it["answer"], f"{where}: memory answer")
        if it["kind"] == "compare":
            rank = {city: r for r, city in enumerate(it["meta"]["order"])}
            check(it["answer"] == min(p[14:16], key=rank.get) and it["corrupt_answer"] == min(c[14:16], key=rank.get),
                  f"{where}: an answer is not the bigger city of its question")
            x, y = p[14], p[15]
            check(f"{x} > {y}" not in it["prompt"] and f"{y} > {x}" not in it["prompt"],
                  f"{where}: the asked pair is compared directly")
    only_recall = family_tokens["recall"] - family_tokens["reasoning"]
    check(not only_recall, f"tokens of recall prompts that no reasoning prompt uses: {sorted(only_recall)}")


def check_training_stream(seed, suite, world, excluded):
    """The sampler never produces a held-out person, comparison, or conflict."""
    never = {(p["first"], p["last"]) for p in world.heldout} | set(world.context_heldout)
    memorised = set(world.memorised)
    held_compare = {it["prompt"] for it in suite["items"] if it["kind"] == "compare" and it["split"] == "heldout"}
    sampler = W.Sampler(world, excluded, seed)
    for kind in W.TRAINED_KINDS:
        for _ in range(SAMPLES):
            prompt, answer = sampler.sample(kind)
            if kind == "compare":
                if " ".join(prompt) in held_compare:
                    check(False, f"seed {seed}: the sampler drew a held-out comparison: {' '.join(prompt)}")
                    return
                continue
            people = names_in(prompt)
            if set(people) & never:
                check(False, f"seed {seed}: the sampler drew a held-out person: {' '.join(prompt)}")
                return
            if people[3] in memorised and people[3] in people[:3]:
                check(False, f"seed {seed}: the sampler drew a conflict: {' '.join(prompt)}")
                return
            check((kind == "lookup") == (people[3] in people[:3]), f"seed {seed}: {kind} item with the wrong source")


def check_lookup_people(world):
    """Lookups ask about people who are never memorised."""
    rng = random.Random(0)
    for _ in range(200):
        prompt, answer, *_ = W.lookup_item(rng, world, world.context_heldout)
        check(tuple(prompt[14:16]) not in world.memorised, "a lookup asks about a memorised person")


def check_training(tmp):
    """The recipe's trainer picks the world a recipe names and trains on it."""
    recipe = {"id": "smoke-world2", "world": "world2", "arch": "llama", "seed": 7, "n_layers": 1, "d_model": 32,
              "n_heads": 4, "d_mlp": 64, "n_ctx": 32, "kinds": list(W.KINDS),
              "mix": {k: 1 for k in W.TRAINED_KINDS}, "batch": 16, "lr": 0.003, "warmup": 2, "max_steps": 4,
              "eval_every": 2, "stop_accuracy": 1.01}
    model, cfg, steps, _ = T.train(recipe, os.path.join(tmp, "work"), log=lambda s: None)
    check(steps == 4 and cfg["vocab_size"] == len(W.vocabulary()), f"trained {steps} steps, vocabulary {cfg['vocab_size']}")
    with open(os.path.join(tmp, "work", "train-log.json")) as f:
        dev = json.load(f)["history"][-1]["dev"]
    check(sorted(dev) == sorted(W.TRAINED_KINDS), f"development kinds {sorted(dev)}: conflict is never trained")
    E.export_hf(model, os.path.join(tmp, "out"), W.vocabulary())
    with open(os.path.join(tmp, "out", "tokenizer.json")) as f:
        check(list(json.load(f)["model"]["vocab"]) == W.vocabulary(), "the exported tokenizer is not the world's")
    check_snapshots(recipe, tmp, model)


def check_snapshots(recipe, tmp, model):
    """The timeline's snapshots: saved at the recipe's steps, exported in BF16
    as PyTorch rounds to bfloat16, and read back widened."""
    recipe = dict(recipe, snapshots=[2, 4])
    T.train(recipe, os.path.join(tmp, "snap"), log=lambda s: None)
    saved = sorted(n for n in os.listdir(os.path.join(tmp, "snap")) if n.startswith("snapshot-"))
    check(saved == ["snapshot-000002.pt", "snapshot-000004.pt"], f"snapshots saved: {saved}")
    out = os.path.join(tmp, "bf16")
    E.export_hf(model, out, dtype="BF16")
    with open(os.path.join(out, "config.json")) as f:
        check(json.load(f)["torch_dtype"] == "bfloat16", "a BF16 export's config.json does not say bfloat16")
    check(os.path.getsize(os.path.join(out, "model.safetensors")) < 0.6 * os.path.getsize(os.path.join(tmp, "out", "model.safetensors")),
          "the BF16 weights are not about half the F32 ones")
    back = E.read_safetensors(os.path.join(out, "model.safetensors"))
    for name, arr in E.hf_tensors(model):
        want = torch.from_numpy(np.array(arr, dtype=np.float32)).to(torch.bfloat16).float().numpy()
        check(np.array_equal(back[name], want), f"{name}: the BF16 export is not PyTorch's bfloat16 rounding")


def main():
    for seed in (2026, 2027, 2028):
        suite, world, excluded = W.build_suite(seed, "m", list(W.KINDS))
        check(W.suite_text(suite) == W.suite_text(W.build_suite(seed, "m", list(W.KINDS))[0]),
              f"seed {seed}: the suite text differs between two runs")
        check_items(suite)
        check_training_stream(seed, suite, world, excluded)
        check_lookup_people(world)
    with tempfile.TemporaryDirectory() as tmp:
        check_training(tmp)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print("world2 suite generator: ok")


if __name__ == "__main__":
    main()
