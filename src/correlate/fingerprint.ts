// Content fingerprint of a normalised event: duplicate suppression (identical content on one host), the canonical
// order of equal-time events (ordering.ts) and alert ids (alert.ts) all use it, so none of them depends on arrival.
import type { CorrelationEvent } from './model';
import { hash53 } from './util';

export function fingerprint(e: CorrelationEvent): number {
  // The time goes in as the hash seed (microseconds, low 32 bits): formatting a fractional double as text is slow.
  const seed = (Math.floor(e.time * 1000) % 4294967296) | 0;
  let k = `${e.kind}|`;
  switch (e.kind) {
    case 'file-change':
      k += `${e.op}|${e.file.path}|${e.from ?? ''}|${e.process?.key ?? ''}`;
      break;
    case 'exec':
      k += `${e.process.key}|${e.image.path}|${e.signing.cdhash ?? ''}|${e.signing.flags ?? ''}`;
      break;
    case 'library-load':
      k += `${e.process.key}|${e.library.path}`;
      break;
    case 'cs-invalidated':
    case 'exit':
      k += e.process.key;
      break;
    case 'fork':
      k += `${e.process.key}|${e.child.key}`;
      break;
    case 'signature':
      k += `${e.file.path}|${e.signing.cdhash ?? ''}|${e.signing.signed ?? ''}`;
      break;
    case 'change-record':
      k += `${e.pathPrefix}|${e.end}|${e.ticket}`;
      break;
  }
  if (e.denied === true) k += '|denied';
  return hash53(k, seed);
}
