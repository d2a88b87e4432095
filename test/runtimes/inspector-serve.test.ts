// inspector/serve.mjs against DNS rebinding (issue 12 item 16): a page on an attacker's name that resolves to
// 127.0.0.1 reaches the server with its own name in Host. Raw HTTP requests (node:net, so the Host header is
// exactly what we write): loopback names with the server's port are served, anything else gets 421.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures';

let server: ChildProcess;
let port = 0;
let dir: string;

/** Sends `head` (request line and headers, CRLF-separated, without the blank line) and returns the status code. */
function status(head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`${head}\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (d) => {
      out += String(d);
    });
    s.on('end', () => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`no status line in ${JSON.stringify(out.slice(0, 200))}`));
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'machlens-serve-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  server = spawn(process.execPath, [join(ROOT, 'inspector', 'serve.mjs')], {
    env: { ...process.env, INSPECTOR_DIR: dir, INSPECTOR_PORT: '0', PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 15_000);
    server.stdout!.on('data', (d) => {
      out += String(d);
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
});

afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('inspector/serve.mjs Host check', () => {
  it('serves loopback names with its port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, 'localhost']) {
      expect(await status(`GET / HTTP/1.1\r\nHost: ${host}`), host).toBe(200);
    }
  });

  it('refuses a foreign Host (DNS rebinding), another port, and no Host at all with 421', async () => {
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1.evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `localhost:${port}@evil.example`,
      `[::2]:${port}`,
    ]) {
      expect(await status(`GET / HTTP/1.1\r\nHost: ${host}`), host).toBe(421);
    }
    expect(await status('GET / HTTP/1.0')).toBe(421);
    // checked before anything else: a foreign Host learns nothing about which paths exist
    expect(await status(`GET /nope HTTP/1.1\r\nHost: evil.example:${port}`)).toBe(421);
    expect(await status(`GET /nope HTTP/1.1\r\nHost: 127.0.0.1:${port}`)).toBe(404);
  });
});
