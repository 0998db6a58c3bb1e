"""World v2: the source of the answer is the only difference between families.

The same people, attributes and answer vocabulary appear in every family, and
every prompt has one shape, 16 tokens (one word = one token):

    c c c .  c c c .  c c c .  q of x y        -> answer (one token)

three 4-token clauses, then a 4-token question that ends with the asked
name. A fact clause is a person's two-token name, then an attribute value
("nora vance rome ."); a comparison clause is two cities ("rome > oslo .").
Kinds:

  recall     city, job  "ada stone rome . ivo marsh baker . ... city of lena vance"
             The clauses are true facts about other memorised people (never
             the asked one, never the answer); the answer comes from memory.
             Corrupt: the asked name's first or last token changed, to another
             memorised person with another answer.
  reasoning  lookup     "ada stone rome . kira hale oslo . ... city of kira hale"
             One clause states the asked person's city or job; that person is
             never memorised (a context person), so the answer can only be
             read from the prompt (an in-context lookup that must match both
             name tokens). Corrupt: the stated value changed.
             compare    "rome > oslo . lima > rome . oslo > kiev . bigger of lima oslo"
             Four cities in a chain, three clauses in random order; the
             question asks the bigger of a pair never compared directly
             (transitive). Corrupt: the bigger city asked about replaced by
             another of the chain that is still the bigger one.
  conflict   conflict   "ada stone rome . ivo marsh oslo . ... city of ivo marsh"
             The prompt states a fact about a memorised person that
             contradicts memory. Never trained. The item's answer is the
             stated (context) value; meta.memory_answer the memorised one;
             the corrupt prompt states the memorised value instead (one token),
             so patching and ablation compare the two sources directly.

Splits: recall "trained" = memorised facts, "heldout" = people never seen.
lookup "heldout" = context people who never appear in training; compare
"heldout" = chains and asked pairs the training sampler rejects.

Responsible for the world, its item generators and suite.json; world.py is
the first world (the shipped tiny-*-world models).
"""

import random

# The attribute values and the serialisation are the first world's; the name
# grid is the first world's 32 x 32 grown to 48 x 48.
import world
from world import CITIES, JOBS, SPECIALS, recall_items, suite_text  # noqa: F401 (suite_text is this module's too)

# Why 48 x 48: with the first world's 1024 names, 640 were left for the
# context people of the training stream, and the models learned which
# names are context people rather than to read any name from the prompt.
# Held-out context people were then answered as if memorised (a fixed,
# made-up value per person) in 15% of held-out lookups. With 1920 context
# people they are read (models/recipe/README.md, "second world").
FIRST = world.FIRST + ["bella", "carlo", "dina", "edgar", "flora", "gino", "hanna", "ivan",
                       "jana", "karl", "lina", "marco", "nina", "otto", "paula", "rafael"]
LAST = world.LAST + ["bell", "crane", "dale", "eaton", "fox", "gray", "hill", "irwin",
                     "judd", "knox", "lamb", "mills", "north", "oak", "penn", "quinn"]

PROMPT_LEN = 16
PUNCT = ["."]
QUESTION_NAME = [14, 15]  # positions of the asked name (or pair of cities)
ATTRIBUTES = {"city": CITIES, "job": JOBS}
COMPARE_WORDS = [">", "bigger"]
QUESTION_WORDS = ["of"]

KINDS = {
    "city": {"family": "recall", "optional": False, "chance": 1 / len(CITIES)},
    "job": {"family": "recall", "optional": False, "chance": 1 / len(JOBS)},
    "lookup": {"family": "reasoning", "optional": False, "chance": 1 / len(CITIES)},
    "compare": {"family": "reasoning", "optional": False, "chance": 1 / 2},
    "conflict": {"family": "conflict", "optional": True, "chance": 1 / len(CITIES)},
}
assert len(CITIES) == len(JOBS), "lookup's chance assumes equal attribute sizes"
TRAINED_KINDS = ["city", "job", "lookup", "compare"]  # conflict is evaluated, never trained


def vocabulary():
    """Token list in id order; fixed, independent of the seed."""
    words = SPECIALS + PUNCT + FIRST + LAST + CITIES + JOBS + list(ATTRIBUTES) + COMPARE_WORDS + QUESTION_WORDS
    assert len(set(words)) == len(words), "duplicate token in the vocabulary"
    return words


class World:
    """People (2304 names) in four disjoint pools: 256 memorised ("trained"),
    64 recall held-out (never seen), 64 held-out context people (never seen;
    the held-out lookup items ask about them) and the rest, 1920, context
    people of the training stream."""

    def __init__(self, seed, n_trained=256, n_heldout=64, n_context_heldout=64):
        rng = random.Random(f"world2-{seed}")
        names = [(f, l) for f in FIRST for l in LAST]
        rng.shuffle(names)
        self.seed = seed
        self.people = []
        for i, (f, l) in enumerate(names[: n_trained + n_heldout]):
            self.people.append({"index": i, "first": f, "last": l,
                                "city": rng.choice(CITIES), "job": rng.choice(JOBS),
                                "split": "trained" if i < n_trained else "heldout"})
        self.trained = [p for p in self.people if p["split"] == "trained"]
        self.heldout = [p for p in self.people if p["split"] == "heldout"]
        rest = names[n_trained + n_heldout:]
        self.context_heldout = rest[:n_context_heldout]
        self.context_trained = rest[n_context_heldout:]
        self.memorised = {(p["first"], p["last"]): p for p in self.trained}
        self.context_set = set(self.context_trained)


def question(word, a, b):
    """The last four tokens: "city of ada stone", "bigger of lima oslo". The
    asked name ends the prompt, so the answer follows it as it follows the
    name in a clause that states it."""
    return [word, "of", a, b]


def _name(p):
    return [p["first"], p["last"]]


def _other_clauses(rng, world, name, avoid_values, n):
    """n clauses about other people: each a memorised person's true fact or a
    training context person with a random value (so a stated value is never
    told apart by whether its person is memorised). About half of the time
    (each try at the first clause draws one with probability 1/2) the first
    shares a name token with `name`, so a lookup must match both tokens.
    No value in avoid_values; the people are distinct and never `name`."""
    clauses, used = [], {tuple(name)}
    while len(clauses) < n:
        if not clauses and rng.random() < 0.5:
            other = (name[0], rng.choice(LAST)) if rng.random() < 0.5 else (rng.choice(FIRST), name[1])
        elif rng.random() < 0.5:
            other = tuple(_name(rng.choice(world.trained)))
        else:
            other = rng.choice(world.context_trained)
        if other in used or not (other in world.memorised or other in world.context_set):
            continue
        attribute = rng.choice(list(ATTRIBUTES))
        value = world.memorised[other][attribute] if other in world.memorised else rng.choice(ATTRIBUTES[attribute])
        if value in avoid_values:
            continue
        used.add(other)
        clauses.append(list(other) + [value, "."])
    return clauses


def recall_item(rng, world, person, attribute):
    answer = person[attribute]
    # Corrupt: a memorised person sharing the first or the last name token,
    # with another answer; neither answer is stated in the prompt.
    pool = [p for p in world.trained if p[attribute] != answer
            and (p["first"] == person["first"]) != (p["last"] == person["last"])]
    other = rng.choice(pool)
    clauses = _other_clauses(rng, world, _name(person), {answer, other[attribute]}, 3)
    ctx = [t for c in clauses for t in c]
    prompt = ctx + question(attribute, *_name(person))
    corrupt = ctx + question(attribute, *_name(other))
    meta = {"entity": " ".join(_name(person)), "entity_index": person["index"], "attribute": attribute,
            "subject_positions": QUESTION_NAME, "corrupt_entity": " ".join(_name(other))}
    return prompt, answer, corrupt, other[attribute], meta


def _stated_item(rng, world, name, attribute, stated, avoid):
    """Two clauses about others and one stating `stated` for `name`, in a
    random order; the question asks name's attribute. Returns (ctx, slot)."""
    clauses = _other_clauses(rng, world, name, avoid, 2)
    slot = rng.randrange(3)
    clauses.insert(slot, list(name) + [stated, "."])
    return [t for c in clauses for t in c], slot


def lookup_item(rng, world, pool):
    """A context person from `pool` (never memorised) has a stated value."""
    name = list(rng.choice(pool))
    attribute = rng.choice(list(ATTRIBUTES))
    answer, foil = rng.sample(ATTRIBUTES[attribute], 2)
    ctx, slot = _stated_item(rng, world, name, attribute, answer, {answer, foil})
    prompt = ctx + question(attribute, *name)
    corrupt = list(prompt)
    corrupt[4 * slot + 2] = foil
    meta = {"entity": " ".join(name), "attribute": attribute, "subject_positions": QUESTION_NAME,
            "evidence_positions": [4 * slot, 4 * slot + 1, 4 * slot + 2]}
    return prompt, answer, corrupt, foil, meta, ("lookup", tuple(name), attribute, answer)


def conflict_item(rng, world, person, attribute):
    """A memorised person, stated with another value than the memorised one."""
    memory = person[attribute]
    stated = rng.choice([v for v in ATTRIBUTES[attribute] if v != memory])
    ctx, slot = _stated_item(rng, world, _name(person), attribute, stated, {stated, memory})
    prompt = ctx + question(attribute, *_name(person))
    corrupt = list(prompt)
    corrupt[4 * slot + 2] = memory
    meta = {"entity": " ".join(_name(person)), "entity_index": person["index"], "attribute": attribute,
            "subject_positions": QUESTION_NAME, "evidence_positions": [4 * slot, 4 * slot + 1, 4 * slot + 2],
            "context_answer": stated, "memory_answer": memory}
    return prompt, stated, corrupt, memory, meta


def compare_item(rng):
    """Cities w > x > y > z, three clauses in random order; the bigger of a
    pair at rank distance 2 or 3. Corrupt: the bigger city asked about is
    replaced by another of the chain that is still bigger than the other
    one (a one-token change with another answer; the new pair may be one
    the prompt compares directly)."""
    order = rng.sample(CITIES, 4)  # order[0] is the biggest
    pairs = [(order[i], order[i + 1]) for i in range(3)]
    rng.shuffle(pairs)
    ctx = [t for a, b in pairs for t in (a, ">", b, ".")]
    i, j = rng.choice([(0, 2), (1, 3), (0, 3)])
    first = rng.random() < 0.5  # the bigger city is asked first
    x, y = (order[i], order[j]) if first else (order[j], order[i])
    swap = order[rng.choice([k for k in range(j) if k != i])]
    cx, cy = (swap, y) if first else (x, swap)
    meta = {"order": order, "query": [x, y], "corrupt_query": [cx, cy], "distance": j - i,
            "evidence_positions": [4 * k + o for k in range(3) for o in (0, 2)]}
    sig = ("compare", tuple(order), tuple(pairs), frozenset((x, y)))
    return ctx + question("bigger", x, y), order[i], ctx + question("bigger", cx, cy), swap, meta, sig


# --- suites ----------------------------------------------------------------------

def _item(id_, kind, split, prompt, answer, corrupt, corrupt_answer, meta):
    assert len(prompt) == PROMPT_LEN and len(corrupt) == PROMPT_LEN, (id_, prompt, corrupt)
    assert sum(a != b for a, b in zip(prompt, corrupt)) == 1, (id_, prompt, corrupt)
    assert answer != corrupt_answer, (id_, answer, corrupt_answer)
    return {"id": id_, "kind": kind, "family": KINDS[kind]["family"], "split": split,
            "prompt": " ".join(prompt), "answer": answer,
            "corrupt_prompt": " ".join(corrupt), "corrupt_answer": corrupt_answer, "meta": meta}


def heldout_compare(seed, n):
    rng = random.Random(f"heldout-compare-{seed}")
    items, sigs = [], set()
    while len(items) < n:
        *fields, sig = compare_item(rng)
        if sig not in sigs:
            sigs.add(sig)
            items.append(fields)
    return items, sigs


class Sampler:
    """The training stream: memorised facts, lookups about training context
    people, comparisons whose chain and pair are not held out."""

    def __init__(self, world, excluded, seed, stream="train"):
        self.world = world
        self.excluded = excluded
        self.rng = random.Random(f"{stream}-{seed}")

    def reasoning(self, kind):
        if kind == "lookup":
            return lookup_item(self.rng, self.world, self.world.context_trained)[:2]
        while True:
            *fields, sig = compare_item(self.rng)
            if sig not in self.excluded:
                return fields[0], fields[1]

    def sample(self, kind):
        if kind in ATTRIBUTES:
            return recall_item(self.rng, self.world, self.rng.choice(self.world.trained), kind)[:2]
        return self.reasoning(kind)


def kind_specs(kinds, optional=None):
    extra = set(optional or [])
    return {k: {"family": KINDS[k]["family"], "optional": KINDS[k]["optional"] or k in extra,
                "chance": KINDS[k]["chance"]} for k in kinds}


def build_suite(seed, model_id, kinds, n_reasoning=200, optional=None):
    """suite.json content as a dict (items in a fixed order), the world and
    the held-out signatures the training sampler must reject."""
    world = World(seed)
    items = []
    items += recall_items(world, [k for k in kinds if k in ATTRIBUTES], seed, recall_item, _item)
    excluded = set()
    if "lookup" in kinds:
        for split, pool in (("heldout", world.context_heldout), ("trained", world.context_trained)):
            rng = random.Random(f"suite-lookup-{split}-{seed}")
            for i in range(n_reasoning):
                items.append(_item(f"lookup-{split}-{i:03d}", "lookup", split, *lookup_item(rng, world, pool)[:-1]))
    if "compare" in kinds:
        held, excluded = heldout_compare(seed, n_reasoning)
        for i, fields in enumerate(held):
            items.append(_item(f"compare-heldout-{i:03d}", "compare", "heldout", *fields))
        sampler = Sampler(world, excluded, seed, stream="suite-trained-compare")
        for i in range(n_reasoning):
            while True:
                *fields, sig = compare_item(sampler.rng)
                if sig not in excluded:
                    break
            items.append(_item(f"compare-trained-{i:03d}", "compare", "trained", *fields))
    if "conflict" in kinds:
        rng = random.Random(f"suite-conflict-{seed}")
        for i in range(n_reasoning):
            person, attribute = rng.choice(world.trained), rng.choice(list(ATTRIBUTES))
            items.append(_item(f"conflict-trained-{i:03d}", "conflict", "trained",
                               *conflict_item(rng, world, person, attribute)))
    return {"format": "strata-suite", "version": 1, "model": model_id, "seed": seed,
            "prompt_tokens": PROMPT_LEN, "kinds": kind_specs(kinds, optional),
            "items": items}, world, excluded


def card_data(seed, examples):
    """The model card's Data section (markdown lines); `examples` are the rows
    of its table of held-out example items."""
    return [f"World seed {seed} (`models/recipe/world2.py`). 2304 people with two-token names (first + last name, "
            "a 48 x 48 name pool, so neither token alone identifies a person) and two attributes each, city (16 "
            "values) and job (16 values). 256 people are memorised (their 512 facts are trained); 64 more are "
            "held out from recall and never appear, to show that recall does not generalize. The other people "
            "are context people: the prompt states their facts, drawn afresh for every prompt. 64 of them are "
            "held out and never appear in training; the held-out lookup items ask about them.", "",
            "Recall and reasoning share the people, the attribute values, the answer vocabulary and the "
            "template: 16 tokens = three 4-token clauses (`ada stone rome .`, or `rome > oslo .` in a "
            "comparison) and a 4-token question ending with the asked name (`city of ada stone`); the answer is "
            "the single next token, always a city or a job. Where the answer comes from is the only difference.", "",
            "| kind | example prompt (held out, where the kind has such items) | answer | corrupt prompt | corrupt answer |",
            "|---|---|---|---|---|",
            *examples, "",
            "- `city`, `job` (recall): a memorised person's attribute, from memory. The clauses state facts about "
            "other people (never the asked person, never the answer).",
            "- `lookup` (reasoning): one clause states the asked context person's value, which can only be read "
            "from the prompt; in about half of the prompts another clause is about someone sharing one of the "
            "asked name's tokens, so both tokens must match.",
            "- `compare` (reasoning): three `x > y` clauses of a four-city chain in random order; the question asks "
            "the bigger of two cities never compared directly (chain distance 2 or 3).",
            "- `conflict` (evaluated, never trained): the prompt states a value for a memorised person that "
            "contradicts the memorised one. The item's answer is the stated value, `meta.memory_answer` the "
            "memorised one; `strata eval` counts how often each wins. Optional, so no analysis takes it by default.",
            "", "Splits: recall `trained` = the 256 memorised people, `heldout` = the 64 unseen ones. `lookup` "
            "`heldout` = 200 items about the 64 held-out context people, `trained` = 200 about training context "
            "people; `compare` `heldout` = 200 chains and asked pairs the training sampler rejects. Every corrupt "
            "prompt differs from its prompt in one token and has another answer: the asked person's first or last "
            "name (recall, to a memorised person with another value), the stated value (lookup; conflict, which "
            "states the memorised value instead), or the bigger city asked about (compare).", ""]
