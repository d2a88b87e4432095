// `machlens inspect --json`, run as the built CLI on every real and linked fixture, agrees with llvm-otool:
// slices, header counts, every command's name/cmdsize, dylibs, rpaths, uuid, segment file ranges.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allFixtures, fixturePath, SAMPLE_HELLO } from './helpers/fixtures';
import { oracle, oracleDylibs, oracleRpaths, oracleUuid, field, num } from './helpers/otool';

const CLI = resolve(__dirname, '..', 'dist', 'cli.js');
function inspect(file: string, ...flags: string[]) {
  return JSON.parse(
    execFileSync(process.execPath, [CLI, 'inspect', '--json', ...flags, file], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  );
}

describe('machlens inspect --json vs llvm-otool', () => {
  const files = allFixtures({ heavy: true });
  it('has real fixtures to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  for (const f of files) {
    it(f.name, () => {
      const file = fixturePath(f);
      const j = inspect(file, '--no-hash');
      const o = oracle(file);
      expect(j.issues.filter((i: { severity: string }) => i.severity === 'error')).toEqual([]);
      expect(j.fat === null).toBe(o.fat === null);
      expect(j.slices.length).toBe(o.slices.length);
      j.slices.forEach((s: any, i: number) => {
        const os = o.slices[i];
        expect(s.ncmds).toBe(os.header.ncmds);
        expect(s.sizeofcmds).toBe(os.header.sizeofcmds);
        expect(s.filetype).toBe(os.header.filetype);
        expect(s.loadCommands.map((c: any) => [c.name, c.cmdsize])).toEqual(
          os.commands.map((c) => [c.cmd.startsWith('LC_') ? c.cmd : s.loadCommands[c.index].name, c.cmdsize]),
        );
        expect(s.dylibs.map((d: any) => d.path)).toEqual(
          oracleDylibs(os)
            .filter((d) => d.kind !== 'id')
            .map((d) => d.path),
        );
        expect(s.rpaths).toEqual(oracleRpaths(os));
        expect(s.uuid).toBe(oracleUuid(os));
        for (const c of os.commands.filter((x) => x.cmd === 'LC_SEGMENT_64' || x.cmd === 'LC_SEGMENT')) {
          const mine = s.loadCommands[c.index];
          expect([mine.segname, mine.fileoff, mine.filesize]).toEqual([
            field(c, 'segname'),
            num(field(c, 'fileoff')),
            num(field(c, 'filesize')),
          ]);
        }
        const cs = os.commands.find((x) => x.cmd === 'LC_CODE_SIGNATURE');
        expect(s.codeSignature).toEqual(
          cs ? { dataoff: num(field(cs, 'dataoff')), datasize: num(field(cs, 'datasize')) } : null,
        );
      });
    });
  }

  it('the bundled sample prints a readable report and a sha256', () => {
    const text = execFileSync(process.execPath, [CLI, 'inspect', SAMPLE_HELLO], { encoding: 'utf8' });
    expect(text).toMatch(/universal \(fat\) with 2 slices: x86_64, arm64/);
    expect(text).toMatch(/LC_LOAD_DYLIB\s+\d+\s+\/usr\/lib\/libSystem\.B\.dylib/);
    expect(inspect(SAMPLE_HELLO).sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
