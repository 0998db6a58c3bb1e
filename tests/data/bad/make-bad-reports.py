#!/usr/bin/python3
"""Writes the malformed reports of tests/data/bad (report-*.json): one file per
error class of parse_report (src/report/report.h), each a valid report with
one thing broken.

tests/unit/report-test.cpp expects each file to fail with a message naming
the field; the report fuzz target uses the folder as seeds. The model they
describe is the shipped tiny-gpt2-world2: its id, layers, width and number of
suite items are read from models/tiny-gpt2-world2.
Run from anywhere: /usr/bin/python3 tests/data/bad/make-bad-reports.py
The output is deterministic; commit it together with this script.
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHA = "0123456789abcdef" * 4
MODEL = "tiny-gpt2-world2"


def shipped(name):
    """A JSON file of the shipped model MODEL."""
    with open(os.path.join(HERE, "..", "..", "..", "models", MODEL, name), encoding="utf-8") as f:
        return json.load(f)


CONFIG = shipped("config.json")
N_ITEMS = len(shipped("suite.json")["items"])

VALID = {
    "format": "strata-report",
    "version": 2,
    "engine_version": "0.1.0",
    "model": {"id": MODEL, "weights_sha256": SHA,
              "config": {"model_type": "gpt2", "n_layers": CONFIG["n_layer"], "d_model": CONFIG["n_embd"]}},
    "suite": {"model": MODEL, "sha256": SHA, "n_items": N_ITEMS},
    "seed": 7,
    "analyses": ["logit-lens", "head-scores"],
    "settings": {"logit-lens": {"items_per_kind": 2}, "head-scores": {}},
    "results": {"logit-lens": {"mode": "suite"}, "head-scores": {"period": 15}},
}


def changed(path, value):
    """VALID with the field at `path` (a list of keys) set to `value`, or removed when value is REMOVE."""
    report = copy.deepcopy(VALID)
    node = report
    for key in path[:-1]:
        node = node[key]
    if value is REMOVE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return report


REMOVE = object()


def nested(depth):
    value = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def files():
    return {
        "not-object": [VALID],
        "format-wrong": changed(["format"], "strata-suite"),
        "format-missing": changed(["format"], REMOVE),
        "version-newer": changed(["version"], 3),
        "version-string": changed(["version"], "2"),
        "engine-version-empty": changed(["engine_version"], ""),
        "unknown-field": changed(["created"], "2026-11-25T12:00:00Z"),
        "model-missing": changed(["model"], REMOVE),
        "model-id-too-long": changed(["model", "id"], "m" * 300),
        "model-sha-short": changed(["model", "weights_sha256"], "abc123"),
        "model-sha-uppercase": changed(["model", "weights_sha256"], SHA.upper()),
        "model-config-not-object": changed(["model", "config"], [CONFIG["n_layer"], CONFIG["n_embd"]]),
        "model-unknown-field": changed(["model", "path"], "/home/someone/model"),
        "suite-not-object": changed(["suite"], "suite.json"),
        "suite-n-items-negative": changed(["suite", "n_items"], -1),
        "suite-sha-missing": changed(["suite", "sha256"], REMOVE),
        "seed-negative": changed(["seed"], -1),
        "seed-too-large": changed(["seed"], 2 ** 53),
        "seed-fraction": changed(["seed"], 1.5),
        "analyses-not-array": changed(["analyses"], "all"),
        "analyses-empty": dict(changed(["analyses"], []), settings={}, results={}),
        "analyses-unknown": changed(["analyses"], ["logit-lens", "mind-reading"]),
        "analyses-repeated": changed(["analyses"], ["logit-lens", "head-scores", "logit-lens"]),
        "analyses-not-string": changed(["analyses"], ["logit-lens", 5]),
        "analyses-needs-suite": dict(VALID, suite=None, analyses=["tuned-lens"],
                                     settings={"tuned-lens": {}}, results={"tuned-lens": {}}),
        "settings-missing-analysis": changed(["settings", "head-scores"], REMOVE),
        "settings-extra-analysis": changed(["settings", "attribution"], {}),
        "settings-not-object": changed(["settings", "logit-lens"], 3),
        "results-missing": changed(["results"], REMOVE),
        "results-missing-analysis": changed(["results", "logit-lens"], REMOVE),
        "results-not-object": changed(["results", "head-scores"], [1, 2, 3]),
        "results-too-deep": changed(["results", "logit-lens"], nested(70)),
    }


def write(name, text):
    with open(os.path.join(HERE, "report-" + name + ".json"), "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    for name, report in files().items():
        write(name, json.dumps(report, indent=1) + "\n")
    write("duplicate-key", json.dumps(VALID, indent=1).replace('"seed": 7,', '"seed": 7,\n "seed": 8,') + "\n")
    write("truncated", json.dumps(VALID)[:150])
