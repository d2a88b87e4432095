// Report → DOM. Findings first, in plain words; then the comparison (two files); then each file: header and
// slices, signature panel, page map, dylibs and rpaths (risky locations marked), load commands with offsets.
import {
  cpuTypeName,
  describeLoadCommand,
  filetypeName,
  formatVersion,
  headerFlagNames,
  judgeDylibPath,
  pageLocations,
  RISKY_ENTITLEMENTS,
} from 'machlens';
import type { Binary, DiffResult, Issue, LoadCommand, MachOFile, SliceDiff } from 'machlens';
import type { CertificateReport, CodeDirectoryReport, SignatureReport, SliceReport, VerifyReport } from 'machlens';
import { bytes, h, hex, kv, offset, table } from './dom';
import { Cell, pageMap } from './pagemap';
import type { ErrorInfo, FileReport, Report } from './protocol';

type Level = 'high' | 'medium' | 'low' | 'info' | 'ok';
export interface ViewFinding {
  level: Level;
  message: string;
  where: string;
  id: string;
  technique?: string | null;
}

const LEVEL_WORD: Record<Level, string> = { high: 'High', medium: 'Medium', low: 'Low', info: 'Note', ok: 'OK' };
const LEVEL_CLASS: Record<Level, string> = { high: 'bad', medium: 'warn', low: 'warn', info: 'info', ok: 'ok' };
const ORDER: Record<Level, number> = { high: 0, medium: 1, low: 2, info: 3, ok: 4 };

const asLevel = (s: string): Level => (s === 'high' || s === 'medium' || s === 'low' || s === 'info' ? s : 'info');

function errorWhere(e: { offset?: number; context?: string; code?: string }): string {
  const parts = [e.code ?? ''];
  if (e.offset !== undefined && e.offset >= 0) parts.push(`at offset ${offset(e.offset)}`);
  if (e.context) parts.push(`in ${e.context}`);
  return parts.filter(Boolean).join(' ');
}

// ---------------------------------------------------------------------------------------------- findings

function fileFindings(f: FileReport, label: string): ViewFinding[] {
  const out: ViewFinding[] = [];
  const at = (s: string) => (label ? `${label} · ${s}` : s);
  if (f.error) {
    out.push({
      level: 'high',
      id: 'not-macho',
      message: `${f.name} is not a valid Mach-O file: ${f.error.message.replace(/^[A-Z_]+ at offset -?\d+ in [^:]+: /, '')}.`,
      where: at(errorWhere(f.error)),
    });
  }
  const m = f.parse as MachOFile | null;
  for (const is of (m?.issues ?? []) as Issue[]) {
    if (f.error && is.code === f.error.code && is.offset === f.error.offset) continue;
    out.push({
      level: is.severity === 'error' ? 'medium' : 'low',
      id: `issue-${is.code}`,
      message: `Malformed structure: ${is.message}`,
      where: at(errorWhere(is)),
    });
  }
  const v = f.verify as VerifyReport | null;
  for (const s of m?.slices ?? []) {
    const sv = v?.slices.find((x) => x.offset === s.offset);
    for (const d of s.dylibs) {
      const r = judgeDylibPath(d.path, s.rpaths);
      if (r.reasons.length)
        out.push({
          level: 'medium',
          id: 'risky-dylib',
          message: `Loads ${d.path}, ${r.description}.`,
          where: at(`${s.arch} · ${s.loadCommands[d.index]?.name ?? 'dylib'} [${d.index}]`),
        });
    }
    for (const rp of s.rpaths) {
      const r = judgeDylibPath(rp.startsWith('@') ? rp : `${rp.replace(/\/$/, '')}/x.dylib`);
      if (r.reasons.length)
        out.push({
          level: 'medium',
          id: 'risky-rpath',
          message: `Searches libraries in ${rp}, ${r.description}.`,
          where: at(`${s.arch} · LC_RPATH`),
        });
    }
    if (!sv && !s.codeSignature && !f.error)
      out.push({ level: 'info', id: 'unsigned', message: `The ${s.arch} slice is not signed.`, where: at(s.arch) });
  }
  for (const sv of v?.slices ?? []) {
    const sig = sv.signature;
    for (const fd of sv.findings)
      out.push({
        level: asLevel(fd.severity),
        id: fd.id,
        message: fd.message,
        where: at(`${sv.arch} · ${fd.id}`),
        technique: fd.technique,
      });
    if (!sig.present)
      out.push({ level: 'info', id: 'unsigned', message: `The ${sv.arch} slice is not signed.`, where: at(sv.arch) });
    else if (!sig.valid)
      out.push({
        level: 'high',
        id: 'signature-invalid',
        message: `The ${sv.arch} signature does not verify: ${sig.reasons.join('; ') || 'invalid'}.`,
        where: at(sv.arch),
      });
    else
      out.push({
        level: 'ok',
        id: 'signature-valid',
        message: `The ${sv.arch} signature verifies (${sig.class}${sig.teamId ? `, team ${sig.teamId}` : ''}${sig.identifier ? `, ${sig.identifier}` : ''}).`,
        where: at(sv.arch),
      });
  }
  if (f.verifyError)
    out.push({
      level: 'medium',
      id: 'verify-failed',
      message: `The signature could not be verified: ${f.verifyError.message}`,
      where: at(errorWhere(f.verifyError)),
    });
  return out;
}

export function allFindings(r: Report): ViewFinding[] {
  const out: ViewFinding[] = [];
  const d = r.diff as DiffResult | null;
  for (const fd of d?.findings ?? [])
    out.push({
      level: asLevel(fd.severity),
      id: fd.id,
      message: fd.message,
      where: `comparison${fd.slice ? ` · ${fd.slice}` : ''} · ${fd.id}`,
      technique: fd.technique,
    });
  if (r.diffError)
    out.push({ level: 'info', id: 'diff-unavailable', message: r.diffError.message, where: 'comparison' });
  // In a comparison the diff speaks for what was added; A's own path findings would repeat B's.
  const added = new Set((d?.slices ?? []).flatMap((s) => [...s.dylibsAdded.map((x) => x.path), ...s.rpathsAdded]));
  // Likewise B's "signature invalid" when the diff says it, and the OK lines (the signature table shows them).
  const diffIds = new Set((d?.findings ?? []).map((x) => `${x.id}:${x.slice}`));
  r.files.forEach((f, i) =>
    out.push(
      ...fileFindings(f, r.files.length > 1 ? (i === 0 ? 'A' : 'B') : '').filter(
        (x) =>
          !(
            d &&
            (((x.id === 'risky-dylib' || x.id === 'risky-rpath') &&
              (i === 0 || [...added].some((p) => x.message.includes(` ${p},`)))) ||
              x.level === 'ok' ||
              (x.id === 'signature-invalid' &&
                [...diffIds].some(
                  (k) => k.startsWith('signature-invalid:') && x.where.includes(` ${k.split(':')[1]}`),
                )))
          ),
      ),
    ),
  );
  return out.sort((a, b) => ORDER[a.level] - ORDER[b.level]);
}

function findingsPanel(r: Report): HTMLElement {
  const list = allFindings(r);
  return h(
    'section',
    { class: 'panel', id: 'findings', 'aria-labelledby': 'findings-title' },
    h('h2', { id: 'findings-title' }, 'Findings'),
    list.length === 0
      ? h('p', null, 'Nothing remarkable: no finding.')
      : h(
          'ul',
          { class: 'findings' },
          list.map((f) =>
            h(
              'li',
              { class: LEVEL_CLASS[f.level], 'data-finding': f.id, 'data-level': f.level },
              h('span', { class: 'sev' }, LEVEL_WORD[f.level]),
              f.message,
              f.technique ? h('span', { class: 'badge info', title: 'MITRE ATT&CK technique' }, f.technique) : null,
              h('div', { class: 'where' }, f.where),
            ),
          ),
        ),
  );
}

// ---------------------------------------------------------------------------------------------- pieces

const yes = (b: boolean | null | undefined, good = true) =>
  b === null || b === undefined
    ? h('span', { class: 'badge info' }, 'n/a')
    : h('span', { class: `badge ${b === good ? 'ok' : 'bad'}` }, b ? 'yes' : 'no');
const check = (b: boolean | null, absent = 'not present') =>
  b === null
    ? h('span', { class: 'badge info' }, absent)
    : h('span', { class: `badge ${b ? 'ok' : 'bad'}` }, b ? 'pass' : 'FAIL');

function riskCell(path: string, rpaths: string[] = [], rpath = false) {
  const r = judgeDylibPath(rpath && !path.startsWith('@') ? `${path.replace(/\/$/, '')}/x.dylib` : path, rpaths);
  return {
    risky: r.reasons.length > 0,
    cell: r.reasons.length
      ? h('span', { class: 'badge bad', title: r.description }, `risky: ${r.description}`)
      : h('span', { class: 'badge ok' }, 'ok'),
  };
}

function dylibTable(s: Binary): HTMLElement {
  const sigIndex = s.codeSignature?.index ?? Infinity;
  const rows = s.dylibs.map((d) => {
    const r = riskCell(d.path, s.rpaths);
    return {
      risky: r.risky,
      row: [
        d.index,
        d.kind,
        h('code', null, d.path),
        formatVersion(d.currentVersion),
        h(
          'span',
          null,
          r.cell,
          d.index > sigIndex ? h('span', { class: 'badge bad' }, 'after LC_CODE_SIGNATURE') : null,
        ),
      ],
    };
  });
  const rp = s.rpaths.map((p) => {
    const r = riskCell(p, [], true);
    return { risky: r.risky, row: ['', 'rpath', h('code', null, p), '', r.cell] };
  });
  const all = [...rows, ...rp];
  if (all.length === 0) return h('p', null, 'No dependent libraries and no rpaths.');
  return table(
    `Dependent libraries (${s.dylibs.length}) and rpaths (${s.rpaths.length})`,
    ['LC #', 'Kind', 'Path', 'Version', 'Location'],
    all.map((x) => x.row),
    {
      rowClass: (i) => (all[i].risky ? 'risk-high' : null),
      numeric: [0],
    },
  );
}

function loadCommandTable(s: Binary): HTMLElement {
  const t = table(
    null,
    ['#', 'File offset', 'Command', 'cmdsize', 'Detail'],
    s.loadCommands.map((lc) => [
      lc.index,
      h('span', { class: 'offset' }, offset(lc.offset)),
      h('code', null, lc.name),
      lc.cmdsize,
      describeLoadCommand(lc),
    ]),
    {
      numeric: [0, 3],
      rowClass: (i) => (s.codeSignature && s.loadCommands[i].index > s.codeSignature.index ? 'risk-high' : null),
    },
  );
  return h(
    'details',
    { class: 'lc', open: s.loadCommands.length <= 40 },
    h(
      'summary',
      null,
      `Load commands (${s.loadCommands.length}, ${s.header.sizeofcmds} bytes from offset ${hex(s.offset + s.header.headerSize)})`,
    ),
    h('div', { class: 'scroll' }, t),
  );
}

function headerPanel(s: Binary): HTMLElement {
  const hd = s.header;
  return h(
    'div',
    null,
    h('h4', null, 'Header'),
    kv([
      ['CPU', `${s.arch} (${cpuTypeName(hd.cputype)}, subtype ${hex(hd.cpusubtype)})`],
      ['File type', filetypeName(hd.filetype)],
      ['Format', `${hd.is64 ? '64-bit' : '32-bit'}, ${hd.bigEndian ? 'big' : 'little'}-endian, magic ${hex(hd.magic)}`],
      ['Slice', `offset ${offset(s.offset)}, ${bytes(s.size)}`],
      ['Flags', h('span', { class: 'mono' }, `${hex(hd.flags)} ${headerFlagNames(hd.flags).join(' ')}`)],
      ['Commands', `${hd.ncmds} commands, ${hd.sizeofcmds} bytes`],
      ['UUID', s.uuid ? h('span', { class: 'mono' }, s.uuid) : null],
      ['Install name', s.idDylib ? h('code', null, s.idDylib.path) : null],
      ['Dynamic linker', s.dylinker ? h('code', null, s.dylinker) : null],
      [
        'LC_CODE_SIGNATURE',
        s.codeSignature
          ? `[${s.codeSignature.index}] dataoff ${s.codeSignature.dataoff}, ${s.codeSignature.datasize} bytes`
          : 'none',
      ],
    ]),
  );
}

function certItem(c: CertificateReport, i: number): HTMLElement {
  return h(
    'li',
    { 'data-cert': i },
    h('strong', null, c.commonName ?? c.subject),
    c.organization ? ` · ${c.organization}` : '',
    c.organizationalUnit ? ` (${c.organizationalUnit})` : '',
    c.appleRoles.map((r) => h('span', { class: 'badge info' }, r)),
    h(
      'div',
      { class: 'meta' },
      `issued by ${c.issuer} · valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)} · ${c.keyAlgorithm} · SHA-256 ${c.sha256.slice(0, 16)}…`,
    ),
  );
}

function bestCd(sig: SignatureReport): CodeDirectoryReport | null {
  return sig.codeDirectories.find((c) => c.slot === sig.bestSlot) ?? sig.codeDirectories[0] ?? null;
}

/**
 * Both entitlement blobs (issue 12 item 10): the XML one (slot 5) and the DER one (slot 7). A risky key in either is
 * marked, naming the blob when only one holds it; when the blobs disagree both are shown (verify's
 * entitlements-mismatch finding says so in the findings too), else one listing.
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Uint8Array))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

function entitlementsPanel(sig: SignatureReport): HTMLElement {
  const xml = sig.entitlements,
    der = sig.entitlementsDer;
  const blobs = (
    [
      ['XML', xml],
      ['DER', der],
    ] as const
  ).filter((b): b is readonly ['XML' | 'DER', Record<string, unknown>] => !!b[1] && Object.keys(b[1]).length > 0);
  if (blobs.length === 0) return h('p', null, 'None.');
  const risky = [...new Set(blobs.flatMap(([, e]) => Object.keys(e)))].filter((k) =>
    Object.hasOwn(RISKY_ENTITLEMENTS, k),
  );
  const where = (k: string) =>
    blobs.length === 2 && !blobs.every(([, e]) => Object.hasOwn(e, k))
      ? ` (only in the ${blobs.find(([, e]) => Object.hasOwn(e, k))![0]} blob)`
      : '';
  const same = blobs.length === 2 && canonical(xml) === canonical(der);
  const shown = same ? [blobs[0]] : blobs;
  return h(
    'div',
    { 'data-blobs': blobs.map(([n]) => n).join(' ') },
    risky.map((k) => h('p', { class: 'badge bad', 'data-risky': k }, `${k}: ${RISKY_ENTITLEMENTS[k]}${where(k)}`)),
    shown.map(([name, e]) =>
      h(
        'div',
        null,
        blobs.length === 2
          ? h(
              'p',
              null,
              same ? 'XML and DER blobs (identical)' : `${name} blob${name === 'XML' ? ' (slot 5)' : ' (slot 7)'}`,
            )
          : null,
        h(
          'pre',
          {
            class: 'ents',
            tabindex: 0,
            'aria-label': same || blobs.length === 1 ? 'entitlements' : `${name} entitlements`,
          },
          JSON.stringify(e, null, 2),
        ),
      ),
    ),
  );
}

function signaturePanel(sv: SliceReport | null, s: Binary, verifyAvailable: boolean): HTMLElement {
  const title = h('h4', null, 'Signature');
  if (!sv) {
    return h(
      'div',
      { class: 'signature' },
      title,
      h(
        'p',
        null,
        s.codeSignature
          ? verifyAvailable
            ? 'The signature could not be verified (see the findings).'
            : `LC_CODE_SIGNATURE at dataoff ${s.codeSignature.dataoff} (${s.codeSignature.datasize} bytes); this build of machlens cannot verify it.`
          : s.issues.some((i) => i.severity === 'error')
            ? 'No LC_CODE_SIGNATURE among the load commands that could be read.'
            : 'Not signed: no LC_CODE_SIGNATURE.',
      ),
    );
  }
  const sig = sv.signature;
  if (!sig.present)
    return h(
      'div',
      { class: 'signature', 'data-class': sig.class },
      title,
      h('p', null, 'Not signed: no LC_CODE_SIGNATURE.'),
    );
  const cd = bestCd(sig);
  const cms = sig.cms;
  return h(
    'div',
    { class: 'signature', 'data-class': sig.class, 'data-valid': String(sig.valid) },
    title,
    kv([
      [
        'Class',
        h(
          'span',
          {
            class: `badge ${sig.class === 'unsigned' ? 'bad' : sig.class === 'ad-hoc' || sig.class === 'linker-signed' ? 'warn' : 'ok'}`,
          },
          sig.class,
        ),
      ],
      ['Valid', h('span', null, yes(sig.valid), sig.reasons.length ? ` ${sig.reasons.join('; ')}` : '')],
      ['Identifier', sig.identifier ? h('code', null, sig.identifier) : '(none)'],
      ['Team ID', sig.teamId ?? '(none)'],
      ['CDHash', sig.cdhash ? h('span', { class: 'mono' }, sig.cdhash) : '(none)'],
      ['Hardened runtime', yes(sig.hardenedRuntime)],
      [
        'Library validation',
        sig.libraryValidation ? h('span', { class: 'badge ok' }, 'yes') : h('span', { class: 'badge info' }, 'no'),
      ],
      [
        'CodeDirectory',
        cd
          ? `v${cd.versionHex}, ${cd.hashTypeName}, ${cd.pageSize ? `${cd.pageSize}-byte pages` : 'one page'}, ${cd.nCodeSlots} code slots up to ${cd.codeLimit}, flags ${cd.flagNames.join(' ') || hex(cd.flags)}`
          : '(none)',
      ],
      ['Code pages', cd ? `${cd.pagesChecked} checked, ${cd.mismatchedPages.length} mismatched` : null],
      ['Requirement', sig.designatedRequirement ? h('code', null, sig.designatedRequirement) : null],
    ]),
    h('h4', null, 'Entitlements'),
    entitlementsPanel(sig),
    cd && cd.specialSlots.some((x) => x.status !== 'not-bound')
      ? table(
          'Bound special slots',
          ['Slot', 'What', 'Status'],
          cd.specialSlots
            .filter((x) => x.status !== 'not-bound')
            .map((x) => [
              x.slot,
              x.name,
              h(
                'span',
                {
                  class: `badge ${x.status === 'match' ? 'ok' : x.status === 'mismatch' || x.status === 'absent' ? 'bad' : 'info'}`,
                },
                x.status,
              ),
            ]),
          { numeric: [0] },
        )
      : null,
    h('h4', null, 'CMS signature'),
    cms
      ? h(
          'div',
          null,
          table(
            null,
            ['Check', 'Result'],
            [
              ['messageDigest equals the CodeDirectory digest', check(cms.messageDigestValid)],
              ['Signature over the signed attributes', check(cms.signatureValid)],
              ['cdhashes attribute lists the CodeDirectories', check(cms.cdhashesMatch)],
              [
                'Chain up to a trusted root',
                h('span', null, check(cms.chainTrusted), cms.anchor ? ` ${cms.anchor}` : ''),
              ],
              [
                'Secure timestamp',
                cms.timestamp.present ? `present${cms.timestamp.time ? `, ${cms.timestamp.time}` : ''}` : 'none',
              ],
              ['Signing time', cms.signingTime ?? 'none'],
            ],
            { id: `cms-${sv.index}` },
          ),
          cms.errors.length
            ? h(
                'ul',
                null,
                cms.errors.map((e) => h('li', null, e)),
              )
            : null,
          h('h4', null, `Certificate chain (${cms.chain.length})`),
          cms.chain.length ? h('ol', { class: 'chain' }, cms.chain.map(certItem)) : h('p', null, 'No certificates.'),
        )
      : h(
          'p',
          null,
          sig.class === 'ad-hoc' || sig.class === 'linker-signed'
            ? 'None: an ad-hoc signature has no CMS and no certificates.'
            : 'No CMS blob.',
        ),
  );
}

function sliceCells(s: Binary, cd: CodeDirectoryReport | null): { cells: Uint8Array; pageSize: number } {
  const pageSize = cd && cd.pageSize > 0 ? cd.pageSize : 4096;
  const n = Math.max(1, Math.ceil(s.size / pageSize));
  const cells = new Uint8Array(n).fill(Cell.NotCovered);
  if (cd) {
    const covered = cd.pageSize > 0 ? Math.min(n, cd.nCodeSlots) : 1;
    cells.fill(Cell.Match, 0, covered);
    for (const p of cd.mismatchedPages) if (p.page < n) cells[p.page] = Cell.Mismatch;
  }
  return { cells, pageSize };
}

function describer(s: Binary, pageSize: number) {
  const lcEnd = s.header.headerSize + s.header.sizeofcmds;
  return (i: number) => {
    const start = i * pageSize,
      end = start + pageSize;
    const where = pageLocations(s, start, end);
    if (start < lcEnd) where.unshift('mach_header+load_commands');
    const cs = s.codeSignature;
    if (cs && start < cs.dataoff + cs.datasize && end > cs.dataoff) where.push('code signature');
    return where.join(', ');
  };
}

function slicePageMap(id: string, s: Binary, sv: SliceReport | null): HTMLElement | null {
  const cd = sv ? bestCd(sv.signature) : null;
  if (!cd) return null;
  const { cells, pageSize } = sliceCells(s, cd);
  const mism = cd.mismatchedPages.length;
  return pageMap({
    id,
    title: 'Code pages',
    cells,
    pageSize,
    base: s.offset,
    describe: describer(s, pageSize),
    legend: [Cell.Match, Cell.Mismatch, Cell.NotCovered],
    summary: `${cells.length} pages of ${pageSize} bytes; ${mism ? `${mism} MISMATCHED` : 'every signed page matches'}`,
  });
}

function sliceSection(
  f: FileReport,
  fi: number,
  s: Binary,
  i: number,
  total: number,
  verifyAvailable: boolean,
): HTMLElement {
  const v = f.verify as VerifyReport | null;
  const sv = v?.slices.find((x) => x.offset === s.offset) ?? null;
  return h(
    'section',
    { class: 'slice', 'data-slice': i, 'data-arch': s.arch },
    h(
      'h3',
      null,
      `${total > 1 ? `Slice ${i}: ` : ''}${s.arch} · ${filetypeName(s.header.filetype)} · ${bytes(s.size)} at ${hex(s.offset)}`,
    ),
    h('div', { class: 'grid2' }, h('div', null, headerPanel(s), dylibTable(s)), signaturePanel(sv, s, verifyAvailable)),
    slicePageMap(`map-f${fi}-s${i}`, s, sv),
    loadCommandTable(s),
  );
}

function errorBox(e: ErrorInfo, title: string): HTMLElement {
  return h(
    'div',
    { class: 'error', role: 'note', 'data-error-code': e.code },
    h('h2', null, title),
    kv([
      ['What', e.message],
      ['Code', h('code', null, e.code)],
      ['Where', e.offset !== undefined && e.offset >= 0 ? `file offset ${offset(e.offset)}` : null],
      ['Structure', e.context ? h('code', null, e.context) : null],
    ]),
  );
}

function fileSection(r: Report, f: FileReport, fi: number): HTMLElement {
  const m = f.parse as MachOFile | null;
  const label = r.files.length > 1 ? `${fi === 0 ? 'A' : 'B'}: ` : '';
  return h(
    'section',
    { class: 'panel file', 'data-file': fi, 'aria-label': `${label}${f.name}` },
    h('h2', null, `${label}${f.name}`),
    h(
      'p',
      { class: 'meta' },
      `${bytes(f.size)} (${f.size} bytes)`,
      f.sha256 ? ` · SHA-256 ${f.sha256}` : '',
      m
        ? ` · ${m.fat ? `universal binary, ${m.fat.length} slices: ${m.fat.map((a) => a.arch).join(', ')}` : 'thin Mach-O'}`
        : '',
    ),
    f.bundle
      ? h(
          'p',
          { class: 'meta' },
          `App bundle ${f.bundle.name}: executable ${f.bundle.executable}; Info.plist ${f.bundle.infoPlist ? 'found' : 'missing'}, CodeResources ${f.bundle.codeResources ? 'found' : 'missing'}${f.bundle.passedToVerify ? ' (both checked by verify)' : ''}.`,
        )
      : null,
    f.bundle?.infoPlistProblem
      ? h('p', { class: 'meta bundle-problem', 'data-problem': 'info-plist' }, f.bundle.infoPlistProblem)
      : null,
    m?.fat
      ? table(
          `Universal binary: ${m.fat.length} fat_arch entries`,
          ['Arch', 'CPU', 'Subtype', 'File offset', 'Size', 'Align'],
          m.fat.map((a) => [
            a.arch,
            cpuTypeName(a.cputype),
            hex(a.cpusubtype),
            h('span', { class: 'offset' }, offset(a.offset)),
            `${bytes(a.size)} (${a.size})`,
            `2^${a.align}`,
          ]),
          { numeric: [4] },
        )
      : null,
    f.error ? errorBox(f.error, m ? 'Not a valid Mach-O: shown as far as it parsed' : 'Not a valid Mach-O file') : null,
    f.verifyError ? errorBox(f.verifyError, 'The signature could not be verified') : null,
    (m?.slices ?? []).map((s, i) => sliceSection(f, fi, s, i, m!.slices.length, r.sdk.verify)),
  );
}

// ---------------------------------------------------------------------------------------------- diff

const VERDICT_TEXT: Record<string, [string, string]> = {
  suspicious: ['bad', 'The change has the shape of a dylib insertion (T1546.006).'],
  changed: ['warn', 'The files differ; nothing has the shape of an insertion.'],
  identical: ['ok', 'The two files are byte for byte identical.'],
};

function sigValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.join('; ') : '—';
  if (typeof v === 'object') return Object.keys(v as object).length ? Object.keys(v as object).join(', ') : '—';
  return String(v);
}

function sliceDiffSection(d: SliceDiff, i: number, r: Report): HTMLElement {
  const before = d.signature.before as unknown as Record<string, unknown>;
  const after = d.signature.after as unknown as Record<string, unknown>;
  const fields: [string, string][] = [
    ['present', 'Signed'],
    ['valid', 'Valid'],
    ['class', 'Class'],
    ['identifier', 'Identifier'],
    ['teamId', 'Team ID'],
    ['cdhash', 'CDHash'],
    ['hardenedRuntime', 'Hardened runtime'],
    ['flags', 'CodeDirectory flags'],
    ['pageSize', 'Page size'],
    ['entitlements', 'Entitlements'],
    ['reasons', 'Why invalid'],
  ];
  const val = (k: string, v: unknown) => (k === 'flags' && typeof v === 'number' ? hex(v) : sigValue(v));
  const sigRows = fields.map(([k, name]) => [name, val(k, before[k]), val(k, after[k])]);
  const changedSig = (idx: number) => (sigRows[idx][1] !== sigRows[idx][2] ? 'risk-medium' : null);
  const dyl = [
    ...d.dylibsAdded.map((x) => ({
      cls: 'added',
      row: [
        'added',
        x.index,
        x.kind,
        h('code', null, x.path),
        h(
          'span',
          null,
          x.afterCodeSignature ? h('span', { class: 'badge bad' }, 'after LC_CODE_SIGNATURE') : null,
          x.risk.reasons.length ? h('span', { class: 'badge bad' }, x.risk.description) : null,
        ),
      ],
    })),
    ...d.dylibsRemoved.map((x) => ({ cls: 'removed', row: ['removed', x.index, x.kind, h('code', null, x.path), ''] })),
    ...d.rpathsAdded.map((p) => ({ cls: 'added', row: ['rpath added', '', 'rpath', h('code', null, p), ''] })),
    ...d.rpathsRemoved.map((p) => ({ cls: 'removed', row: ['rpath removed', '', 'rpath', h('code', null, p), ''] })),
  ];
  // The changed pages, drawn on the second file's slice (its own signature's mismatches too, when verified).
  const fb = r.files[1];
  const mb = fb?.parse as MachOFile | null;
  const sb = mb?.slices.find((s) => s.arch === d.arch) ?? null;
  const vb = (fb?.verify as VerifyReport | null)?.slices.find((x) => x.arch === d.arch) ?? null;
  const cdb = vb ? bestCd(vb.signature) : null;
  let map: HTMLElement | null = null;
  if (sb) {
    const pageSize = d.pageSize || 4096;
    const n = Math.max(1, Math.ceil(sb.size / pageSize));
    const cells = new Uint8Array(n).fill(Cell.Same);
    if (cdb && cdb.pageSize === pageSize)
      for (const p of cdb.mismatchedPages) if (p.page < n) cells[p.page] = Cell.Mismatch;
    for (const p of d.changedPages)
      if (p.index < n) cells[p.index] = cells[p.index] === Cell.Mismatch ? Cell.ChangedMismatch : Cell.Changed;
    map = pageMap({
      id: `diffmap-${i}`,
      title: 'Pages of B',
      cells,
      pageSize,
      base: sb.offset,
      describe: describer(sb, pageSize),
      legend: [Cell.Same, Cell.Changed, Cell.ChangedMismatch, Cell.Mismatch],
      summary: `${d.changedPageCount} of ${n} pages changed${d.headerOnly ? ', only the header/load commands and the signature' : ''}`,
      width: 500,
    });
  }
  const lc = d.loadCommands;
  const untouched =
    d.changedPageCount === 0 &&
    lc.added.length + lc.removed.length + lc.changed.length + lc.moved.length === 0 &&
    d.header.length === 0;
  if (untouched)
    return h(
      'section',
      { class: 'slice-diff', 'data-arch': d.arch, 'data-unchanged': '' },
      h('h3', null, `${d.arch}: unchanged`),
      h('p', null, 'Every byte of this slice is the same in both files.'),
    );
  return h(
    'section',
    { class: 'slice-diff', 'data-arch': d.arch },
    h('h3', null, `${d.arch}`),
    h('h4', null, 'Dependent libraries and rpaths'),
    dyl.length
      ? table(
          null,
          ['Change', 'LC #', 'Kind', 'Path', 'Why it matters'],
          dyl.map((x) => x.row),
          { rowClass: (k) => dyl[k].cls, numeric: [1], id: `dylib-changes-${i}` },
        )
      : h('p', null, 'No dylib or rpath added or removed.'),
    h(
      'p',
      null,
      `Load commands: ${lc.added.length} added (${lc.added.map((c) => `${c.name} [${c.index}]`).join(', ') || 'none'}), ${lc.removed.length} removed, ${lc.changed.length} changed, ${lc.moved.length} moved.`,
      d.header.length
        ? ` Header: ${d.header.map((c) => `${c.field} ${sigValue(c.before)} → ${sigValue(c.after)}`).join(', ')}.`
        : '',
    ),
    h(
      'div',
      { class: 'grid2 diff-grid' },
      h(
        'div',
        null,
        h('h4', null, 'Signature before and after'),
        table(null, ['', 'A (before)', 'B (after)'], sigRows, { rowClass: changedSig, id: `sig-diff-${i}` }),
      ),
      h('div', null, h('h4', null, 'Changed pages'), map ?? h('p', null, 'No page map: the slice did not parse.')),
    ),
  );
}

function diffPanel(r: Report): HTMLElement | null {
  if (r.files.length !== 2) return null;
  const d = r.diff as DiffResult | null;
  if (!d)
    return h(
      'section',
      { class: 'panel', id: 'diff' },
      h('h2', null, 'Comparison'),
      h('p', null, r.diffError?.message ?? 'No comparison.'),
    );
  const [cls, text] = VERDICT_TEXT[d.verdict] ?? ['info', ''];
  return h(
    'section',
    { class: 'panel', id: 'diff', 'aria-labelledby': 'diff-title' },
    h('h2', { id: 'diff-title' }, `Comparison: A = ${r.files[0].name}, B = ${r.files[1].name}`),
    h(
      'div',
      { class: `verdict ${cls}`, id: 'verdict', 'data-verdict': d.verdict },
      h('strong', null, d.verdict),
      h('span', null, text),
    ),
    d.slicesAdded.length || d.slicesRemoved.length
      ? h(
          'p',
          null,
          `Slices added: ${d.slicesAdded.join(', ') || 'none'}; removed: ${d.slicesRemoved.join(', ') || 'none'}.`,
        )
      : null,
    d.slices.map((s, i) => sliceDiffSection(s, i, r)),
  );
}

// ---------------------------------------------------------------------------------------------- page

export function renderReport(r: Report): Node[] {
  const files = r.files.map((f, i) => fileSection(r, f, i));
  return [
    findingsPanel(r),
    ...(r.files.length === 2
      ? [diffPanel(r)!, h('details', { class: 'files' }, h('summary', null, 'Both files in full'), files)]
      : files),
  ];
}
