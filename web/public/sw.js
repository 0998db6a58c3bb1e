// Keeps the site usable offline once it has been loaded: every same-origin GET goes
// to the network first and its answer is kept; when the network is gone, the kept
// copy is served. Nothing is ever fetched from another origin.
//
// It also makes the page cross-origin isolated, which the threaded engine needs
// (SharedArrayBuffer), on hosts that cannot set headers: every answer it serves
// carries COOP same-origin and COEP require-corp. A page is isolated from the
// first load that goes through this worker, so the first visit runs on one thread.
const CACHE = 'strata-site';

function isolated(response) {
  if (response.status === 0) return response;  // opaque: its headers cannot be changed
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// The page sends the files it loaded before this worker took control.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'keep' || !Array.isArray(event.data.urls)) return;
  const urls = event.data.urls.filter((u) => typeof u === 'string' && new URL(u).origin === self.location.origin);
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(urls.map((u) => cache.add(u).catch(() => {})))));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (response.ok) event.waitUntil(cache.put(request, response.clone()));
      return isolated(response);
    } catch (error) {
      const kept = await cache.match(request, { ignoreSearch: true });
      if (kept) return isolated(kept);
      throw error;
    }
  })());
});
