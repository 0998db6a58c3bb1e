#!/usr/bin/python3
"""The PyTorch side of the benchmark: the shipped architectures as
tests/parity/reference.py states them, run the way TransformerLens runs a
model, on one CPU thread.

  forward  a forward pass with a full activation cache (every hook point
           recorded, as run_with_cache does), median over repeats after a
           warm-up;
  sweep    activation patching of the residual stream (denoising): for every
           clean/corrupt pair, boundary b (blocks.b.hook_resid_pre, then the
           last block's hook_resid_post) and position p, one hooked forward of
           the corrupt prompt whose hook writes the clean run's value at p
           (run_with_hooks with one patching hook), and the normalised
           recovery of the logit difference at the last position.

The pairs (token ids and answer ids) come from `bench-forward pairs`, so both
sides run identical inputs; the recovery grid is written out so the report can
check that both sides computed the same sweep.

  /usr/bin/python3 tests/bench/torch-bench.py MODEL_DIR PAIRS_JSON [--repeats R]

Prints one JSON object.
"""

import argparse
import json
import os
import statistics
import struct
import sys
import time

# One thread in fact, not only in torch's intra-op pool: OpenMP's worker threads
# otherwise spin beside the one doing the work, doubling the process's CPU time
# and, on a shared machine, slowing the torch side several times over.
for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
import reference  # noqa: E402

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        raw = bytearray(blob[8 + n + start:8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=_DTYPES[entry["dtype"]]).reshape(entry["shape"]).float()
    return tensors


class PatchingHooks(dict):
    """The hook dictionary reference.forward records into, turned into a
    TransformerLens hook: when the patched hook point is reached, the clean
    value at one position is written into the running activation in place,
    before the model reads it further."""

    def __init__(self, name, position, clean):
        super().__init__()
        self.name, self.position, self.clean = name, position, clean

    def __setitem__(self, name, value):
        if name == self.name:
            value[self.position] = self.clean[self.position]
        super().__setitem__(name, value)


def _forward_into(config, weights, tokens, hooks):
    """reference's forward for the model type, in f32, recording into `hooks`."""
    return FORWARDS[config["model_type"]](config, weights, tokens, torch.float32, hooks)


def _with_hook_record(fn):
    """A copy of reference's forward function whose `hooks = {}` literal is the
    caller's object: same code, same operations, one extra argument."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    func = tree.body[0]
    func.args.args.append(ast.arg(arg="hook_record"))
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and not node.value.keys \
                and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["hooks"]:
            node.value = ast.Name(id="hook_record", ctx=ast.Load())
    ast.fix_missing_locations(tree)
    namespace = dict(reference.__dict__)
    exec(compile(tree, reference.__file__, "exec"), namespace)
    return namespace[func.name]


FORWARDS = {
    "gpt2": _with_hook_record(reference.gpt2_forward),
    "llama": _with_hook_record(reference.llama_forward),
    "qwen2": _with_hook_record(reference.llama_forward),
}


def median_seconds(call, repeats, warmup_seconds=0.3):
    """Median and best wall time, and median CPU time (which leaves out the
    time spent waiting for a core on a shared machine)."""
    end = time.perf_counter() + warmup_seconds
    while time.perf_counter() < end:
        call()
    times, cpu_times = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        call()
        cpu_times.append(time.process_time() - cpu_start)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), statistics.median(cpu_times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("pairs")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    torch.set_num_threads(1)

    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    weights = read_safetensors(os.path.join(args.model, "model.safetensors"))
    if config["model_type"] == "gpt2":
        weights = {n[len("transformer."):] if n.startswith("transformer.") else n: t for n, t in weights.items()}
    with open(args.pairs) as f:
        pairs = json.load(f)["pairs"]
    n_layers = config.get("n_layer") or config["num_hidden_layers"]

    with torch.inference_mode():
        tokens = pairs[0]["clean"]
        cache = {}
        forward_median, forward_best, forward_cpu = median_seconds(lambda: _forward_into(config, weights, tokens, {}), args.repeats)
        _forward_into(config, weights, tokens, cache)

        def logit_difference(logits, pair):
            return float(logits[-1, pair["answer"]] - logits[-1, pair["corrupt_answer"]])

        start, cpu_start = time.perf_counter(), time.process_time()
        recovery = []
        for pair in pairs:
            clean_cache = {}
            clean_logits, _ = _forward_into(config, weights, pair["clean"], clean_cache)
            corrupt_logits, _ = _forward_into(config, weights, pair["corrupt"], {})
            ld_clean, ld_corrupt = logit_difference(clean_logits, pair), logit_difference(corrupt_logits, pair)
            grid = []
            boundaries = [f"blocks.{l}.hook_resid_pre" for l in range(n_layers)]
            for name in boundaries + [f"blocks.{n_layers - 1}.hook_resid_post"]:
                clean_value = clean_cache[name].clone()
                row = []
                for position in range(len(pair["corrupt"])):
                    logits, _ = _forward_into(config, weights, pair["corrupt"], PatchingHooks(name, position, clean_value))
                    row.append((logit_difference(logits, pair) - ld_corrupt) / (ld_clean - ld_corrupt))
                grid.append(row)
            recovery.append(grid)
        sweep_seconds, sweep_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "forward": {"tokens": len(tokens), "hooks_captured": len(cache), "median_ms": 1e3 * forward_median,
                    "best_ms": 1e3 * forward_best, "cpu_median_ms": 1e3 * forward_cpu},
        "sweep": {"pairs": len(pairs), "patches": sum(len(g) * len(g[0]) for g in recovery), "seconds": sweep_seconds,
                  "cpu_seconds": sweep_cpu, "recovery": recovery},
    }))


if __name__ == "__main__":
    main()
