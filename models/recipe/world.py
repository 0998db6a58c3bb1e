"""The synthetic world and its prompt suites, deterministic from a seed.

A world holds people with two-token names (first + last) and two memorized
attributes each (city, job), plus the vocabulary of in-context reasoning
(fresh one-letter names, digits, relation signs). Recall and reasoning use
disjoint content tokens; they share only the punctuation "." and "?".

Every prompt has the same shape, 16 tokens (one word = one token):

    c c c .  c c c .  c c c .  q x y ?        -> answer (one token)

three 4-token clauses, then a 4-token question. Kinds:

  recall  city    "nora vance rome . ivo marsh baker . ... city lena stone ?"
          job     the clauses are true facts about other people (never the
                  asked one, never the answer); the answer comes from memory.
  reasoning
          compare "k > p . d > k . p > w . bigger d p ?"  the larger of two
                  names that are not directly compared (transitive).
          over    "k > p . d > k . p > w . over p d ?"    -> no (the same
                  relations asked as a yes/no question).
          next    "4 = k . 7 = d . 1 = p . next of d ?"   -> 8 (lookup, then +1;
                  the answer is not in the prompt). Optional kind.
          chain   "p = k . 7 = d . 2 = p . value of k ?"  -> 2 (two in-context
                  hops: variable tracking). Optional kind.

Splits: recall "trained" = the memorized facts; recall "heldout" = facts of
people that never appear in training (recall should not generalize to them).
Reasoning "trained" items come from the training stream; "heldout" items have
bindings that the training sampler never produces.

This file is responsible for the world, the item generators and suite.json;
not for training (train.py) or file export (export.py).
"""

import argparse
import json
import random

PROMPT_LEN = 16
PUNCT = [".", "?"]
SPECIALS = ["[UNK]", "[EOS]"]

FIRST = ("ada alba boris clara dario elena felix greta hugo irma jonas kira "
         "leon mara nils olga pavel rosa sven tara udo vera wim xenia yuri "
         "zelda anton bruna cyril dora emil fiona").split()
LAST = ("stone marsh vance reed holt frost wolfe brook lowe grant quill "
        "shaw pike moss hale drake lane voss kemp rook wade nash cole "
        "finch blake thorn hart dunn gale ward ash york").split()
CITIES = ("rome oslo lima kiev cairo quito perth bern dakar hanoi riga "
          "sofia tunis accra doha minsk").split()
JOBS = ("baker pilot nurse judge miner tailor poet chef farmer smith "
        "diver clerk monk scout potter sailor").split()
RECALL_WORDS = ["city", "job"]

VARS = list("abcdefghjkmnpqrstuvwxyz")  # fresh one-token names (no i, l, o)
DIGITS = [str(d) for d in range(10)]
REASON_WORDS = [">", "=", "bigger", "over", "yes", "no", "next", "value", "of"]

ATTRIBUTES = {"city": CITIES, "job": JOBS}

# chance: the accuracy of a guess that knows only the answer's form (a city,
# one of the two names the question asks about, yes or no, a digit); the
# analyses normalise accuracy drops by the distance from it.
KINDS = {
    "city": {"family": "recall", "optional": False, "chance": 1 / len(CITIES)},
    "job": {"family": "recall", "optional": False, "chance": 1 / len(JOBS)},
    "compare": {"family": "reasoning", "optional": False, "chance": 1 / 2},
    "over": {"family": "reasoning", "optional": False, "chance": 1 / 2},
    "next": {"family": "reasoning", "optional": True, "chance": 1 / len(DIGITS)},
    "chain": {"family": "reasoning", "optional": True, "chance": 1 / len(DIGITS)},
}


def vocabulary():
    """Token list in id order; fixed, independent of the seed."""
    words = SPECIALS + PUNCT + FIRST + LAST + CITIES + JOBS + RECALL_WORDS
    words += VARS + DIGITS + REASON_WORDS
    assert len(set(words)) == len(words), "duplicate token in the vocabulary"
    return words


# --- the world ---------------------------------------------------------------

class World:
    def __init__(self, seed, n_trained=256, n_heldout=64):
        rng = random.Random(f"world-{seed}")
        names = [(f, l) for f in FIRST for l in LAST]
        rng.shuffle(names)
        people = names[: n_trained + n_heldout]
        self.seed = seed
        self.people = []
        for i, (f, l) in enumerate(people):
            self.people.append({
                "index": i, "first": f, "last": l,
                "city": rng.choice(CITIES), "job": rng.choice(JOBS),
                "split": "trained" if i < n_trained else "heldout"})
        self.trained = [p for p in self.people if p["split"] == "trained"]
        self.heldout = [p for p in self.people if p["split"] == "heldout"]


# --- item generators (each returns prompt tokens, answer, corrupt, meta) --------

def _recall_distractors(rng, world, person, attribute, answer, n=3):
    """Clauses stating true facts about other trained people, never the answer."""
    clauses = []
    used = {person["index"]}
    while len(clauses) < n:
        other = rng.choice(world.trained)
        attr = rng.choice(list(ATTRIBUTES))
        if other["index"] in used or other[attr] == answer:
            continue
        used.add(other["index"])
        clauses.append([other["first"], other["last"], other[attr], "."])
    return clauses


def recall_item(rng, world, person, attribute):
    answer = person[attribute]
    clauses = _recall_distractors(rng, world, person, attribute, answer)
    ctx = [t for c in clauses for t in c]
    prompt = ctx + [attribute, person["first"], person["last"], "?"]
    # Corrupt: another trained person, preferably sharing the first name (a
    # one-token change), whose attribute differs.
    pool = [p for p in world.trained if p["index"] != person["index"] and p[attribute] != answer
            and p[attribute] not in ctx]
    same_first = [p for p in pool if p["first"] == person["first"]]
    other = rng.choice(same_first or pool)
    corrupt = ctx + [attribute, other["first"], other["last"], "?"]
    meta = {"entity": f'{person["first"]} {person["last"]}', "entity_index": person["index"],
            "attribute": attribute, "subject_positions": [13, 14],
            "corrupt_entity": f'{other["first"]} {other["last"]}'}
    return prompt, answer, corrupt, other[attribute], meta


def _chain_signature(order, pairs, x, y):
    """compare and over share held-out chains: a held-out chain and pair is
    never trained under either question."""
    return ("order", tuple(order), tuple(pairs), frozenset((x, y)))


def compare_item(rng):
    """Chain of four names w > x > y > z, three clauses in random order; ask a
    pair that is not stated directly (rank distance 2 or 3)."""
    order = rng.sample(VARS, 4)  # order[0] is the biggest
    pairs = [(order[i], order[i + 1]) for i in range(3)]
    rng.shuffle(pairs)
    ctx = [t for a, b in pairs for t in (a, ">", b, ".")]
    i, j = rng.choice([(0, 2), (1, 3), (0, 3)])
    x, y = (order[i], order[j]) if rng.random() < 0.5 else (order[j], order[i])
    prompt = ctx + ["bigger", x, y, "?"]
    answer = order[i]
    # Corrupt: every clause reversed in place; the chain's order flips.
    rctx = [t for a, b in pairs for t in (b, ">", a, ".")]
    corrupt = rctx + ["bigger", x, y, "?"]
    meta = {"order": order, "query": [x, y], "distance": j - i,
            "evidence_positions": [4 * k + o for k in range(3) for o in (0, 2)]}
    return prompt, answer, corrupt, order[j], meta, _chain_signature(order, pairs, x, y)


def over_item(rng):
    """The chain of compare_item, asked as a yes/no question: is x over y?
    The answer token (yes / no) never appears in the prompt."""
    order = rng.sample(VARS, 4)
    pairs = [(order[i], order[i + 1]) for i in range(3)]
    rng.shuffle(pairs)
    ctx = [t for a, b in pairs for t in (a, ">", b, ".")]
    i, j = rng.choice([(0, 2), (1, 3), (0, 3)])
    yes = rng.random() < 0.5
    x, y = (order[i], order[j]) if yes else (order[j], order[i])
    prompt = ctx + ["over", x, y, "?"]
    rctx = [t for a, b in pairs for t in (b, ">", a, ".")]
    corrupt = rctx + ["over", x, y, "?"]
    meta = {"order": order, "query": [x, y], "distance": j - i,
            "evidence_positions": [4 * k + o for k in range(3) for o in (0, 2)]}
    answer = "yes" if yes else "no"
    return prompt, answer, corrupt, "no" if yes else "yes", meta, _chain_signature(order, pairs, x, y)


def next_item(rng):
    names = rng.sample(VARS, 3)
    values = rng.sample(range(9), 3)
    q = rng.randrange(3)
    answer = values[q] + 1
    while answer in values:  # the answer never appears in the prompt
        values = rng.sample(range(9), 3)
        answer = values[q] + 1
    ctx = [t for n, v in zip(names, values) for t in (str(v), "=", n, ".")]
    prompt = ctx + ["next", "of", names[q], "?"]
    others = [k for k in range(3) if k != q]
    r = rng.choice(others)
    corrupt = ctx + ["next", "of", names[r], "?"]
    meta = {"bindings": {n: v for n, v in zip(names, values)}, "query": names[q],
            "evidence_positions": [4 * q, 4 * q + 2]}
    return prompt, str(answer), corrupt, str(values[r] + 1), meta, ("next", tuple(names), tuple(values), q)


def chain_item(rng, hops=2):
    """Clauses "p = k", "v = p", "w = d" (value first) in random order; ask k
    (two hops). With
    hops=1 the question asks p or d directly (a training-only warm-up)."""
    k, p, d = rng.sample(VARS, 3)
    v, w = rng.sample(range(10), 2)
    clauses = [(k, p), (p, str(v)), (d, str(w))]  # (name, what it equals)
    rng.shuffle(clauses)
    ctx = [t for a, b in clauses for t in (b, "=", a, ".")]  # written value first: "7 = p"
    if hops == 2:
        q, answer = k, v
    else:
        q, answer = (p, v) if rng.random() < 0.5 else (d, w)
    prompt = ctx + ["value", "of", q, "?"]
    # Corrupt: the chain's final value changed to a digit not in the prompt.
    nv = rng.choice([x for x in range(10) if x not in (v, w)])
    cctx = [str(nv) if (t == str(v) and ctx[i + 2] == p) else t for i, t in enumerate(ctx)]
    corrupt = cctx + ["value", "of", q, "?"]
    cans = nv if answer == v and q != d else answer
    pos = {a: 4 * i for i, (a, _) in enumerate(clauses)}
    meta = {"bindings": {a: b for a, b in clauses}, "query": q, "hops": hops,
            "evidence_positions": sorted([pos[k], pos[k] + 2, pos[p], pos[p] + 2])}
    sig = ("chain", k, p, d, v, w, tuple(clauses))
    return prompt, str(answer), corrupt, str(cans), meta, sig


REASONING_GENERATORS = {"compare": compare_item, "over": over_item, "next": next_item, "chain": chain_item}


# --- suites --------------------------------------------------------------------

def _item(id_, kind, split, prompt, answer, corrupt, corrupt_answer, meta):
    assert len(prompt) == PROMPT_LEN and len(corrupt) == PROMPT_LEN, (id_, prompt, corrupt)
    assert answer != corrupt_answer, (id_, answer, corrupt_answer)
    return {"id": id_, "kind": kind, "family": KINDS[kind]["family"], "split": split,
            "prompt": " ".join(prompt), "answer": answer,
            "corrupt_prompt": " ".join(corrupt), "corrupt_answer": corrupt_answer, "meta": meta}


def heldout_reasoning(seed, kind, n):
    """Held-out reasoning items and their signatures (excluded from training)."""
    rng = random.Random(f"heldout-{kind}-{seed}")
    items, sigs = [], set()
    while len(items) < n:
        *fields, sig = REASONING_GENERATORS[kind](rng)
        if sig in sigs:
            continue
        sigs.add(sig)
        items.append(fields)
    return items, sigs


class Sampler:
    """The training stream: recall facts of trained people and reasoning items
    whose bindings are not held out. Deterministic from (seed, stream)."""

    def __init__(self, world, excluded, seed, stream="train"):
        self.world = world
        self.excluded = excluded
        self.rng = random.Random(f"{stream}-{seed}")

    def recall(self, attribute):
        person = self.rng.choice(self.world.trained)
        return recall_item(self.rng, self.world, person, attribute)[:2]

    def reasoning(self, kind, hops=2):
        while True:
            if kind == "chain":
                *fields, sig = chain_item(self.rng, hops)
            else:
                *fields, sig = REASONING_GENERATORS[kind](self.rng)
            if sig not in self.excluded:
                return fields[0], fields[1]

    def sample(self, kind):
        if kind in ATTRIBUTES:
            return self.recall(kind)
        if kind == "chain1":
            return self.reasoning("chain", hops=1)
        return self.reasoning(kind)


def kind_specs(kinds, optional=None):
    """{kind: {family, optional, chance}}; a recipe may mark further kinds
    optional (a kind its model did not learn to the accuracy bar)."""
    extra = set(optional or [])
    return {k: {"family": KINDS[k]["family"], "optional": KINDS[k]["optional"] or k in extra,
                "chance": KINDS[k]["chance"]} for k in kinds}


def recall_items(world, attributes, seed, make_item, item):
    """A suite's recall items: every person of the world asked each attribute
    (make_item and item are the world module's item generator and writer)."""
    items = []
    for attribute in attributes:
        rng = random.Random(f"suite-{attribute}-{seed}")
        for p in world.people:
            fields = make_item(rng, world, p, attribute)
            items.append(item(f'{attribute}-{p["split"]}-{p["index"]:03d}', attribute, p["split"], *fields))
    return items


def build_suite(seed, model_id, kinds, n_reasoning=200, optional=None):
    """suite.json content as a dict (items in a fixed order)."""
    world = World(seed)
    items = []
    items += recall_items(world, [k for k in kinds if k in ATTRIBUTES], seed, recall_item, _item)
    excluded = set()
    for kind in [k for k in kinds if k in REASONING_GENERATORS]:
        held, sigs = heldout_reasoning(seed, kind, n_reasoning)
        excluded |= sigs
        for i, fields in enumerate(held):
            items.append(_item(f"{kind}-heldout-{i:03d}", kind, "heldout", *fields))
        sampler = Sampler(world, sigs, seed, stream=f"suite-trained-{kind}")
        for i in range(n_reasoning):
            while True:
                *fields, sig = REASONING_GENERATORS[kind](sampler.rng)
                if sig not in sigs:
                    break
            items.append(_item(f"{kind}-trained-{i:03d}", kind, "trained", *fields))
    return {"format": "strata-suite", "version": 1, "model": model_id, "seed": seed,
            "prompt_tokens": PROMPT_LEN,
            "kinds": kind_specs(kinds, optional),
            "items": items}, world, excluded


def suite_text(suite):
    """Serialise with one item per line; byte-for-byte stable."""
    head = {k: v for k, v in suite.items() if k != "items"}
    lines = [json.dumps(it, ensure_ascii=True, separators=(", ", ": ")) for it in suite["items"]]
    text = json.dumps(head, ensure_ascii=True, separators=(", ", ": "))[:-1]
    return text + ', "items": [\n' + ",\n".join(lines) + "\n]}\n"



def card_data(seed, examples):
    """The model card's Data section (markdown lines); `examples` are the rows
    of its table of held-out example items."""
    return [f"World seed {seed} (`models/recipe/world.py`). 320 people with two-token names (first + last name, "
            "32 x 32 name pool, so neither token alone identifies a person) and two attributes each, city "
            "(16 values) and job (16 values), drawn at random. 256 people are trained (512 facts); 64 are held "
            "out and never appear in training, to show that recall does not generalize. Reasoning uses "
            "disjoint tokens (one-letter fresh names, digits, `>`, `=`, `yes`, `no` and question words); the only shared tokens are `.` and `?`.", "",
            "Every prompt has the same shape: 16 tokens = three 4-token clauses and a 4-token question; the answer "
            "is the single next token. Recall prompts carry three true facts about *other* trained people as "
            "clauses (never the asked person, never the answer), so recall and reasoning prompts match in length "
            "and layout.", "",
            "| kind | held-out example prompt | answer | corrupt prompt | corrupt answer |", "|---|---|---|---|---|",
            *examples, "",
            "- `city`, `job` (recall): the attribute of the named person, from memory.",
            "- `compare` (reasoning): three `x > y` clauses of a four-name chain in random order; the question asks "
            "the bigger of two names that are never compared directly (chain distance 2 or 3).",
            "- `over` (reasoning): the same chains asked as a yes/no question, `over x y ?` = is x bigger than y; "
            "`yes` and `no` never appear in prompts.",
            "- `next` (reasoning, optional): three bindings written value first, `digit = x`; the answer is the "
            "queried binding plus one, a digit that is not in the prompt.",
            "- `chain` (reasoning, optional; variable tracking, two in-context hops): `p = k`, `digit = p`, "
            "`digit = d` in random order; the question asks `k`.",
            "- Optional kinds are shipped with their measured accuracy (below the 95% bar); they are marked "
            "`optional` in `suite.json` and `eval-torch.json`.",
            "", "Splits: recall `trained` = all 256 trained people, `heldout` = the 64 unseen people. Reasoning "
            "`heldout` = 200 items per kind whose bindings the training sampler rejects; `trained` = 200 items "
            "from the training distribution. Corrupt prompts (same length, different answer) change the person "
            "(one token where a same-first-name person exists), reverse every clause (compare, over), ask another binding, or "
            "change the chain's final digit.", ""]

def main():
    ap = argparse.ArgumentParser(description="Write a suite.json for the synthetic world; seed, kinds and "
                                 "optional kinds come from recipes.json when --model names a recipe.")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--model", default="tiny-gpt2-world")
    ap.add_argument("--kinds", default=None)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import os
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "recipes.json")) as f:
        recipe = json.load(f).get(args.model, {})
    seed = args.seed if args.seed is not None else recipe.get("seed", 2026)
    kinds = args.kinds.split(",") if args.kinds else recipe.get("kinds", list(KINDS))
    suite, _, _ = build_suite(seed, args.model, kinds, optional=recipe.get("optional"))
    with open(args.out, "w", encoding="ascii", newline="\n") as f:
        f.write(suite_text(suite))


if __name__ == "__main__":
    main()
