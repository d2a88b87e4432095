// Finding the parts of a macOS app bundle in a list of paths (a dropped folder or a zip's entries):
// Foo.app/Contents/Info.plist, the executable it names (Contents/MacOS/…), and _CodeSignature/CodeResources.
import { MachlensError } from 'machlens';

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
  constructor(message: string) { super('BUNDLE_INVALID', message, { structure: 'bundle' }); }
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
    if (!m) throw new BundleError('no .app bundle found: expected NAME.app/Contents/Info.plist or NAME.app/Contents/MacOS/NAME');
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

/** CFBundleExecutable from an XML Info.plist (null for a binary plist or when absent). */
export function bundleExecutableName(plist: Uint8Array): string | null {
  const text = new TextDecoder().decode(plist.subarray(0, Math.min(plist.length, 1 << 20)));
  if (text.startsWith('bplist')) return binaryPlistString(plist, 'CFBundleExecutable');
  const m = /<key>\s*CFBundleExecutable\s*<\/key>\s*<string>([^<]*)<\/string>/.exec(text);
  return m ? m[1].trim().replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>') : null;
}

/** The string value of a top-level key in a binary plist (bplist00), or null. Only what finding the executable needs. */
function binaryPlistString(b: Uint8Array, key: string): string | null {
  if (b.length < 40) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t = b.length - 32;
  const offSize = b[t + 6], refSize = b[t + 7];
  const numObjects = Number(dv.getBigUint64(t + 8)), top = Number(dv.getBigUint64(t + 16)), tableOff = Number(dv.getBigUint64(t + 24));
  const uint = (o: number, n: number) => { let v = 0; for (let i = 0; i < n; i++) v = v * 256 + b[o + i]; return v; };
  const objOff = (i: number) => (i < numObjects ? uint(tableOff + i * offSize, offSize) : -1);
  const lenAt = (o: number): [number, number] => {
    const low = b[o] & 0xf;
    if (low !== 0xf) return [low, o + 1];
    const n = 1 << (b[o + 1] & 0xf);
    return [uint(o + 2, n), o + 2 + n];
  };
  const str = (i: number): string | null => {
    const o = objOff(i);
    if (o < 0 || o >= b.length) return null;
    const kind = b[o] >> 4;
    const [len, start] = lenAt(o);
    if (kind === 5) return new TextDecoder('latin1').decode(b.subarray(start, start + len));
    if (kind === 6) {
      let s = '';
      for (let k = 0; k < len; k++) s += String.fromCharCode(dv.getUint16(start + 2 * k));
      return s;
    }
    return null;
  };
  const o = objOff(top);
  if (o < 0 || b[o] >> 4 !== 0xd) return null;
  const [n, start] = lenAt(o);
  for (let k = 0; k < n; k++) {
    if (str(uint(start + k * refSize, refSize)) === key) return str(uint(start + (n + k) * refSize, refSize));
  }
  return null;
}
