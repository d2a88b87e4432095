// Jamf Protect telemetry (data forwarding, JSON lines): Endpoint Security messages in eslogger's spelling plus a
// `host` object (the Mac: hostname, serial, provisioning UDID, hardware UUID…) and a `metadata` object (the
// forwarding envelope). Lines that are not Endpoint Security messages (Jamf's own event types such as 9002,
// file_collection records) are ignored with their reason: they are Jamf's, not unreadable.
import type { Dict } from '../util';
import { isDict, num, own, str } from '../util';
import { adaptEsMessage } from './eslogger';
import { hostOf, idText, ignored, type AdapterContext, type AdapterOutput } from './common';

/** Jamf's host object → the Mac's stable identity (hardware UUID, provisioning UDID, serial) and its name. */
export function jamfHost(h: unknown): { id?: string; name?: string } {
  let id: string | undefined;
  for (const k of [
    'hardware_uuid',
    'hardwareUUID',
    'provisioning_udid',
    'provisioningUDID',
    'uuid',
    'udid',
    'serial',
    'serial_number',
    'serialNumber',
    'id',
  ]) {
    id = idText(own(h, k));
    if (id !== undefined) break;
  }
  let name: string | undefined;
  for (const k of ['hostname', 'host_name', 'name', 'computer_name']) {
    name = idText(own(h, k));
    if (name !== undefined) break;
  }
  return { id, name };
}

export function adaptJamf(d: Dict, ctx: AdapterContext): AdapterOutput {
  const { id, name } = jamfHost(own(d, 'host'));
  const { host, hostName } = hostOf(d, ctx, id, name);
  const type = own(d, 'event_type');
  const event = own(d, 'event');
  // Endpoint Security event types are 0–~150 (ESTypes.h); Jamf numbers its own records from 9000 up.
  const t = num(type);
  if (t === undefined || t >= 1000 || !isDict(event)) {
    // Fixed reasons only (counters are keyed by them): never the line's own values.
    if (own(d, 'file_collection') !== undefined || str(own(d, 'type')) === 'file_collection')
      return ignored('jamf: file_collection record (not an Endpoint Security event)');
    return ignored('jamf: Jamf record, not an Endpoint Security event (event_type not an ES type)');
  }
  return adaptEsMessage(d, ctx, 'jamf', host, hostName);
}

/** Jamf's shape: an object with `host` and `metadata` objects (beside the ES message, or beside Jamf's own records). */
export function looksLikeJamf(d: Dict): boolean {
  return isDict(own(d, 'metadata')) && isDict(own(d, 'host'));
}
