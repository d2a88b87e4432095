// `machlens correlate --collect` (issue 12 item 3), run as the built CLI on crafted telemetry: only regular Mach-O
// files are collected, never through a path or symlink that leaves --root, under unique names, with the
// manifest's SHA-256 of the bytes actually written; every refusal is named in the manifest with its reason.
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP, EVIL, fullChain, render, type Step } from '../correlate/scenario';
import { sampleMachO } from '../helpers/synth';

const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** The scenario's chain with `binary` as the modified program and `dylibs` as what it loads afterwards. */
function chain(binary: string, dylibs: string[]): Step[] {
  const out: Step[] = [];
  for (const s of fullChain()) {
    const t = JSON.parse(JSON.stringify(s)) as Step;
    if ('path' in t && t.path === APP) t.path = binary;
    if ('proc' in t && t.proc.path === APP) t.proc.path = binary;
    if (t.kind === 'load' && t.lib === EVIL) {
      dylibs.forEach((d, i) => out.push({ ...t, t: t.t + i * 0.001, lib: d }));
      continue;
    }
    out.push(t);
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'machlens-collect-'));
let n = 0;
function run(binary: string, dylibs: string[], root?: string) {
  const tel = join(work, `t${++n}.jsonl`);
  writeFileSync(tel, render(chain(binary, dylibs), 'eslogger').join('\n') + '\n');
  const out = join(work, `out${n}`);
  const r = spawnSync(
    process.execPath,
    [CLI, 'correlate', '--json', ...(root ? ['--root', root] : []), '--collect', out, tel],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(r.status, r.stderr).toBe(3);
  const alert = JSON.parse(r.stdout.split('\n')[0]);
  expect(alert.type).toBe('alert');
  const manifest = JSON.parse(readFileSync(join(out, alert.id, 'manifest.json'), 'utf8'));
  return {
    alert,
    out,
    files: manifest.files as {
      path: string;
      role: string;
      copiedTo?: string;
      sha256?: string;
      size?: number;
      error?: string;
      code?: string;
    }[],
  };
}
const machO = (tag: string) => {
  const b = sampleMachO();
  b.set(new TextEncoder().encode(tag), b.length - 32);
  return b;
};
function put(root: string, p: string, bytes: Uint8Array | string) {
  mkdirSync(dirname(join(root, p)), { recursive: true });
  writeFileSync(join(root, p), bytes);
}

describe('--collect', () => {
  it('telemetry naming /etc/passwd or /etc/shadow as the binary: nothing is copied (not a Mach-O, or unreadable)', () => {
    for (const target of ['/etc/passwd', '/etc/shadow']) {
      const { files } = run(target, ['/nonexistent/lib.dylib']);
      expect(files[0]).toMatchObject({ path: target, role: 'binary' });
      expect(files[0].copiedTo).toBeUndefined();
      expect(['NOT_MACHO', 'EACCES', 'ENOENT']).toContain(files[0].code);
      expect(files[1]).toMatchObject({ code: 'ENOENT' });
    }
  });

  it('with --root IMG: ../ paths are refused; absolute and relative symlinks inside the image stay inside it', () => {
    const img = join(work, 'img');
    const bin = '/Applications/Acme.app/Contents/MacOS/Acme';
    put(img, bin, machO('binary'));
    const imgPasswd = machO('image passwd');
    put(img, '/etc/passwd', imgPasswd); // what a link to /etc/passwd means inside the image
    mkdirSync(join(img, 'Users/Shared'), { recursive: true });
    symlinkSync('/etc/passwd', join(img, 'Users/Shared/abs.dylib'));
    symlinkSync('../../../../../../../../../../etc/passwd', join(img, 'Users/Shared/rel.dylib'));
    symlinkSync('/', join(img, 'hostroot')); // a directory link to "/" is the image's root, not the host's
    symlinkSync('/dev/zero', join(img, 'Users/Shared/zero.dylib'));
    execFileSync('mkfifo', [join(img, 'Users/Shared/fifo.dylib')]);
    const { files } = run(
      bin,
      [
        '/Users/Shared/../../../../etc/passwd',
        '/Users/Shared/abs.dylib',
        '/Users/Shared/rel.dylib',
        '/hostroot/etc/passwd',
        '/Users/Shared/zero.dylib',
        '/Users/Shared/fifo.dylib',
      ],
      img,
    );
    const by = (p: string) => files.find((f) => f.path === p)!;
    expect(by(bin).sha256).toBe(sha(readFileSync(join(img, bin))));
    expect(by('/Users/Shared/../../../../etc/passwd')).toMatchObject({ code: 'DOT_COMPONENT' });
    for (const p of ['/Users/Shared/abs.dylib', '/Users/Shared/rel.dylib', '/hostroot/etc/passwd']) {
      expect(by(p).sha256, p).toBe(sha(imgPasswd)); // the image's file, never the host's /etc/passwd
    }
    expect(by('/Users/Shared/zero.dylib').code).toBe('ENOENT'); // /dev/zero of the image: there is none
    expect(by('/Users/Shared/fifo.dylib').code).toBe('NOT_REGULAR'); // and no hang
  });

  it('a file in the image that is not a Mach-O is not collected as a binary or dylib', () => {
    const img = join(work, 'img2');
    put(img, '/bin/tool', machO('tool'));
    put(img, '/etc/shadow', 'root:$6$secret:19000:0:99999:7:::\n');
    const { files } = run('/bin/tool', ['/etc/shadow'], img);
    expect(files[0].sha256).toBe(sha(readFileSync(join(img, 'bin/tool'))));
    expect(files[1]).toMatchObject({ path: '/etc/shadow', code: 'NOT_MACHO' });
    expect(files[1].copiedTo).toBeUndefined();
  });

  it('paths that sanitise to the same name never overwrite each other; each hash is that of the file written', () => {
    const img = join(work, 'img3');
    put(img, '/bin/tool', machO('tool'));
    const names = ['/lib/a b.dylib', '/lib/a_b.dylib', '/lib/a?b.dylib', '/lib/a\nb.dylib'];
    names.forEach((p, i) => put(img, p, machO(`dylib ${i}`)));
    const { files, out, alert } = run('/bin/tool', names, img);
    const copied = files.filter((f) => f.copiedTo);
    expect(copied).toHaveLength(5);
    expect(new Set(copied.map((f) => f.copiedTo)).size).toBe(5);
    for (const f of copied) {
      const written = readFileSync(f.copiedTo!);
      expect(f.sha256).toBe(sha(written));
      expect(f.size).toBe(written.length);
      expect(f.sha256).toBe(sha(readFileSync(join(img, f.path))));
    }
    expect(readdirSync(join(out, alert.id, 'files'))).toHaveLength(5);
  });

  it('--evidence reads by the same rules: a link out of the image, a ../ path or a non-Mach-O is not read', () => {
    const img = join(work, 'img5');
    mkdirSync(join(img, 'bin'), { recursive: true });
    symlinkSync('/etc/passwd', join(img, 'bin', 'tool')); // inside the image: IMG/etc/passwd, which is absent
    put(img, '/lib/x.dylib', machO('x'));
    put(img, '/lib/notes.dylib', 'plain text');
    const tel = join(work, 'evidence.jsonl');
    writeFileSync(
      tel,
      render(chain('/bin/tool', ['/lib/x.dylib', '/lib/../lib/x.dylib', '/lib/notes.dylib']), 'eslogger').join('\n') +
        '\n',
    );
    const r = spawnSync(process.execPath, [CLI, 'correlate', '--json', '--evidence', '--root', img, tel], {
      encoding: 'utf8',
    });
    const a = JSON.parse(r.stdout.split('\n')[0]);
    const f = (p: string) => a.evidence.files.find((x: { path: string }) => x.path === p);
    expect(f('/bin/tool').read).toBe(false);
    expect(JSON.stringify(a)).not.toContain(sha(readFileSync('/etc/passwd')));
    expect(f('/lib/x.dylib')).toMatchObject({ read: true, sha256: sha(readFileSync(join(img, 'lib/x.dylib'))) });
    expect(f('/lib/../lib/x.dylib').read).toBe(false);
    expect(f('/lib/notes.dylib').read).toBe(false);
  });

  it('--evidence reads a file whole only up to 1 GiB: a sparse 1 GiB + 1 Mach-O is not read, at once', () => {
    const img = join(work, 'img-big');
    put(img, '/lib/x.dylib', machO('x'));
    mkdirSync(join(img, 'bin'), { recursive: true });
    const big = join(img, 'bin', 'tool');
    writeFileSync(big, sampleMachO()); // a Mach-O magic first: refused for its size, not its content
    truncateSync(big, 2 ** 30 + 1);
    const tel = join(work, 'evidence-big.jsonl');
    writeFileSync(tel, render(chain('/bin/tool', ['/lib/x.dylib']), 'eslogger').join('\n') + '\n');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'correlate', '--json', '--evidence', '--root', img, tel], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(3);
    const a = JSON.parse(r.stdout.split('\n')[0]);
    const f = (p: string) => a.evidence.files.find((x: { path: string }) => x.path === p);
    expect(f('/bin/tool').read).toBe(false);
    expect(f('/lib/x.dylib').read).toBe(true);
    expect(performance.now() - t0).toBeLessThan(30_000); // reading and hashing 1 GiB is not what happened
    rmSync(img, { recursive: true, force: true });
  });

  it("a second run into the same folder keeps the first run's evidence", () => {
    const img = join(work, 'img4');
    put(img, '/bin/tool', machO('tool'));
    put(img, '/lib/x.dylib', machO('x'));
    const tel = join(work, 'again.jsonl');
    writeFileSync(tel, render(chain('/bin/tool', ['/lib/x.dylib']), 'eslogger').join('\n') + '\n');
    const out = join(work, 'again');
    for (let i = 0; i < 2; i++)
      spawnSync(process.execPath, [CLI, 'correlate', '--json', '--root', img, '--collect', out, tel], {
        encoding: 'utf8',
      });
    const dirs = readdirSync(out).sort();
    expect(dirs).toHaveLength(2);
    expect(dirs[1]).toBe(`${dirs[0]}.1`);
    for (const d of dirs) expect(existsSync(join(out, d, 'files', '0-bin_tool'))).toBe(true);
  });
});
