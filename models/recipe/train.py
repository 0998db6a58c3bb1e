"""Training of one shipped model on the synthetic world (CPU, one thread).

    /usr/bin/python3 models/recipe/train.py --model tiny-gpt2-world2 [--out DIR]

Reads the recipe from recipes.json, trains with a loss on the answer token
only, stops after max_steps or when every kind is at or above stop_accuracy
on a development stream (both deterministic: no wall-clock decisions), and
writes DIR/checkpoint.pt plus DIR/train-log.json. export.py turns the
checkpoint into the shipped files.

Not responsible for the world (world.py) or file formats (export.py).
"""

import argparse
import importlib
import json
import os
import random
import sys
import time

# One thread everywhere: torch's own pool and the BLAS pool (OpenBLAS ignores
# torch.set_num_threads). Must be set before torch is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Decoder  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def work_dir(model_id):
    """Checkpoints and logs live in the (ignored) build tree, not in models/."""
    return os.path.normpath(os.path.join(HERE, "..", "..", "build", "recipe", model_id))


def load_recipe(model_id, path=None):
    with open(path or os.path.join(HERE, "recipes.json")) as f:
        recipes = json.load(f)
    if model_id not in recipes:
        raise SystemExit(f"recipes.json: no recipe named {model_id!r}; have {sorted(recipes)}")
    r = dict(recipes[model_id])
    r["id"] = model_id
    return r


def model_config(recipe, vocab_size):
    return {"arch": recipe["arch"], "vocab_size": vocab_size, "d_model": recipe["d_model"],
            "n_layers": recipe["n_layers"], "n_heads": recipe["n_heads"], "d_mlp": recipe["d_mlp"],
            "n_ctx": recipe.get("n_ctx", 32), "eps": 1e-5, "rope_theta": 10000.0}


def encode(vocab, prompts):
    return torch.tensor([[vocab[t] for t in p] for p in prompts], dtype=torch.long)


def predict(model, vocab, prompts, batch=256, head_mask=None, mlp_mask=None):
    """Greedy next token after each prompt (list of token lists) -> token ids."""
    out = []
    model.eval()
    with torch.no_grad():
        for i in range(0, len(prompts), batch):
            ids = encode(vocab, prompts[i:i + batch])
            logits = model(ids, head_mask, mlp_mask)[:, -1, :]
            out.extend(logits.argmax(-1).tolist())
    model.train()
    return out


def world_module(recipe):
    """The world a recipe trains on: world.py (the first) or a later one named by "world"."""
    return importlib.import_module(recipe.get("world", "world"))


def dev_sets(W, world, excluded, seed, kinds, n=256):
    """Development items: all trained facts per attribute, fresh reasoning items
    (no conflict items: that family is evaluated, never trained)."""
    dev = {}
    sampler = W.Sampler(world, excluded, seed, stream="dev")
    for kind in [k for k in kinds if W.KINDS[k]["family"] != "conflict"]:
        if kind in W.ATTRIBUTES:
            rng = random.Random(f"dev-{kind}-{seed}")
            dev[kind] = [W.recall_item(rng, world, p, kind)[:2] for p in world.trained]
        else:
            dev[kind] = [sampler.reasoning(kind) for _ in range(n)]
    return dev


def dev_accuracy(model, vocab, dev):
    acc = {}
    for kind, items in dev.items():
        pred = predict(model, vocab, [p for p, _ in items])
        acc[kind] = sum(int(pr == vocab[a]) for pr, (_, a) in zip(pred, items)) / len(items)
    return acc


def total_steps(recipe):
    """max_steps, plus the steps of the optional second phase."""
    return recipe["max_steps"] + (recipe["phase2"]["steps"] if "phase2" in recipe else 0)


def phase_at(step, recipe):
    """(schedule, first step) in force at `step`. A recipe may add "phase2":
    {"steps", "lr", "warmup", "mix"}, run after max_steps with the same model,
    optimizer and streams but its own warm-up, cosine schedule and mix (a
    curriculum: e.g. more of a kind that builds on one learned first)."""
    if "phase2" in recipe and step >= recipe["max_steps"]:
        p = recipe["phase2"]
        return {"lr": p["lr"], "warmup": p["warmup"], "steps": p["steps"], "mix": p["mix"],
                "lr_floor": recipe.get("lr_floor", 0.1)}, recipe["max_steps"]
    return {"lr": recipe["lr"], "warmup": recipe["warmup"], "steps": recipe["max_steps"], "mix": recipe["mix"],
            "lr_floor": recipe.get("lr_floor", 0.1)}, 0


def lr_at(step, recipe):
    phase, first = phase_at(step, recipe)
    step -= first
    warm, total, peak = phase["warmup"], phase["steps"], phase["lr"]
    if step < warm:
        return peak * (step + 1) / warm
    floor = phase["lr_floor"]
    prog = min(1.0, (step - warm) / max(1, total - warm))
    return peak * (floor + (1 - floor) * 0.5 * (1 + torch.cos(torch.tensor(prog * 3.14159265)).item()))


def required_kinds(W, kinds):
    return [k for k in kinds if not W.KINDS[k]["optional"]]


def train(recipe, out_dir, log=print, resume=False):
    """Train; every eval_every steps log the development accuracy and save
    out_dir/resume.pt (model, optimizer and sampler states). Stops after
    max_steps (plus phase2's steps), at recipe["stop_at"] if given, or when every required kind is
    at least stop_accuracy; a file out_dir/STOP ends the run at the next
    evaluation (the step is logged, and stop_at reproduces it). The model at
    each step of recipe["snapshots"] is saved as out_dir/snapshot-<step>.pt."""
    torch.set_num_threads(1)
    seed = recipe["seed"]
    W = world_module(recipe)
    torch.manual_seed(recipe.get("torch_seed", seed))
    vocab_list = W.vocabulary()
    vocab = {t: i for i, t in enumerate(vocab_list)}
    kinds = recipe["kinds"]
    _, world, excluded = W.build_suite(seed, recipe["id"], kinds)
    sampler = W.Sampler(world, excluded, seed, stream="train")
    kind_rng = random.Random(f"mix-{seed}")
    dev = dev_sets(W, world, excluded, seed, kinds)

    cfg = model_config(recipe, len(vocab_list))
    model = Decoder(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=recipe["lr"], betas=(0.9, 0.98),
                            weight_decay=recipe.get("weight_decay", 0.01))
    os.makedirs(out_dir, exist_ok=True)
    history, first, spent = [], 0, 0.0
    resume_path = os.path.join(out_dir, "resume.pt")
    if resume and os.path.exists(resume_path):
        ck = torch.load(resume_path)
        model.load_state_dict(ck["state"])
        opt.load_state_dict(ck["optimizer"])
        sampler.rng.setstate(ck["sampler_rng"])
        kind_rng.setstate(ck["kind_rng"])
        history, first, spent = ck["history"], ck["step"], ck["seconds"]
        log(f"resumed at step {first}")
    stop = recipe.get("stop_accuracy", 0.995)
    last = min(total_steps(recipe), recipe.get("stop_at") or total_steps(recipe))
    t0, step = time.time() - spent, first
    for step in range(first, last):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, recipe)
        mix = phase_at(step, recipe)[0]["mix"]  # training kind -> weight (may include the warm-up kind chain1)
        batch = [sampler.sample(k) for k in kind_rng.choices(list(mix), list(mix.values()), k=recipe["batch"])]
        ids = encode(vocab, [p for p, _ in batch])
        target = torch.tensor([vocab[a] for _, a in batch])
        loss = F.cross_entropy(model(ids)[:, -1, :], target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % recipe["eval_every"] == 0:
            acc = dev_accuracy(model, vocab, dev)
            history.append({"step": step + 1, "seconds": round(time.time() - t0, 1),
                             "loss": round(loss.item(), 4), "dev": {k: round(v, 4) for k, v in acc.items()}})
            log(json.dumps(history[-1]))
            torch.save({"state": model.state_dict(), "optimizer": opt.state_dict(), "step": step + 1,
                        "sampler_rng": sampler.rng.getstate(), "kind_rng": kind_rng.getstate(),
                        "history": history, "seconds": time.time() - t0}, resume_path)
            if min(acc[k] for k in required_kinds(W, kinds)) >= stop or os.path.exists(os.path.join(out_dir, "STOP")):
                break
        if step + 1 in recipe.get("snapshots", []):  # the training timeline's checkpoints
            torch.save({"config": cfg, "state": model.state_dict(), "step": step + 1},
                       os.path.join(out_dir, f"snapshot-{step + 1:06d}.pt"))
    step = step + 1 if last > first else first
    seconds = time.time() - t0
    torch.save({"config": cfg, "state": model.state_dict(), "recipe": recipe}, os.path.join(out_dir, "checkpoint.pt"))
    with open(os.path.join(out_dir, "train-log.json"), "w") as f:
        json.dump({"model": recipe["id"], "steps": step, "seconds": round(seconds, 1),
                   "params": model.n_params(), "history": history}, f, indent=1)
    return model, cfg, step, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--recipes", default=None)
    ap.add_argument("--out", default=None, help="work folder for checkpoint.pt (default build/recipe/<id>)")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--resume", action="store_true", help="continue from <out>/resume.pt")
    args = ap.parse_args()
    recipe = load_recipe(args.model, args.recipes)
    if args.max_steps is not None:
        recipe["max_steps"] = args.max_steps
    out = args.out or work_dir(args.model)
    _, _, steps, seconds = train(recipe, out, log=lambda s: print(s, flush=True), resume=args.resume)
    print(f"trained {args.model}: {steps} steps in {seconds:.0f} s -> {out}")


if __name__ == "__main__":
    main()
