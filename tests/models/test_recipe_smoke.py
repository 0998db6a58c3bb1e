"""Smoke test of the model recipe (models/recipe) on the shipped models' world
(world2.py): the suite generator is byte for byte deterministic, reproduces the
shipped suites and is well formed, a tiny GPT-2 and a tiny LLaMA train on that
world for a few steps, and their exports (safetensors, config.json,
tokenizer.json, model.onnx, eval-torch.json) have the Hugging Face names,
layouts and shapes.

    /usr/bin/python3 tests/models/test_recipe_smoke.py

Exits non-zero on the first failure. Full training is not part of it.
"""

import json
import os
import shutil
import struct
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "models", "recipe"))

import torch  # noqa: E402

import world2 as W  # noqa: E402
import train as T  # noqa: E402
import build as B  # noqa: E402
import export as E  # noqa: E402
import evaluate as V  # noqa: E402
import onnx_export as O  # noqa: E402

FAILURES = []

# The shipped models whose suites world2.py must reproduce (models/recipe/recipes.json).
SHIPPED = ("tiny-gpt2-world2", "tiny-llama-world2")


def check(cond, message):
    if not cond:
        FAILURES.append(message)
        print("FAIL:", message)


def test_suite_determinism(tmp):
    kinds = list(W.KINDS)
    a = W.suite_text(W.build_suite(2026, "m", kinds)[0])
    b = W.suite_text(W.build_suite(2026, "m", kinds)[0])
    c = W.suite_text(W.build_suite(2027, "m", kinds)[0])
    check(a == b, "suite text differs between two runs with the same seed")
    check(a != c, "suite text is the same for two different seeds")
    # The shipped suites are what the recipe writes today (build.py's write_suite, from recipes.json).
    for name in SHIPPED:
        path = os.path.join(ROOT, "models", name, "suite.json")
        r = T.load_recipe(name)
        check(T.world_module(r) is W, f"{name}: the recipe's world is {T.world_module(r).__name__}, not world2")
        out = os.path.join(tmp, "suite-" + name)
        B.write_suite(r, out)
        if not os.path.exists(path):
            check(False, f"{path}: missing")
            continue
        with open(path, "rb") as f, open(os.path.join(out, "suite.json"), "rb") as g:
            check(f.read() == g.read(), f"{path}: not reproduced byte for byte by world2.py")


def test_suite_shape():
    suite, world, excluded = W.build_suite(2026, "m", list(W.KINDS))
    vocab = set(W.vocabulary())
    people = {(p["first"], p["last"]): p for p in world.people}  # memorised and recall held-out
    held_names = {(p["first"], p["last"]) for p in world.heldout} | set(world.context_heldout)
    ids, counts = set(), {}
    for it in suite["items"]:
        p, c = it["prompt"].split(), it["corrupt_prompt"].split()
        kind, meta = it["kind"], it["meta"]
        counts[(kind, it["split"])] = counts.get((kind, it["split"]), 0) + 1
        check(it["id"] not in ids, f'duplicate id {it["id"]}')
        ids.add(it["id"])
        check(len(p) == W.PROMPT_LEN and len(c) == W.PROMPT_LEN, f'{it["id"]}: prompt lengths {len(p)}, {len(c)}')
        check(all([x[i] for i in (3, 7, 11, 13)] == [".", ".", ".", "of"] for x in (p, c)), f'{it["id"]}: template shape')
        check(sum(a != b for a, b in zip(p, c)) == 1, f'{it["id"]}: the corrupt prompt differs in other than one token')
        check(it["answer"] != it["corrupt_answer"], f'{it["id"]}: corrupt answer equals the answer')
        check(all(t in vocab for t in p + c + [it["answer"], it["corrupt_answer"]]),
              f'{it["id"]}: token outside the vocabulary')
        check(it["family"] == W.KINDS[kind]["family"], f'{it["id"]}: family')
        if kind != "compare":  # a person is asked about
            check(meta.get("subject_positions") == W.QUESTION_NAME, f'{it["id"]}: subject_positions')
        asked = tuple(p[i] for i in W.QUESTION_NAME)
        if kind in W.ATTRIBUTES:  # recall: from memory, never stated
            person, other = people.get(asked), people.get(tuple(c[i] for i in W.QUESTION_NAME))
            check(person is not None and person["split"] == it["split"] and person[kind] == it["answer"],
                  f'{it["id"]}: the answer is not the asked person\'s {kind}')
            check(other is not None and other["split"] == "trained" and other[kind] == it["corrupt_answer"],
                  f'{it["id"]}: the corrupt answer is not the corrupt person\'s memorised {kind}')
            check(it["answer"] not in p and it["corrupt_answer"] not in c,
                  f'{it["id"]}: recall answer appears in the prompt')
        elif kind in ("lookup", "conflict"):  # the answer is stated in the asked name's clause
            ev = meta["evidence_positions"]
            check([p[i] for i in ev] == [*asked, it["answer"]] and [c[i] for i in ev] == [*asked, it["corrupt_answer"]],
                  f'{it["id"]}: the evidence clause does not state the answer for the asked name')
            check(sum(tuple(p[4 * k:4 * k + 2]) == asked for k in range(3)) == 1,
                  f'{it["id"]}: the asked name is stated twice')
            if kind == "lookup":
                check(asked not in people and ((asked in world.context_heldout) == (it["split"] == "heldout"))
                      and (it["split"] == "heldout" or asked in world.context_set), f'{it["id"]}: asked person\'s pool')
            else:
                person = people.get(asked)
                check(person is not None and person["split"] == "trained"
                      and meta["memory_answer"] == person[meta["attribute"]] == it["corrupt_answer"]
                      and meta["context_answer"] == it["answer"], f'{it["id"]}: memory and context answers')
        else:  # compare: the bigger of two cities of the chain not compared directly
            order = meta["order"]
            for x, answer in ((p, it["answer"]), (c, it["corrupt_answer"])):
                a, b = (order.index(x[i]) if x[i] in order else -1 for i in W.QUESTION_NAME)
                check(min(a, b) >= 0 and order[min(a, b)] == answer, f'{it["id"]}: the answer is not the bigger city')
            check(meta["distance"] in (2, 3) and meta["distance"] == abs(order.index(p[14]) - order.index(p[15])),
                  f'{it["id"]}: distance')
    want = {(k, "trained"): len(world.trained) for k in W.ATTRIBUTES}
    want.update({(k, "heldout"): len(world.heldout) for k in W.ATTRIBUTES})
    want.update({(k, s): 200 for k in ("lookup", "compare") for s in ("trained", "heldout")})
    want[("conflict", "trained")] = 200
    check(counts == want, f"items per kind and split: {counts}")
    # Held-out compare items never come out of the training sampler: the
    # signatures it rejects are the held-out items', and it rejects them. No
    # training prompt names a held-out person (recall or context).
    held = [it["prompt"].split() for it in suite["items"] if it["split"] == "heldout" and it["kind"] == "compare"]
    check({compare_signature(x) for x in held} == excluded, "the sampler's excluded set is not the held-out compare items")
    sampler = W.Sampler(world, excluded, 2026)
    drawn = [sampler.sample(k)[0] for k in W.TRAINED_KINDS for _ in range(300)]
    check(not ({compare_signature(x) for x in drawn if x[12] == "bigger"} & excluded),
          "the training sampler produced a held-out compare item")
    unguarded = W.Sampler(world, set(), 2026)
    first = [unguarded.sample("compare")[0] for _ in range(50)]
    guarded = W.Sampler(world, {compare_signature(x) for x in first}, 2026)
    again = [guarded.sample("compare")[0] for _ in range(50)]
    check(not ({compare_signature(x) for x in again} & {compare_signature(x) for x in first}),
          "the training sampler does not reject the excluded compare items")
    named = {(x[i], x[i + 1]) for x in drawn for i in (0, 4, 8, 14)}
    check(not (named & held_names), f"the training sampler named held-out people: {sorted(named & held_names)[:5]}")


def compare_signature(prompt):
    """A compare prompt's (tokens) signature as world2.compare_item makes it: the
    chain from biggest to smallest, its clauses in order, the asked pair."""
    pairs = tuple((prompt[4 * k], prompt[4 * k + 2]) for k in range(3))
    smaller = dict(pairs)
    order = list(set(smaller) - set(smaller.values()))
    while order and order[-1] in smaller:
        order.append(smaller[order[-1]])
    return ("compare", tuple(order), pairs, frozenset(prompt[14:16]))


def safetensors_header(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    check(n % 8 == 0, f"{path}: header length {n} is not a multiple of 8")
    header = json.loads(data[8:8 + n])
    end = 0
    for name, spec in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                             key=lambda kv: kv[1]["data_offsets"][0]):
        a, b = spec["data_offsets"]
        check(a == end, f"{path}: {name} begins at {a}, expected {end}")
        end = b
    check(8 + n + end == len(data), f"{path}: tensors end at {8 + n + end}, file has {len(data)} bytes")
    return header


def expected_shapes(arch, cfg):
    V, d, m, L = cfg["vocab_size"], cfg["d_model"], cfg["d_mlp"], cfg["n_layers"]
    if arch == "gpt2":
        s = {"transformer.wte.weight": [V, d], "transformer.wpe.weight": [cfg["n_ctx"], d],
             "transformer.ln_f.weight": [d], "transformer.ln_f.bias": [d]}
        for l in range(L):
            p = f"transformer.h.{l}."
            s.update({p + "ln_1.weight": [d], p + "ln_1.bias": [d], p + "ln_2.weight": [d], p + "ln_2.bias": [d],
                      p + "attn.c_attn.weight": [d, 3 * d], p + "attn.c_attn.bias": [3 * d],
                      p + "attn.c_proj.weight": [d, d], p + "attn.c_proj.bias": [d],
                      p + "mlp.c_fc.weight": [d, m], p + "mlp.c_fc.bias": [m],
                      p + "mlp.c_proj.weight": [m, d], p + "mlp.c_proj.bias": [d]})
        return s
    s = {"model.embed_tokens.weight": [V, d], "model.norm.weight": [d], "lm_head.weight": [V, d]}
    for l in range(L):
        p = f"model.layers.{l}."
        s.update({p + f"self_attn.{x}_proj.weight": [d, d] for x in "qkvo"})
        s.update({p + "mlp.gate_proj.weight": [m, d], p + "mlp.up_proj.weight": [m, d],
                  p + "mlp.down_proj.weight": [d, m], p + "input_layernorm.weight": [d],
                  p + "post_attention_layernorm.weight": [d]})
    return s


def test_tiny_training_and_export(arch, tmp):
    recipe = {"id": f"smoke-{arch}", "world": "world2", "arch": arch, "seed": 7, "n_layers": 2, "d_model": 32,
              "n_heads": 4, "d_mlp": 64, "n_ctx": 32, "kinds": list(W.KINDS), "mix": {k: 1 for k in W.TRAINED_KINDS},
              "batch": 16, "lr": 0.003, "warmup": 2, "max_steps": 6, "eval_every": 3, "stop_accuracy": 1.01}
    check(T.world_module(recipe) is W, f"{arch}: the smoke recipe does not train on world2")
    work, out = os.path.join(tmp, "work-" + arch), os.path.join(tmp, recipe["id"])
    model, cfg, steps, _ = T.train(recipe, work, log=lambda s: None)
    check(steps == 6, f"{arch}: trained {steps} steps, expected 6")
    again, _, _, _ = T.train(recipe, work + "-again", log=lambda s: None)
    worst = max((a - b).abs().max().item() for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    check(worst == 0.0, f"{arch}: two trainings with the same seed differ by {worst}")
    with open(os.path.join(work, "train-log.json")) as f:
        check(len(json.load(f)["history"]) == 2, f"{arch}: train-log.json history length")
    os.makedirs(out)
    suite = W.build_suite(7, recipe["id"], recipe["kinds"], n_reasoning=8)[0]
    with open(os.path.join(out, "suite.json"), "w") as f:
        f.write(W.suite_text(suite))
    splits = {}  # kind -> the splits the suite has items of
    for it in suite["items"]:
        splits.setdefault(it["kind"], set()).add(it["split"])
    E.export_hf(model, out, W.vocabulary())

    header = safetensors_header(os.path.join(out, "model.safetensors"))
    want = expected_shapes(arch, cfg)
    got = {k: v["shape"] for k, v in header.items() if k != "__metadata__"}
    check(got == want, f"{arch}: safetensors names/shapes differ: {sorted(set(got) ^ set(want))}")

    with open(os.path.join(out, "config.json")) as f:
        hf = json.load(f)
    check(hf["model_type"] == arch, f'{arch}: config model_type {hf["model_type"]}')
    with open(os.path.join(out, "tokenizer.json")) as f:
        tok = json.load(f)
    check(tok["model"]["type"] == "WordLevel" and tok["model"]["unk_token"] == "[UNK]", f"{arch}: tokenizer model")
    check(tok["pre_tokenizer"] == {"type": "WhitespaceSplit"}, f"{arch}: pre_tokenizer")
    check(tok["model"]["vocab"]["[UNK]"] == 0 and len(tok["model"]["vocab"]) == cfg["vocab_size"], f"{arch}: vocab")

    shipped = E.load_shipped(out)
    ids = torch.randint(0, cfg["vocab_size"], (3, 16))
    model.eval()
    diff = (model(ids) - shipped(ids)).abs().max().item()
    check(diff < 1e-6, f"{arch}: logits after the safetensors round trip differ by {diff}")

    # Masks: all-ones is the identity; zeroing a head changes the output.
    L, H = cfg["n_layers"], cfg["n_heads"]
    logits, pats, hidden = shipped(ids, torch.ones(L, H), torch.ones(L), want_all=True)
    check(len(pats) == L and tuple(pats[0].shape) == (3, H, 16, 16), f"{arch}: attention pattern shape")
    check(len(hidden) == L + 1, f"{arch}: hidden state count")
    hm = torch.ones(L, H)
    hm[0, 0] = 0
    check((shipped(ids, hm) - logits).abs().max().item() > 0, f"{arch}: head_mask has no effect")

    onnx_path = os.path.join(out, "model.onnx")
    O.export_onnx(shipped, onnx_path)
    import onnx
    g = onnx.load(onnx_path).graph
    dims = {v.name: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]
            for v in list(g.input) + list(g.output)}
    check(dims["head_mask"] == [L, H] and dims["mlp_mask"] == [L], f"{arch}: onnx mask inputs {dims}")
    check(len(dims["input_ids"]) == 2 and dims["logits"][2] == cfg["vocab_size"], f"{arch}: onnx logits {dims}")
    check(len(dims["attentions"]) == 4 and dims["attentions"][0] == L, f"{arch}: onnx attentions {dims}")
    check(dims["hidden_states"][0] == L + 1 and dims["hidden_states"][2] == cfg["d_model"],
          f"{arch}: onnx hidden_states {dims}")
    run_ort(shipped, out)

    result = V.evaluate(out)
    with open(os.path.join(out, "eval-torch.json")) as f:
        ev = json.load(f)
    check(ev["model"] == recipe["id"] and len(ev["items"]) == len(result["items"]) == len(suite["items"]),
          f"{arch}: eval-torch.json items")
    check(set(ev["by_kind"]) == set(W.KINDS), f'{arch}: eval kinds {sorted(ev["by_kind"])}')
    for kind, k in ev["by_kind"].items():
        check(k["family"] == W.KINDS[kind]["family"] and set(k["splits"]) == splits[kind], f"{arch}: eval by_kind[{kind}]")
        for s in k["splits"].values():
            check(s["n"] > 0 and 0 <= s["correct"] <= s["n"] and abs(s["accuracy"] - s["correct"] / s["n"]) < 1e-3,
                  f"{arch}: eval split counts {s}")
            # A conflict kind also counts the answers that follow memory (never the prompt's answer too).
            check(("memory" in s) == (k["family"] == "conflict"), f"{arch}: eval by_kind[{kind}] memory count")
            if "memory" in s:
                check(0 <= s["memory"] <= s["n"] - s["correct"] and abs(s["memory_rate"] - s["memory"] / s["n"]) < 1e-3,
                      f"{arch}: eval conflict memory counts {s}")


def test_phase2_and_resume(tmp):
    """A second phase runs after max_steps with its own schedule and mix, and a
    run stopped and resumed from resume.pt ends with the same weights as one
    uninterrupted run."""
    recipe = {"id": "smoke-phases", "world": "world2", "arch": "llama", "seed": 7, "n_layers": 2, "d_model": 32,
              "n_heads": 4, "d_mlp": 64, "n_ctx": 32, "kinds": list(W.KINDS),
              "mix": {"city": 1, "job": 1, "lookup": 1, "compare": 1},
              "phase2": {"steps": 4, "lr": 0.002, "warmup": 2, "mix": {"city": 1, "lookup": 3}},
              "batch": 16, "lr": 0.003, "warmup": 2, "max_steps": 4, "eval_every": 2, "stop_accuracy": 1.01}
    check(T.total_steps(recipe) == 8, "total_steps does not count the second phase")
    first_only = {k: v for k, v in recipe.items() if k != "phase2"}
    check(T.lr_at(3, recipe) == T.lr_at(3, first_only), "the second phase changes the first phase's schedule")
    check(T.lr_at(4, recipe) == 0.001 and T.lr_at(5, recipe) == 0.002,
          f"second phase warm-up: lr {T.lr_at(4, recipe)}, {T.lr_at(5, recipe)}")
    check(T.phase_at(3, recipe)[0]["mix"] == recipe["mix"] and T.phase_at(4, recipe)[0]["mix"] == recipe["phase2"]["mix"],
          "phase_at picks the wrong mix")
    straight, _, steps, _ = T.train(recipe, os.path.join(tmp, "phases-straight"), log=lambda s: None)
    check(steps == 8, f"two-phase training ran {steps} steps, expected 8")
    split = os.path.join(tmp, "phases-split")
    T.train({**recipe, "stop_at": 4}, split, log=lambda s: None)
    resumed, _, steps, _ = T.train(recipe, split, log=lambda s: None, resume=True)
    check(steps == 8, f"resumed training ended at step {steps}, expected 8")
    worst = max((a - b).abs().max().item() for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()))
    check(worst == 0.0, f"stopping at the phase boundary and resuming differs from one run by {worst}")


def run_ort(model, out):
    """ONNX Runtime Web in node, when both are available: same logits as torch."""
    ok, report = O.check_with_ort_web(model, out, ROOT)
    if ok is None:
        print("skip:", report)
    check(ok is not False, f"onnxruntime-web check failed: {report}")


def main():
    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix="strata-recipe-smoke-")
    try:
        test_suite_determinism(tmp)
        test_suite_shape()
        test_phase2_and_resume(tmp)
        for arch in ("gpt2", "llama"):
            test_tiny_training_and_export(arch, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print("OK: recipe smoke test passed")


if __name__ == "__main__":
    main()
