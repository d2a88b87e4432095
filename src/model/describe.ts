// One line per load command, as a person reads it (used by `machlens inspect` and the inspector page).
import { formatVersion, PLATFORM_NAMES, TOOL_NAMES } from './constants';
import type { LoadCommand } from './types';

const hex64 = (n: number) => `0x${Math.trunc(n).toString(16).padStart(16, '0')}`;

export function describeLoadCommand(lc: LoadCommand): string {
  switch (lc.kind) {
    case 'segment':
      return `${lc.segname.padEnd(16)} fileoff ${lc.fileoff} filesize ${lc.filesize} vmaddr ${hex64(lc.vmaddr)} ${lc.nsects} sections`;
    case 'dylib':
      return `${lc.path} (${lc.dylibKind}, current ${formatVersion(lc.currentVersion)}, compat ${formatVersion(lc.compatibilityVersion)}${lc.useFlags ? `, dylib_use flags ${lc.useFlags.join(',') || 'none'}` : ''})`;
    case 'target_triple':
      return lc.triple;
    case 'path':
      return lc.path;
    case 'sub':
      return `${lc.field} ${lc.value}`;
    case 'uuid':
      return lc.uuid;
    case 'linkedit':
      return `dataoff ${lc.dataoff} datasize ${lc.datasize}`;
    case 'build_version':
      return `${PLATFORM_NAMES[lc.platform] ?? lc.platform} minos ${formatVersion(lc.minos)} sdk ${formatVersion(lc.sdk)}${lc.tools.map((t) => ` ${TOOL_NAMES[t.tool] ?? t.tool} ${formatVersion(t.version)}`).join('')}`;
    case 'version_min':
      return `version ${formatVersion(lc.version)} sdk ${formatVersion(lc.sdk)}`;
    case 'source_version':
      return lc.version;
    case 'main':
      return `entryoff ${lc.entryoff} stacksize ${lc.stacksize}`;
    case 'symtab':
      return `${lc.nsyms} symbols at ${lc.symoff}, strings ${lc.strsize} bytes at ${lc.stroff}`;
    case 'dysymtab':
      return `${lc.nlocalsym} local, ${lc.nextdefsym} extdef, ${lc.nundefsym} undef, ${lc.nindirectsyms} indirect`;
    case 'dyld_info':
      return `rebase ${lc.rebaseSize} bind ${lc.bindSize} lazy ${lc.lazyBindSize} export ${lc.exportSize}`;
    case 'encryption_info':
      return `cryptoff ${lc.cryptoff} cryptsize ${lc.cryptsize} cryptid ${lc.cryptid}`;
    case 'linker_option':
      return lc.strings.join(' ');
    case 'note':
      return `${lc.dataOwner} offset ${lc.noteOffset} size ${lc.size}`;
    case 'fileset_entry':
      return `${lc.entryId} vmaddr ${hex64(lc.vmaddr)} fileoff ${lc.fileoff}`;
    case 'thread':
      return `flavor ${lc.flavor} count ${lc.count}`;
    case 'raw':
      return `(kept raw, ${lc.cmdsize} bytes)`;
  }
}
