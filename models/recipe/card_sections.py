"""The model card's sections computed by the engine (circuits in build.py,
observations in observations.py): each is rewritten in place from the engine's
own analyses of the shipped files, or put before "What was tried"."""

import os

MODELS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# The engine's command line (STRATA_NATIVE_BUILD chooses the build folder, as in scripts/).
STRATA = os.path.join(os.environ.get("STRATA_NATIVE_BUILD", os.path.join(os.path.dirname(MODELS), "build", "native")),
                      "strata")


def replace_section(card, heading, section):
    """card.md with the section under `heading` replaced (or put before "What was tried")."""
    start = card.find(heading)
    if start < 0:
        start = end = card.index("## What was tried")
    else:
        end = card.index("\n## ", start + len(heading)) + 1
    return card[:start] + section + "\n" + card[end:]


def write_section(model_dir, heading, make_section, what):
    """Rewrites model_dir/card.md's section under `heading` with make_section(model_dir)."""
    if not os.path.exists(STRATA):
        print(f"{STRATA} is missing (bash scripts/build.sh builds it): card.md is left without new {what}")
        return
    path = os.path.join(model_dir, "card.md")
    with open(path, encoding="utf-8") as f:
        card = f.read()
    section = make_section(model_dir)  # before the card is opened for writing: a failed run leaves it whole
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(replace_section(card, heading, section))
