// Typed access to the fixtures built by fixtures/fetch.mjs (real npm binaries) and fixtures/link/build.mjs
// (binaries we link ourselves). `npm test` runs the fetch first, so a missing cache is an error here:
// every accessor throws, and the tests that use it fail instead of silently skipping.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = path.join(ROOT, 'fixtures', '.cache');
export const REAL_MANIFEST = path.join(CACHE, 'manifest.json');
export const LINKED_MANIFEST = path.join(CACHE, 'linked', 'manifest.json');
export const SAMPLE_HELLO = path.join(ROOT, 'fixtures', 'sample', 'hello');

export type SignerClass = 'unsigned' | 'linker-signed' | 'ad-hoc' | 'developer-id' | 'apple' | 'cms-other' | 'unknown';

/** What fixtures/lib/macho-scan.mjs determined for one slice, independently of machlens. */
export interface FixtureSlice {
  arch: string;
  cputype: number;
  cpusubtype: number;
  /** File offset of the slice (0 for a thin file). */
  offset: number;
  size: number;
  /** The fat header's align (log2), 0 for a thin file. */
  align: number;
  filetype: string;
  ncmds: number;
  signed: boolean;
  signerClass?: SignerClass;
  codeSignature?: { dataoff: number; datasize: number };
  cmsPresent?: boolean;
  cdFlags?: number;
  cdVersion?: string;
  hashType?: number;
  pageSizeLog2?: number;
  identifier?: string;
  cdTeamId?: string;
  teamId?: string | null;
  leafSubjectCN?: string;
  leafOrganization?: string | null;
  certificates?: { subject: Record<string, string>; issuer: Record<string, string> }[];
  slots?: { type: string; magic: string; length: number }[];
  /** Every CodeDirectory (slot 0x0 and 0x1000..), recomputed with node:crypto against the slice's bytes. */
  codeDirectories?: {
    slot: string;
    version: string;
    hashType: number;
    hashSize: number;
    pageSizeLog2: number;
    nCodeSlots: number;
    nSpecialSlots: number;
    codeLimit: number;
    cdhash: string;
    mismatchedPageCount: number;
    /** The first 32 code slots whose page hash differs. */
    mismatchedPages: number[];
    /** requirements / entitlements / derEntitlements: match | mismatch | unbound | missing-blob | unbound-but-present */
    specialSlots: Record<string, string>;
    error?: string;
  }[];
  cmsDigestAlgorithm?: string;
  /** messageDigest signed attribute, hex. */
  cmsMessageDigest?: string;
  /** messageDigest equals the digest of the slot-0 CodeDirectory. */
  cmsMessageDigestMatchesCd?: boolean;
  cmsSigningTime?: string;
}

/** How a tampered fixture was made (fixtures/link/tamper.mjs). */
export interface TamperRecord {
  /** The fixture it was copied from. */
  from: string;
  how: string;
  /** insert: a command written into the padding; tool: edited by a real tool. */
  kind: 'insert' | 'tool';
  cmd: string;
  dylib?: string;
  rpath?: string;
  installName?: string;
  /** True when the editing tool re-signed the file (ad hoc). */
  resigned: boolean;
  edits?: { sliceOffset: number; index: number; offset: number; cmdsize: number }[];
}

/** What a linked fixture was built to contain (from the build spec, not from any parser). */
export interface LinkExpectation {
  filetype: string;
  installName?: string;
  currentVersion?: string;
  compatibilityVersion?: string;
  dylibs: { path: string; kind: string; currentVersion: string; compatibilityVersion: string }[];
  rpaths: string[];
  subFramework?: string;
  chainedFixups?: boolean;
  /** LC_LINKER_OPTION strings, in order (objects only). */
  linkerOptions?: string[];
  /** The LC_VERSION_MIN_* command expected instead of LC_BUILD_VERSION. */
  versionMin?: string;
  signed: boolean;
}

export interface FixtureEntry {
  /** `package:path/in/package` for npm fixtures, `linked:NAME` for ours. */
  name: string;
  package: string;
  version: string;
  language: string;
  /** Repository-relative path. */
  path: string;
  size: number;
  sha256: string;
  kind: 'macho64' | 'macho32' | 'fat' | 'fat64';
  archs: string[];
  /** 50 MB or more: tests that read every byte may prefer the light set. */
  heavy: boolean;
  signerClasses: SignerClass[];
  slices: FixtureSlice[];
  /** Linked fixtures only. */
  expect?: LinkExpectation;
  linkArgs?: string[];
  parts?: string[];
  /** Tampered copies only (names `linked:tampered/...`). */
  tamper?: TamperRecord;
  /** Edited copies only (names `linked:edited/...`): field values overwritten to probe the parser, not an attack. */
  edit?: { from: string; how: string; cmd: string; resigned: boolean; values: Record<string, string> };
}

interface Manifest {
  files: FixtureEntry[];
  skipped?: string;
}

const cache = new Map<string, Manifest>();

/** Reads a manifest; throws (never returns an empty list) when it is missing, was skipped, or lists nothing. */
export function loadManifest(file: string): { files: FixtureEntry[] } {
  return load(file);
}

function load(file: string): Manifest {
  const hit = cache.get(file);
  if (hit) return hit;
  if (!fs.existsSync(file)) {
    throw new Error(
      `fixture manifest missing: ${path.relative(ROOT, file)}. Run \`npm run fixtures\` (npm test does it first).`,
    );
  }
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  if (m.skipped) throw new Error(`fixtures were not built: ${m.skipped}`);
  if (!Array.isArray(m.files) || m.files.length === 0)
    throw new Error(`fixture manifest ${path.relative(ROOT, file)} lists no file`);
  cache.set(file, m);
  return m;
}

/** Every Mach-O found in the pinned npm packages. */
export function realFixtures(opts: { heavy?: boolean } = {}): FixtureEntry[] {
  const all = load(REAL_MANIFEST).files;
  return opts.heavy === false ? all.filter((f) => !f.heavy) : all;
}

/** Every binary built by fixtures/link/build.mjs. */
export function linkedFixtures(): FixtureEntry[] {
  return load(LINKED_MANIFEST).files;
}

export function allFixtures(opts: { heavy?: boolean } = {}): FixtureEntry[] {
  return [...realFixtures(opts), ...linkedFixtures()];
}

export function fixturePath(entry: FixtureEntry): string {
  return path.join(ROOT, entry.path);
}

/** The bytes of a fixture, checked against the manifest's size (and sha256 when `verify` is set). */
export function readFixture(entry: FixtureEntry, opts: { verify?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const buf = fs.readFileSync(fixturePath(entry));
  if (buf.length !== entry.size)
    throw new Error(
      `${entry.name}: size ${buf.length} differs from the manifest's ${entry.size}; run npm run fixtures`,
    );
  if (opts.verify) {
    const got = createHash('sha256').update(buf).digest('hex');
    if (got !== entry.sha256)
      throw new Error(`${entry.name}: sha256 ${got} differs from the manifest's ${entry.sha256}`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) as Uint8Array<ArrayBuffer>;
}

/**
 * One fixture by name: the exact manifest name (`@esbuild/darwin-arm64:bin/esbuild`, `fsevents@2.3.2:fsevents.node`,
 * `linked:app-arm64`), a package name when its current release holds a single Mach-O (`fsevents`), or a linked name
 * without its prefix (`app-arm64`).
 */
export function fixtureByName(name: string): FixtureEntry {
  const all = allFixtures();
  const exact = all.find((f) => f.name === name) ?? all.find((f) => f.name === `linked:${name}`);
  if (exact) return exact;
  const byPackage = all.filter((f) => f.package === name);
  if (byPackage.length === 1) return byPackage[0];
  // a package also pinned at an older release (named `pkg@version:path`): the bare name means the current one
  const current = byPackage.filter((f) => f.name.startsWith(`${name}:`));
  if (current.length === 1) return current[0];
  if (byPackage.length > 1) throw new Error(`fixture ${name} is ambiguous: ${byPackage.map((f) => f.name).join(', ')}`);
  throw new Error(`no fixture named ${name}; known: ${all.map((f) => f.name).join(', ')}`);
}

/** Fixtures with at least one slice of the given signer class. */
export function fixturesSignedBy(cls: SignerClass, opts: { heavy?: boolean } = {}): FixtureEntry[] {
  return allFixtures(opts).filter((f) => f.signerClasses.includes(cls));
}
