// Finding the parts of a macOS app bundle in a list of paths (a dropped folder or a zip's entries):
// Foo.app/Contents/Info.plist, the executable it names (Contents/MacOS/…), and _CodeSignature/CodeResources.
import { MachlensError } from '../src/errors';
// Info.plist is read by the SDK's own plist parser (XML and bplist00, every count checked against the bytes).
import { parsePlistBytes, PlistError } from '../src/verify/plist';

export interface BundleLayout {
  /** Path of the .app folder inside the drop, e.g. `Foo.app` or `dist/Foo.app`. */
  root: string;
  name: string;
  infoPlist: string | null;
  codeResources: string | null;
  /** Candidates for the main executable, best first. */
  macos: string[];
}

export class BundleError extends MachlensError {
  override readonly name = 'BundleError';
  constructor(message: string) {
    super('BUNDLE_INVALID', message, { structure: 'bundle' });
  }
}

export function findBundle(paths: string[]): BundleLayout {
  const norm = paths.map((p) => p.replace(/\\/g, '/'));
  const plist = norm
    .filter((p) => /(^|\/)[^/]+\.app\/Contents\/Info\.plist$/.test(p) && !p.includes('__MACOSX/'))
    .sort((a, b) => a.length - b.length)[0];
  let root: string;
  if (plist) root = plist.slice(0, -'/Contents/Info.plist'.length);
  else {
    const m = norm.map((p) => /^(.*?[^/]+\.app)\/Contents\/MacOS\/[^/]+$/.exec(p)).find(Boolean);
    if (!m)
      throw new BundleError(
        'no .app bundle found: expected NAME.app/Contents/Info.plist or NAME.app/Contents/MacOS/NAME',
      );
    root = m[1];
  }
  const name = root.split('/').pop() ?? root;
  const has = new Set(norm);
  const cr = `${root}/Contents/_CodeSignature/CodeResources`;
  const stem = name.replace(/\.app$/, '');
  const macos = norm.filter((p) => p.startsWith(`${root}/Contents/MacOS/`) && !p.slice(root.length + 16).includes('/'));
  macos.sort((a, b) => Number(b.endsWith(`/${stem}`)) - Number(a.endsWith(`/${stem}`)));
  return { root, name, infoPlist: plist ?? null, codeResources: has.has(cr) ? cr : null, macos };
}

/** Most bytes read of an Info.plist or a CodeResources (a real one is at most a few MiB). */
export const SIDE_FILE_CAP = 64 * 1024 * 1024;

/**
 * CFBundleExecutable from an Info.plist, XML or binary (bplist00), read by the SDK's bounded plist parser; null when
 * the key is absent or not a string. Throws PlistError (with the offset) when the plist does not parse, and
 * BundleError when the name is not a plain file name (a slash, `.` or `..` would point outside Contents/MacOS).
 */
export function bundleExecutableName(plist: Uint8Array): string | null {
  const v = parsePlistBytes(plist);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || v instanceof Date) {
    throw new PlistError('Info.plist is not a dictionary', 0);
  }
  if (!Object.hasOwn(v, 'CFBundleExecutable')) return null;
  const name = (v as Record<string, unknown>).CFBundleExecutable;
  if (typeof name !== 'string') return null;
  const trimmed = name.trim();
  if (!trimmed || trimmed === '.' || trimmed === '..' || /[/\\\0]/.test(trimmed)) {
    throw new BundleError(
      `CFBundleExecutable ${JSON.stringify(trimmed.slice(0, 200))} is not a file name in Contents/MacOS`,
    );
  }
  return trimmed;
}
