// What each source can and cannot show of the chain, for the coverage report's blind spots (one table, here, beside
// the adapters that know the sources; docs/correlate.md prints the same facts for people).
import type { ChainLink, SourceFormat } from '../model';

export interface SourceCapability {
  /** Human name of the source. */
  name: string;
  /** Chain links this source can never show, with the reason in plain words. */
  cannotSee: Partial<Record<ChainLink, string>>;
  /** Other limits worth saying next to a blind spot (identity, precision). */
  notes: string[];
}

export const SOURCE_CAPABILITIES: Readonly<Record<SourceFormat, SourceCapability>> = {
  eslogger: {
    name: 'Apple eslogger (Endpoint Security)',
    cannotSee: {},
    notes: [
      'mmap carries no signing facts for the mapped file',
      "no host in the event: the shipper's host field or --host",
    ],
  },
  jamf: {
    name: 'Jamf Protect telemetry',
    cannotSee: {},
    notes: ["Endpoint Security messages: as eslogger, with the host object's identity"],
  },
  ecs: {
    name: 'Elastic Defend (ECS)',
    cannotSee: {},
    notes: ['no code-signing flags: validity from code_signature.status/trusted/exists'],
  },
  ocsf: { name: 'OCSF', cannotSee: {}, notes: [] },
  osquery: {
    name: 'osquery',
    cannotSee: { 'library-load': 'osquery has no library-load or mmap table: the dylibs a process loads are not seen' },
    notes: ['hostIdentifier is the hostname unless --host_identifier=uuid or a host_uuid decorator is set'],
  },
  santa: {
    name: 'Santa',
    cannotSee: {
      'library-load': 'Santa logs no library loads: a modified binary is seen running, not the dylibs it loads',
    },
    notes: [
      'the text log has no code-signing flags (team ID, signing ID and certificate only)',
      'text-log file events and CODESIGNING_INVALIDATED carry the pid without pidversion (they do not join an EXEC by pid:pidversion)',
    ],
  },
  'objective-see': {
    name: 'Objective-See ProcessMonitor / FileMonitor',
    cannotSee: { 'library-load': 'ProcessMonitor and FileMonitor record no mmap/library loads' },
    notes: ['no pidversion: processes are keyed by pid', 'no host in the event: --host'],
  },
  macmonitor: {
    name: 'Red Canary Mac Monitor',
    cannotSee: {},
    notes: ['mmap records carry the path only (no protection): every mapping reads as a load', 'no code-signing flags'],
  },
  machlens: { name: 'machlens change records', cannotSee: {}, notes: [] },
};
