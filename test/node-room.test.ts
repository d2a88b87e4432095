// The Node room (issue 14 item 2): src/node/ holds what is Node-only and part of the SDK; the CLI imports it, never
// the reverse; the runtime-neutral core (every other folder of src/ but cli/) has no static `node:` import; one file
// byte source serves verifyFile and the CLI.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..', 'src');

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
/** Static import/export specifiers of a file (type-only ones too; dynamic import() is not matched). */
function specifiers(f: string): string[] {
  const s = readFileSync(f, 'utf8');
  return [...s.matchAll(/^\s*(?:import|export)\b[^'"`;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}
const rel = (f: string) => relative(SRC, f).split('\\').join('/');

describe('the Node room', () => {
  it('src/node/ never imports src/cli/', () => {
    const bad = files(join(SRC, 'node')).flatMap((f) =>
      specifiers(f)
        .filter((s) => /(^|\/)cli\//.test(s))
        .map((s) => `${rel(f)} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('the runtime-neutral core has no static node: import', () => {
    // cli/, node/ and stream/ (the NATS JetStream workers, loaded only by `machlens stream`) are the Node-only rooms
    const core = files(SRC).filter((f) => !/^(cli|node|stream)\//.test(rel(f)));
    expect(core.length).toBeGreaterThan(20);
    const bad = core.flatMap((f) =>
      specifiers(f)
        .filter((s) => s.startsWith('node:') || s.includes('/node/') || s.startsWith('../node'))
        .map((s) => `${rel(f)} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('nothing in the core imports the stream workers (data flows one way: correlation → stream workers)', () => {
    const core = files(SRC).filter((f) => !/^(cli|stream)\//.test(rel(f)));
    const bad = core.flatMap((f) =>
      specifiers(f)
        .filter((s) => /(^|\/)stream\//.test(s))
        .map((s) => `${rel(f)} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('one file byte source: no ByteSource over a file descriptor outside src/node/file-source.ts', () => {
    // a ByteSource over a file: a read(offset, length) method next to fs.readSync (walk.ts's 8-byte magic sniff is not one)
    const sources = files(SRC)
      .filter((f) => {
        const s = readFileSync(f, 'utf8');
        return /\breadSync\(/.test(s) && /\bread\(offset\b/.test(s);
      })
      .map(rel);
    expect(sources).toEqual(['node/file-source.ts']);
  });
});
