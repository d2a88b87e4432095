// Judging a dylib path: is it somewhere an attacker can write, hidden, or escaping the bundle?

export interface PathRisk {
  /** Reasons, e.g. `user-writable`, `temporary`, `hidden`, `escapes-bundle`, `relative`. Empty when unremarkable. */
  reasons: string[];
  /** Plain words for the reasons. */
  description: string;
}

const TEMP = [
  /^\/tmp\//,
  /^\/private\/tmp\//,
  /^\/var\/tmp\//,
  /^\/private\/var\/tmp\//,
  /^\/private\/var\/folders\//,
  /^\/var\/folders\//,
];
const USER = [/^\/Users\//, /^~\//];
const PREFIX = /^@(executable_path|loader_path|rpath)(\/|$)/;

/**
 * Judges one install name. `rpaths` (the binary's LC_RPATH values) are used to resolve `@rpath/…`.
 * An `@executable_path` path escapes the bundle when it climbs above `X.app` (Contents/MacOS → three `..`).
 */
export function judgeDylibPath(path: string, rpaths: string[] = []): PathRisk {
  const reasons = new Set<string>();
  const check = (p: string) => {
    if (TEMP.some((r) => r.test(p))) reasons.add('temporary');
    if (p.startsWith('/Users/Shared/')) reasons.add('shared-user-folder');
    else if (USER.some((r) => r.test(p))) reasons.add('user-writable');
    if (p.split('/').some((c) => c.startsWith('.') && c !== '.' && c !== '..')) reasons.add('hidden');
    const m = PREFIX.exec(p);
    if (m) {
      let depth = 0,
        min = 0;
      for (const c of p.slice(m[0].length).split('/')) {
        if (c === '..') depth--;
        else if (c && c !== '.') depth++;
        min = Math.min(min, depth);
      }
      // @executable_path is X.app/Contents/MacOS: three levels up leaves the bundle.
      if (min <= -3) reasons.add('escapes-bundle');
    } else if (!p.startsWith('/')) {
      reasons.add('relative');
    }
  };
  check(path);
  if (path.startsWith('@rpath/')) {
    for (const r of rpaths) check(r.replace(/\/$/, '') + path.slice('@rpath'.length));
  }
  const list = [...reasons];
  const words: Record<string, string> = {
    temporary: 'in a temporary folder',
    'user-writable': 'in a user home folder',
    'shared-user-folder': 'in /Users/Shared (writable by every user)',
    hidden: 'with a hidden path component',
    'escapes-bundle': 'climbing out of the app bundle',
    relative: 'relative to the working directory',
  };
  return { reasons: list, description: list.map((r) => words[r] ?? r).join(', ') };
}

/** Entitlements that weaken library validation or code integrity, with why they matter. */
export const RISKY_ENTITLEMENTS: Readonly<Record<string, string>> = Object.freeze({
  'com.apple.security.cs.disable-library-validation': 'lets the process load libraries signed by anyone (or unsigned)',
  'com.apple.security.cs.allow-dyld-environment-variables':
    'lets DYLD_* variables (e.g. DYLD_INSERT_LIBRARIES) inject code',
  'com.apple.security.get-task-allow': 'lets other processes attach a debugger and inject code',
  'com.apple.security.cs.allow-unsigned-executable-memory': 'allows unsigned executable memory',
  'com.apple.security.cs.disable-executable-page-protection': 'disables executable page protection',
  'com.apple.security.cs.allow-jit': 'allows JIT (writable+executable) memory',
});
