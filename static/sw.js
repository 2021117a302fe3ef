// Service worker. audit/pwa.py serves this file with the shell's version (a
// hash of the shell's files) and the list of those files filled in.
//
// - The app shell: precached per version, served cache-first; old versions
//   are deleted on activate.
// - Checklists (GET /api/checklists...): stale-while-revalidate, so they are
//   there offline.
// - The owner's corrective actions (GET /api/actions, /api/audits/UUID/actions):
//   network first, the last answer kept for reading offline.
// - Everything else under /api, and every non-GET request: straight to the
//   network, never cached.

const VERSION = '__SHELL_VERSION__';
const SHELL = "__SHELL_FILES__";
const SHELL_CACHE = `audit-shell-${VERSION}`;
const API_CACHE = 'audit-api';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // 'reload' skips the HTTP cache, so a new version never precaches old files.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('audit-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function fromShell(request, key) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(key ?? request, { ignoreSearch: true });
  return cached ?? fetch(request);
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(API_CACHE);
  const cached = await cache.match(event.request);
  const network = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone());
    else if (response.status === 401 || response.status === 404) await cache.delete(event.request);
    return response;
  });
  if (cached) {
    event.waitUntil(network.catch(() => undefined));
    return cached;
  }
  return network;
}

async function networkFirst(event) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(event.request);
    if (response.ok) await cache.put(event.request, response.clone());
    else if (response.status === 401 || response.status === 404) await cache.delete(event.request);
    return response;
  } catch (error) {
    const cached = await cache.match(event.request);
    if (cached) return cached;
    throw error;
  }
}

const ACTIONS = /^\/api\/(actions|audits\/[0-9a-fA-F-]{36}\/actions)$/;

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/api/checklists' || url.pathname.startsWith('/api/checklists/')) {
    event.respondWith(staleWhileRevalidate(event));
    return;
  }
  if (ACTIONS.test(url.pathname)) {
    event.respondWith(networkFirst(event));
    return;
  }
  if (url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate' && (url.pathname === '/' || url.pathname === '/index.html')) {
    event.respondWith(fromShell(request, '/'));
    return;
  }
  if (SHELL.includes(url.pathname)) event.respondWith(fromShell(request));
});
