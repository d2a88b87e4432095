#!/usr/bin/env node
// A tiny static server for inspector/dist/ on 127.0.0.1 (port from $PORT or $INSPECTOR_PORT, else any free port).
// Prints the URL on its first line of output. Everything else happens in the browser tab: nothing is uploaded.
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(process.env.INSPECTOR_DIR ?? join(here, 'dist'));
const port = Number(process.env.INSPECTOR_PORT ?? process.env.PORT ?? 0);

if (!existsSync(join(rootDir, 'index.html'))) {
  console.error(`inspector/serve.mjs: ${rootDir}/index.html is missing: run \`npm run inspector:build\` first`);
  process.exit(1);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

// The same policy as index.html's <meta>, sent as a header so it also covers the worker: scripts, workers and
// styles from this server only, wasm compiled from bytes, and no fetch/XHR/WebSocket to anywhere.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'none'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 reaches this server with
// `Host: evil.example`. Only loopback names (with this server's port, or none) are served; anything else is 421.
function hostAllowed(host, port) {
  if (typeof host !== 'string') return false;
  const m = /^(127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?$/i.exec(host.trim());
  return !!m && (m[2] === undefined || Number(m[2]) === port);
}

const server = createServer((req, res) => {
  if (!hostAllowed(req.headers.host, server.address()?.port)) {
    res
      .writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      .end('misdirected request: this server answers only to 127.0.0.1, localhost and [::1]\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end('bad request');
    return;
  }
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = normalize(join(rootDir, pathname));
  if (file !== rootDir && !file.startsWith(rootDir + sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  let st;
  try {
    st = statSync(file);
  } catch {
    st = null;
  }
  if (!st || !st.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': st.size,
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
});

server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`machlens inspector: http://127.0.0.1:${addr.port}/`);
  console.log('(serving inspector/dist on loopback only; Ctrl-C to stop)');
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
