// Issue 12 item 16: SECURITY.md once named a runtime dependency package.json did not have. SECURITY.md is checked
// against what it describes: every repository path it names exists, every test it cites as the pin of a
// guarantee exists (and, where it quotes a test's name, that test does), and its dependency statement is what
// package.json, the lockfile and the imports of src/ say.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const doc = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));

/** Repository paths SECURITY.md names: `src/…`, `test/…`, `inspector/…`, `docs/…`, `fuzz/…`, `assembly/…`. */
function namedPaths(text: string): string[] {
  const re = /(?<![\w./-])((?:src|test|inspector|docs|fuzz|assembly|scripts)\/[\w./*-]*[\w*])/g;
  return [...new Set([...text.matchAll(re)].map((m) => m[1]))];
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'generated'
        ? []
        : files(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('SECURITY.md names what exists', () => {
  it('every repository path it names exists (folders too; test/security/** as a folder)', () => {
    const paths = namedPaths(doc);
    expect(paths.length).toBeGreaterThan(30);
    const missing = paths.filter((p) => {
      const clean = p.replace(/\/\*\*?$/, '').replace(/\.$/, '');
      try {
        readdirSync(join(ROOT, clean));
        return false;
      } catch {
        /* not a folder */
      }
      try {
        readFileSync(join(ROOT, clean));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });

  it('a test cited with a quoted name ("…") holds a test or describe of that name', () => {
    // `test/x.test.ts` ("name", "other name") — each quoted name is the start of (or all of) a describe/it title
    const cites = [...doc.matchAll(/`(test\/[\w./-]+\.test\.ts)`\s*\(([^)]*)\)/g)];
    expect(cites.length).toBeGreaterThan(5);
    const bad: string[] = [];
    for (const [, file, inner] of cites) {
      const src = readFileSync(join(ROOT, file), 'utf8').replace(/\\'/g, "'");
      for (const [, name] of inner.matchAll(/"([^"]+)"/g)) {
        const head = name.replace(/…$/, '').replace(/\s+/g, ' ').trim();
        if (!src.replace(/\s+/g, ' ').includes(head)) bad.push(`${file}: "${name}"`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('the dependency statement is true', () => {
  it('no runtime dependencies; the NATS clients are optional peer dependencies; node-forge is dev only', () => {
    expect(pkg.dependencies).toBeUndefined();
    expect(doc).toMatch(/`package\.json` has no `dependencies`/);
    const nats = ['@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv', '@nats-io/obj'];
    for (const n of nats) {
      expect(doc).toContain(`\`${n}\``);
      expect(pkg.peerDependencies?.[n], n).toBe('3.4.0');
      expect(pkg.peerDependenciesMeta?.[n]?.optional, n).toBe(true);
    }
    expect(doc).toMatch(/\(3\.4\.0\) are \*\*optional peer dependencies\*\*/);
    // every peer dependency is one SECURITY.md names
    expect(Object.keys(pkg.peerDependencies ?? {}).sort()).toEqual([...nats].sort());
    const forge = /`node-forge` (\d+\.\d+\.\d+) is a dev dependency only/.exec(doc);
    expect(forge).not.toBeNull();
    expect(pkg.devDependencies['node-forge']).toBe(forge![1]);
  });

  it('every package SECURITY.md names in backticks is one package.json declares', () => {
    const declared = new Set([...Object.keys(pkg.devDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    const locked = new Set(
      Object.keys(lock.packages)
        .filter(Boolean)
        .map((k) => k.replace(/^.*node_modules\//, '')),
    );
    const named = [...doc.matchAll(/`(@?[a-z0-9][\w.-]*(?:\/[\w.-]+)?)`/g)]
      .map((m) => m[1])
      .filter((n) => locked.has(n));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => !declared.has(n))).toEqual([]);
  });

  it("the lockfile figures are the lockfile's: entry count, every entry with an integrity hash, every entry dev", () => {
    const entries = Object.entries(
      lock.packages as Record<string, { integrity?: string; link?: boolean; dev?: boolean }>,
    ).filter(([k]) => k);
    const m = /\((\d+) in `package-lock\.json`.*?lockfile v(\d), (\d+) entries\s+without integrity\)/s.exec(doc);
    expect(m, 'the sentence with the lockfile figures').not.toBeNull();
    expect(Number(m![1])).toBe(entries.length);
    expect(Number(m![2])).toBe(lock.lockfileVersion);
    expect(Number(m![3])).toBe(entries.filter(([, v]) => !v.integrity && !v.link).length);
    expect(entries.filter(([, v]) => !v.dev).map(([k]) => k)).toEqual([]);
    // pinned exactly: no range in package.json
    for (const [n, v] of Object.entries({ ...pkg.devDependencies, ...pkg.peerDependencies } as Record<string, string>))
      expect(v, n).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('src/ imports no package but the NATS clients, and those (at run time) only from src/stream/nats.ts', () => {
    const SRC = join(ROOT, 'src');
    const bad: string[] = [];
    for (const f of files(SRC)) {
      const text = readFileSync(f, 'utf8');
      // type-only imports are erased by the build: they import nothing at run time
      const specs = [
        ...text.matchAll(
          /(?:^|[\s;])(?:import|export)\s(?!type\s)[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm,
        ),
      ].map((m) => m[1] ?? m[2] ?? m[3]);
      for (const s of specs) {
        if (s.startsWith('.') || s.startsWith('node:')) continue;
        const rel = relative(SRC, f);
        if (s.startsWith('@nats-io/') && rel === join('stream', 'nats.ts')) continue;
        bad.push(`${rel} → ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
