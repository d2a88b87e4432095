// Apple's names for CodeDirectory flags, exec-segment flags, hash types, special slots and SuperBlob slots
// (cs_blobs.h; flag names as `codesign -dv` prints them where it has one).

export const CS_HOST = 0x1;
export const CS_ADHOC = 0x2;
export const CS_GET_TASK_ALLOW = 0x4;
export const CS_INSTALLER = 0x8;
export const CS_FORCED_LV = 0x10;
export const CS_INVALID_ALLOWED = 0x20;
export const CS_HARD = 0x100;
export const CS_KILL = 0x200;
export const CS_CHECK_EXPIRATION = 0x400;
export const CS_RESTRICT = 0x800;
export const CS_ENFORCEMENT = 0x1000;
export const CS_REQUIRE_LV = 0x2000;
export const CS_ENTITLEMENTS_VALIDATED = 0x4000;
export const CS_NVRAM_UNRESTRICTED = 0x8000;
export const CS_RUNTIME = 0x10000;
export const CS_LINKER_SIGNED = 0x20000;
// Process code-signing status bits (csops, as Endpoint Security and the EDRs report them): the same cs_blobs.h
// namespace as the CodeDirectory flags above, where CS_VALID shares bit 0 with CS_HOST.
export const CS_VALID = 0x1;
export const CS_PLATFORM_BINARY = 0x4000000;
export const CS_SIGNED = 0x20000000;

const CD_FLAG_NAMES: [number, string][] = [
  [CS_HOST, 'host'],
  [CS_ADHOC, 'adhoc'],
  [CS_GET_TASK_ALLOW, 'get-task-allow'],
  [CS_INSTALLER, 'installer'],
  [CS_FORCED_LV, 'forced-lv'],
  [CS_INVALID_ALLOWED, 'invalid-allowed'],
  [CS_HARD, 'hard'],
  [CS_KILL, 'kill'],
  [CS_CHECK_EXPIRATION, 'expires'],
  [CS_RESTRICT, 'restrict'],
  [CS_ENFORCEMENT, 'enforcement'],
  [CS_REQUIRE_LV, 'library-validation'],
  [CS_ENTITLEMENTS_VALIDATED, 'entitlements-validated'],
  [CS_NVRAM_UNRESTRICTED, 'nvram-unrestricted'],
  [CS_RUNTIME, 'runtime'],
  [CS_LINKER_SIGNED, 'linker-signed'],
];

function names(flags: number, table: [number, string][]): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of table)
    if (rest & bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out;
}

export function cdFlagNames(flags: number): string[] {
  return names(flags, CD_FLAG_NAMES);
}

const EXECSEG_NAMES: [number, string][] = [
  [0x1, 'main-binary'],
  [0x10, 'allow-unsigned'],
  [0x20, 'debugger'],
  [0x40, 'jit'],
  [0x80, 'skip-lv'],
  [0x100, 'can-load-cdhash'],
  [0x200, 'can-exec-cdhash'],
];
export function execSegFlagNames(flags: number): string[] {
  return flags > 0xffffffff ? [`0x${flags.toString(16)}`] : names(flags, EXECSEG_NAMES);
}

export const HASH_TYPE_NAMES: Record<number, string> = { 1: 'sha1', 2: 'sha256', 3: 'sha256-truncated', 4: 'sha384' };
/** Kernel ranking (xnu cs_find_blob / hashPriorities): higher is preferred. */
export const HASH_RANK: Record<number, number> = { 1: 1, 3: 2, 2: 3, 4: 4 };

export const SPECIAL_SLOT_NAMES: Record<number, string> = {
  1: 'Info.plist',
  2: 'requirements',
  3: 'CodeResources',
  4: 'application-specific',
  5: 'entitlements',
  6: 'rep-specific',
  7: 'DER entitlements',
  8: 'launch-constraint-self',
  9: 'launch-constraint-parent',
  10: 'launch-constraint-responsible',
  11: 'library-constraint',
};

export function slotName(slot: number): string {
  switch (slot) {
    case 0:
      return 'CodeDirectory';
    case 1:
      return 'Info.plist';
    case 2:
      return 'requirements';
    case 3:
      return 'CodeResources';
    case 4:
      return 'application-specific';
    case 5:
      return 'entitlements';
    case 6:
      return 'rep-specific';
    case 7:
      return 'DER entitlements';
    case 8:
      return 'launch-constraint-self';
    case 9:
      return 'launch-constraint-parent';
    case 10:
      return 'launch-constraint-responsible';
    case 11:
      return 'library-constraint';
    case 0x10000:
      return 'CMS signature';
    case 0x10001:
      return 'identification';
    case 0x10002:
      return 'ticket';
    default:
      if (slot >= 0x1000 && slot <= 0x1004) return `alternate CodeDirectory ${slot - 0x1000}`;
      return `slot 0x${slot.toString(16)}`;
  }
}

export function runtimeVersion(v: number): string {
  return `${v >>> 16}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
