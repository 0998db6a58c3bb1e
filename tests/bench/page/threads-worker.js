// The threaded engine module in a worker, as the page runs it: a checkpoint's
// forward at each length, with no hook captured and with every hook, on one
// thread and on every core, alternating in one instance after a warm-up; each
// round's ratio.
import createThreaded from '/engine/strata-engine-threads.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function check(result, what) {
  if (!result.ok) throw new Error(`${what}: ${result.error}`);
  return result;
}

async function measure({ path, lengths, rounds, warmups }) {
  const M = await createThreaded();
  const cores = Math.min(M.maxThreads, navigator.hardwareConcurrency || 1);
  const base = `/ckpt/${path}/`;
  const [config, weights] = await Promise.all([fetch(`${base}config.json`).then((r) => r.text()),
    fetch(`${base}model.safetensors`).then((r) => r.arrayBuffer())]);
  const engine = new M.Engine();
  const info = JSON.parse(check(engine.load(config, new Uint8Array(weights), null), `${base} load`).info);
  const runs = [];
  for (const n of lengths) for (const capture of ['none', 'all']) {
    const ids = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 13) % info.d_vocab);
    const request = JSON.stringify({ capture: capture === 'all' ? 'all' : [] });
    const forward = (count) => {
      M.setThreads(count);
      const t0 = performance.now();
      check(engine.run(ids, request, 5), 'run');
      return performance.now() - t0;
    };
    for (let w = 0; w < warmups; w++) {
      forward(1);
      forward(cores);
    }
    const one = [], all = [], ratios = [];
    for (let r = 0; r < rounds; r++) {
      one.push(forward(1));
      all.push(forward(cores));
      ratios.push(one[r] / all[r]);
    }
    runs.push({ tokens: n, capture, one_thread_ms: median(one), threaded_ms: median(all), speedup: median(ratios),
      speedup_min: Math.min(...ratios), speedup_max: Math.max(...ratios) });
  }
  engine.delete();
  return { path, threads: cores, n_layers: info.n_layers, d_model: info.d_model, heap_bytes: M.HEAP8.buffer.byteLength, runs };
}

self.onmessage = async ({ data }) => {
  try {
    postMessage({ ok: true, result: await measure(data) });
  } catch (error) {
    postMessage({ ok: false, error: String(error?.message ?? error) });
  }
};
