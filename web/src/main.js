// Entry point of the explorer page.
import './style.css';
import { App } from './app.js';

const app = new App(document.body);
window.strata = app;
app.start().catch((error) => {
  const box = document.getElementById('notices');
  const p = document.createElement('p');
  p.className = 'notice error';
  p.textContent = `The page could not start: ${error.message}`;
  box.append(p);
});

// Offline use and threads after the first visit (service workers need https or
// localhost; web/public/sw.js).
// Once the first prediction is on screen, the files loaded so far are handed to it.
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register(new URL('sw.js', document.baseURI)).catch(() => {});
  new PerformanceObserver((list, observer) => {
    if (!list.getEntriesByName('strata:first-prediction').length) return;
    observer.disconnect();
    const base = document.baseURI;
    // The engine modules run in workers, whose requests this page's timeline does not
    // list. All are kept: the next load, isolated by the service worker, runs the threaded one.
    const engineFiles = ['strata-engine-core.js', 'strata-engine-core.wasm', 'strata-engine.js', 'strata-engine.wasm',
      'strata-engine-threads.js', 'strata-engine-threads.wasm', 'strata-engine-threads.worker.js'].map((f) => new URL(`engine/${f}`, base).href);
    const urls = [base.split('#')[0], ...engineFiles, ...performance.getEntriesByType('resource').map((e) => e.name)];
    navigator.serviceWorker.ready.then((reg) => reg.active?.postMessage({ type: 'keep', urls })).catch(() => {});
  }).observe({ type: 'mark', buffered: true });
}
