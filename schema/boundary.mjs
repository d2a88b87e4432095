// The Wasm boundary, written once: issue codes, command numbers and magics, the f64 record layouts the core emits,
// and the core's exports. Plain data. `node scripts/gen-boundary.mjs` (run by `npm run build:wasm`) writes from it
//   assembly/generated/boundary.ts   AssemblyScript constants: codes, commands, record slot indices
//   src/generated/issues.ts          ISSUE_CODES / ISSUE_MESSAGES (imported by src/errors.ts)
//   src/generated/commands.ts        LC_* numbers, LOAD_COMMAND_NAMES, magics (re-exported by src/model/constants.ts)
//   src/generated/boundary.ts        TypeScript slot indices and the typed `CoreExports` interface
// `npm run check:generated` (part of `npm test`) fails when a committed generated file differs from what this file
// gives. How to change a record: docs/boundary.md.

/**
 * Issue codes the core writes into its issue table (`code` slot). `note` is the AssemblyScript comment, `message`
 * the text every Issue carries (src/model/errors.ts).
 */
export const issueCodes = [
  {
    code: 1,
    name: 'TRUNCATED',
    note: 'a structure runs past the end of the input',
    message: 'structure runs past the end of the data',
  },
  { code: 2, name: 'BAD_MAGIC', note: 'not a Mach-O / fat magic', message: 'not a Mach-O or fat file (unknown magic)' },
  {
    code: 3,
    name: 'BAD_CMDSIZE',
    note: "cmdsize 0, < 8, or too small for its command's struct",
    message: 'cmdsize is zero, below 8, or too small for the command',
  },
  {
    code: 4,
    name: 'CMDSIZE_MISALIGNED',
    note: 'cmdsize not a multiple of 4 (32-bit) or 8 (64-bit)',
    message: 'cmdsize is not a multiple of the pointer size',
  },
  {
    code: 5,
    name: 'CMD_PAST_END',
    note: 'a command runs past sizeofcmds',
    message: 'load command runs past sizeofcmds',
  },
  {
    code: 6,
    name: 'NCMDS_MISMATCH',
    note: 'ncmds says more commands than sizeofcmds holds',
    message: 'ncmds says more commands than sizeofcmds holds',
  },
  {
    code: 7,
    name: 'BAD_STRING',
    note: 'lc_str offset outside its command, or no NUL inside it',
    message: 'string offset outside its command, or no NUL terminator inside it',
  },
  {
    code: 8,
    name: 'FAT_OVERLAP',
    note: 'two fat slices (or a slice and the fat header) overlap',
    message: 'fat slice overlaps another slice or the fat header',
  },
  {
    code: 9,
    name: 'FAT_OUT_OF_RANGE',
    note: 'a fat slice lies (partly) outside the file',
    message: 'fat slice lies outside the file',
  },
  {
    code: 10,
    name: 'FAT_ALIGN',
    note: 'a fat slice offset is not aligned to 2^align',
    message: 'fat slice offset is not aligned to 2^align (or align is absurd)',
  },
  {
    code: 11,
    name: 'LIMIT',
    note: 'a configured resource limit was exceeded',
    message: 'a configured resource limit was exceeded',
  },
  {
    code: 12,
    name: 'BAD_SECTIONS',
    note: 'nsects does not fit inside cmdsize',
    message: 'nsects does not fit inside cmdsize',
  },
  {
    code: 13,
    name: 'SEGMENT_RANGE',
    note: 'a segment or linkedit range lies outside the slice',
    message: 'file range lies outside the slice',
  },
  {
    code: 14,
    name: 'SIZEOFCMDS_MISMATCH',
    note: 'commands end before sizeofcmds',
    message: 'load commands end before sizeofcmds',
  },
  {
    code: 15,
    name: 'BAD_COUNT',
    note: 'an array count inside a command does not fit the command',
    message: 'an array count inside the command does not fit the command',
  },
  { code: 16, name: 'FAT_EMPTY', note: 'fat header with nfat_arch 0', message: 'fat header with no slices' },
  {
    code: 17,
    name: 'PRECISION',
    note: 'a 64-bit field above 2^53: its JavaScript number is approximate',
    message: 'a 64-bit value above 2^53: its JavaScript number is approximate',
  },
  // code signature (SuperBlob / CodeDirectory)
  {
    code: 20,
    name: 'SIG_TRUNCATED',
    note: 'blob header or blob runs past the signature data',
    message: 'signature blob runs past the signature data',
  },
  {
    code: 21,
    name: 'SIG_BAD_MAGIC',
    note: 'wrong magic for a SuperBlob or a blob it indexes',
    message: 'wrong magic for a signature blob',
  },
  {
    code: 22,
    name: 'SIG_BAD_INDEX',
    note: 'index entry outside the SuperBlob, or count vs length inconsistent',
    message: 'SuperBlob index entry outside the blob, or count inconsistent with length',
  },
  { code: 23, name: 'SIG_OVERLAP', note: 'two indexed blobs overlap', message: 'two signature blobs overlap' },
  {
    code: 24,
    name: 'CD_BAD_FIELD',
    note: 'a CodeDirectory field is inconsistent with its blob',
    message: 'CodeDirectory field inconsistent with its blob',
  },
  {
    code: 25,
    name: 'CD_BAD_HASH_TYPE',
    note: 'unknown hash type or hash size mismatch',
    message: 'unknown CodeDirectory hash type or wrong hash size',
  },
  {
    code: 26,
    name: 'CD_BAD_VERSION',
    note: 'version outside the known range',
    message: 'CodeDirectory version outside the known range',
  },
  // raised by the TypeScript side only (src/verify/signature.ts), numbered here so the one table names it
  {
    code: 27,
    name: 'SIG_RANGE',
    note: 'LC_CODE_SIGNATURE range lies outside the slice',
    message: 'LC_CODE_SIGNATURE range lies outside the slice',
  },
];

/** Codes only the host raises (no number crosses the boundary for them). */
export const hostIssueCodes = [
  { name: 'IO', message: 'the input could not be read' },
  { name: 'INTERNAL', message: 'internal error' },
];

/** The issue table's severity slot. */
export const severities = { SEVERITY_WARNING: 1, SEVERITY_ERROR: 2 };

/** LC_REQ_DYLD: the bit a command carries when dyld must understand it. */
export const LC_REQ_DYLD = 0x80000000;

/**
 * Every load command of mach-o/loader.h, as [name, number, requiresDyld]. The number with requiresDyld is
 * `number | LC_REQ_DYLD`.
 */
export const commands = [
  ['LC_SEGMENT', 0x1],
  ['LC_SYMTAB', 0x2],
  ['LC_SYMSEG', 0x3],
  ['LC_THREAD', 0x4],
  ['LC_UNIXTHREAD', 0x5],
  ['LC_LOADFVMLIB', 0x6],
  ['LC_IDFVMLIB', 0x7],
  ['LC_IDENT', 0x8],
  ['LC_FVMFILE', 0x9],
  ['LC_PREPAGE', 0xa],
  ['LC_DYSYMTAB', 0xb],
  ['LC_LOAD_DYLIB', 0xc],
  ['LC_ID_DYLIB', 0xd],
  ['LC_LOAD_DYLINKER', 0xe],
  ['LC_ID_DYLINKER', 0xf],
  ['LC_PREBOUND_DYLIB', 0x10],
  ['LC_ROUTINES', 0x11],
  ['LC_SUB_FRAMEWORK', 0x12],
  ['LC_SUB_UMBRELLA', 0x13],
  ['LC_SUB_CLIENT', 0x14],
  ['LC_SUB_LIBRARY', 0x15],
  ['LC_TWOLEVEL_HINTS', 0x16],
  ['LC_PREBIND_CKSUM', 0x17],
  ['LC_LOAD_WEAK_DYLIB', 0x18, true],
  ['LC_SEGMENT_64', 0x19],
  ['LC_ROUTINES_64', 0x1a],
  ['LC_UUID', 0x1b],
  ['LC_RPATH', 0x1c, true],
  ['LC_CODE_SIGNATURE', 0x1d],
  ['LC_SEGMENT_SPLIT_INFO', 0x1e],
  ['LC_REEXPORT_DYLIB', 0x1f, true],
  ['LC_LAZY_LOAD_DYLIB', 0x20],
  ['LC_ENCRYPTION_INFO', 0x21],
  ['LC_DYLD_INFO', 0x22],
  ['LC_DYLD_INFO_ONLY', 0x22, true],
  ['LC_LOAD_UPWARD_DYLIB', 0x23, true],
  ['LC_VERSION_MIN_MACOSX', 0x24],
  ['LC_VERSION_MIN_IPHONEOS', 0x25],
  ['LC_FUNCTION_STARTS', 0x26],
  ['LC_DYLD_ENVIRONMENT', 0x27],
  ['LC_MAIN', 0x28, true],
  ['LC_DATA_IN_CODE', 0x29],
  ['LC_SOURCE_VERSION', 0x2a],
  ['LC_DYLIB_CODE_SIGN_DRS', 0x2b],
  ['LC_ENCRYPTION_INFO_64', 0x2c],
  ['LC_LINKER_OPTION', 0x2d],
  ['LC_LINKER_OPTIMIZATION_HINT', 0x2e],
  ['LC_VERSION_MIN_TVOS', 0x2f],
  ['LC_VERSION_MIN_WATCHOS', 0x30],
  ['LC_NOTE', 0x31],
  ['LC_BUILD_VERSION', 0x32],
  ['LC_DYLD_EXPORTS_TRIE', 0x33, true],
  ['LC_DYLD_CHAINED_FIXUPS', 0x34, true],
  ['LC_FILESET_ENTRY', 0x35, true],
  ['LC_ATOM_INFO', 0x36],
  ['LC_FUNCTION_VARIANTS', 0x37],
  ['LC_FUNCTION_VARIANT_FIXUPS', 0x38],
  ['LC_TARGET_TRIPLE', 0x39],
  ['LC_LAZY_LOAD_DYLIB_INFO', 0x3a],
];

/** Magic numbers both sides test (mach-o/loader.h, mach-o/fat.h; the dylib_use_command marker of macOS 15). */
export const magics = {
  MH_MAGIC: 0xfeedface,
  MH_CIGAM: 0xcefaedfe,
  MH_MAGIC_64: 0xfeedfacf,
  MH_CIGAM_64: 0xcffaedfe,
  FAT_MAGIC: 0xcafebabe,
  FAT_MAGIC_64: 0xcafebabf,
  /** dylib_use_command: the word at offset 12 (dylib_command's timestamp) of LC_LOAD_DYLIB / LC_LOAD_WEAK_DYLIB. */
  DYLIB_USE_MARKER: 0x1a741800,
};

/**
 * The f64 records. Each record has a `prefix` (its constants are PREFIX_FIELD) and `fields` in emit order. A field
 * `{ str: 'name' }` is a string reference: two slots, NAME (offset in the input) and NAME_LEN (byte length).
 * `followedBy` says what follows the fixed slots. The generator writes PREFIX_FIELD = slot index and PREFIX_SLOTS.
 */
export const records = [
  {
    name: 'issue',
    prefix: 'ISSUE',
    doc: 'One entry of the issue table (issuesPtr, issuesLength entries).',
    fields: ['code', 'offset', 'index', 'severity'],
  },
  {
    name: 'fatHeader',
    prefix: 'FATHDR',
    doc: 'parseFat output. kind: 0 thin, 1 fat, 2 fat 64, -1 neither.',
    fields: ['kind', 'nfat'],
    followedBy: 'nfat fatArch records',
  },
  {
    name: 'fatArch',
    prefix: 'FATARCH',
    doc: 'One fat_arch / fat_arch_64.',
    fields: ['cputype', 'cpusubtype', 'offset', 'size', 'align'],
  },
  {
    name: 'header',
    prefix: 'HDR',
    doc: 'parseHeader output: the mach_header (is64, bigEndian: 1 or 0).',
    fields: [
      'magic',
      'cputype',
      'cpusubtype',
      'filetype',
      'ncmds',
      'sizeofcmds',
      'flags',
      'reserved',
      'headerSize',
      'is64',
      'bigEndian',
    ],
  },
  {
    name: 'command',
    prefix: 'REC',
    doc: 'parseCommands output, one per load command: then nvalues values of its kind (none: kept raw).',
    fields: ['cmd', 'cmdsize', 'offset', 'index', 'nvalues'],
    followedBy: 'nvalues values laid out by the command kind',
  },
  // the values of each command kind (offsets are slice-relative)
  {
    name: 'segment',
    prefix: 'SEG',
    doc: 'LC_SEGMENT, LC_SEGMENT_64.',
    fields: [
      { str: 'segname' },
      'vmaddr',
      'vmsize',
      'fileoff',
      'filesize',
      'maxprot',
      'initprot',
      'nsects',
      'flags',
      'nsectsDecoded',
    ],
    followedBy: 'nsectsDecoded section records',
  },
  {
    name: 'section',
    prefix: 'SECT',
    doc: 'One section / section_64 (reserved3 is 0 for 32-bit).',
    fields: [
      { str: 'sectname' },
      { str: 'segname' },
      'addr',
      'size',
      'offset',
      'align',
      'reloff',
      'nreloc',
      'flags',
      'reserved1',
      'reserved2',
      'reserved3',
    ],
  },
  {
    name: 'dylib',
    prefix: 'DYLIB',
    doc: 'LC_LOAD_DYLIB and the other dylib_command / dylib_use_command kinds. useFlags: -1 for a classic dylib_command.',
    fields: [{ str: 'path' }, 'timestamp', 'currentVersion', 'compatibilityVersion', 'useFlags'],
  },
  {
    name: 'string',
    prefix: 'STR',
    doc: 'One lc_str: LC_LOAD_DYLINKER, LC_ID_DYLINKER, LC_DYLD_ENVIRONMENT, LC_SUB_*, LC_RPATH, LC_TARGET_TRIPLE.',
    fields: [{ str: 'value' }],
  },
  { name: 'uuid', prefix: 'UUID', doc: 'LC_UUID: where its 16 bytes are.', fields: ['offset', 'length'] },
  {
    name: 'linkedit',
    prefix: 'LINKEDIT',
    doc: 'linkedit_data_command (LC_CODE_SIGNATURE, LC_FUNCTION_STARTS, …).',
    fields: ['dataoff', 'datasize'],
  },
  {
    name: 'dyldInfo',
    prefix: 'DYLDINFO',
    doc: 'LC_DYLD_INFO(_ONLY): the ten words in loader.h order (the walk writes them in a loop).',
    fields: [
      'rebaseOff',
      'rebaseSize',
      'bindOff',
      'bindSize',
      'weakBindOff',
      'weakBindSize',
      'lazyBindOff',
      'lazyBindSize',
      'exportOff',
      'exportSize',
    ],
  },
  { name: 'symtab', prefix: 'SYMTAB', doc: 'LC_SYMTAB.', fields: ['symoff', 'nsyms', 'stroff', 'strsize'] },
  {
    name: 'dysymtab',
    prefix: 'DYSYMTAB',
    doc: 'LC_DYSYMTAB: the eighteen words in loader.h order (the walk writes them in a loop).',
    fields: [
      'ilocalsym',
      'nlocalsym',
      'iextdefsym',
      'nextdefsym',
      'iundefsym',
      'nundefsym',
      'tocoff',
      'ntoc',
      'modtaboff',
      'nmodtab',
      'extrefsymoff',
      'nextrefsyms',
      'indirectsymoff',
      'nindirectsyms',
      'extreloff',
      'nextrel',
      'locreloff',
      'nlocrel',
    ],
  },
  {
    name: 'encryptionInfo',
    prefix: 'ENCRYPT',
    doc: 'LC_ENCRYPTION_INFO(_64).',
    fields: ['cryptoff', 'cryptsize', 'cryptid'],
  },
  { name: 'versionMin', prefix: 'VERMIN', doc: 'LC_VERSION_MIN_*.', fields: ['version', 'sdk'] },
  {
    name: 'sourceVersion',
    prefix: 'SRCVER',
    doc: 'LC_SOURCE_VERSION: the packed 64-bit version as two exact 32-bit halves.',
    fields: ['high', 'low'],
  },
  { name: 'main', prefix: 'MAIN', doc: 'LC_MAIN.', fields: ['entryoff', 'stacksize'] },
  {
    name: 'buildVersion',
    prefix: 'BUILD',
    doc: 'LC_BUILD_VERSION: ntools as read, ntoolsDecoded as fit in cmdsize.',
    fields: ['platform', 'minos', 'sdk', 'ntools', 'ntoolsDecoded'],
    followedBy: 'ntoolsDecoded tool records',
  },
  { name: 'tool', prefix: 'TOOL', doc: 'One build_tool_version.', fields: ['tool', 'version'] },
  {
    name: 'linkerOption',
    prefix: 'LINKOPT',
    doc: 'LC_LINKER_OPTION: count as read, listed strings that follow.',
    fields: ['count', 'listed'],
    followedBy: 'listed linkerString records',
  },
  { name: 'linkerString', prefix: 'LINKSTR', doc: 'One LC_LINKER_OPTION string.', fields: [{ str: 'value' }] },
  { name: 'note', prefix: 'NOTE', doc: 'LC_NOTE.', fields: [{ str: 'dataOwner' }, 'offset', 'size'] },
  {
    name: 'filesetEntry',
    prefix: 'FILESET',
    doc: 'LC_FILESET_ENTRY.',
    fields: ['vmaddr', 'fileoff', { str: 'entryId' }, 'reserved'],
  },
  {
    name: 'thread',
    prefix: 'THREAD',
    doc: 'LC_THREAD, LC_UNIXTHREAD: the first flavor/count pair (the command is kept raw too).',
    fields: ['flavor', 'count'],
  },
  // parseSignature output (offsets relative to the start of the signature data)
  {
    name: 'superBlob',
    prefix: 'SUPER',
    doc: 'parseSignature output: the SuperBlob header; nEntries: index entries emitted.',
    fields: ['magic', 'length', 'count', 'nEntries'],
    followedBy: 'nEntries blobEntry records',
  },
  {
    name: 'blobEntry',
    prefix: 'ENTRY',
    doc: 'One SuperBlob index entry. ok: 1 when inside the SuperBlob with the magic its slot requires; kind: BLOB_KIND_*.',
    fields: ['slotType', 'offset', 'magic', 'length', 'ok', 'kind', 'nExtra'],
    followedBy: 'nExtra values: a codeDirectory record (CD_SLOTS) or none',
  },
  {
    name: 'codeDirectory',
    prefix: 'CD',
    doc: 'A CodeDirectory that could be read. Fields absent from its version or beyond its length are -1, never 0.',
    fields: [
      'version',
      'flags',
      'hashOffset',
      'identOffset',
      'nSpecial',
      'nSpecialUsable',
      'nCode',
      'nCodeUsable',
      'codeLimit32',
      'hashSize',
      'hashType',
      'platform',
      'pageSize',
      'spare2',
      'scatterOffset',
      'teamOffset',
      'spare3',
      'codeLimit64',
      'execSegBase',
      'execSegLimit',
      'execSegFlags',
      'runtime',
      'preEncrypt',
      'lHashType',
      'lAppType',
      'lAppSub',
      'lOffset',
      'lSize',
      'identLen',
      'teamLen',
      'headerRead',
      'headerDeclared',
      'codeLimit',
    ],
  },
];

/** blobEntry.kind values, in number order (BLOB_KIND_<NAME> = index; the TS side also gets BLOB_KIND_NAMES). */
export const blobKinds = [
  'unknown',
  'code-directory',
  'requirements',
  'entitlements',
  'der-entitlements',
  'launch-constraint',
  'cms',
  'ticket',
];

/**
 * The core's exports (assembly/index.ts), every one of which the host uses. Types are AssemblyScript's; all are
 * numbers in JavaScript (bool: 0 or 1). A test checks the built module exports exactly these, with these arities.
 */
export const wasmExports = [
  { name: 'memory', kind: 'memory' },
  { name: 'HAS_SIMD', kind: 'global', doc: '1 in the SIMD build, 0 in the scalar one' },
  // arena (assembly/arena.ts)
  {
    name: 'reserveInput',
    params: [['size', 'u32']],
    result: 'usize',
    doc: 'resets the arena; returns the input region to fill',
  },
  { name: 'outputPtr', params: [], result: 'usize' },
  { name: 'outputLength', params: [], result: 'usize', doc: 'in f64 slots' },
  { name: 'issuesPtr', params: [], result: 'usize' },
  { name: 'issuesLength', params: [], result: 'i32' },
  { name: 'issuesDroppedCount', params: [], result: 'i32' },
  // Mach-O (assembly/macho/)
  {
    name: 'parseFat',
    params: [
      ['inLen', 'u32'],
      ['fileSize', 'f64'],
      ['maxSlices', 'u32'],
    ],
    result: 'i32',
    doc: 'fatHeader + fatArch records; returns kind',
  },
  {
    name: 'parseHeader',
    params: [['inLen', 'u32']],
    result: 'f64',
    doc: 'a header record; returns headerSize + sizeofcmds, 0 on a bad header',
  },
  {
    name: 'parseCommands',
    params: [
      ['inLen', 'u32'],
      ['sliceSize', 'f64'],
      ['maxCommands', 'u32'],
    ],
    result: 'i32',
    doc: 'command records; returns their count',
  },
  // code signature (assembly/codesign/)
  {
    name: 'parseSignature',
    params: [
      ['inLen', 'u32'],
      ['sliceSize', 'f64'],
    ],
    result: 'i32',
    doc: 'superBlob + blobEntry records; entries, or -1 when not a SuperBlob',
  },
  // hashing (assembly/crypto/index.ts)
  { name: 'hashChunkPtr', params: [], result: 'usize' },
  { name: 'hashChunkSize', params: [], result: 'u32' },
  { name: 'hashMaxPages', params: [], result: 'u32', doc: 'most pages one hashPages call may produce' },
  { name: 'hashDigestsPtr', params: [], result: 'usize' },
  { name: 'hashCtxPtr', params: [], result: 'usize' },
  { name: 'hashCtxSize', params: [], result: 'u32' },
  {
    name: 'hashPages',
    params: [
      ['len', 'u32'],
      ['pageSize', 'u32'],
      ['type', 'u32'],
    ],
    result: 'i32',
    doc: 'page count, or -1 on bad arguments',
  },
  {
    name: 'digestAt',
    params: [
      ['type', 'u32'],
      ['ptr', 'usize'],
      ['len', 'usize'],
    ],
    result: 'usize',
    doc: 'digest pointer, or 0 on an unknown type',
  },
  { name: 'digestInit', params: [['type', 'u32']], result: 'bool' },
  { name: 'digestUpdate', params: [['len', 'u32']], result: 'void' },
  { name: 'digestFinal', params: [], result: 'usize' },
];
