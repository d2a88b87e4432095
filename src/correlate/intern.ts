// One copy of each repeated string of the buffered events (issue 17). Finite input is ordered as a whole, so every
// event waits in its host's buffer until the end: each one survives the young generation and is copied into the old
// one, and the collector's work grows with what the events hold. Most of that is text that repeats from line to line
// (the host, the binary's path and cdhash, the dylib's path, a process's key) but that JSON.parse gives as a fresh
// copy every time. Interning changes no value, only which copy an event points to.
import type { CorrelationEvent, FileIdentity, ProcessIdentity, SigningState } from './model';

/** Distinct strings kept (the table is cleared when full: only the share of memory saved depends on it). */
const CAP = 1 << 16;

export class Interner {
  private m = new Map<string, string>();

  str(v: string): string {
    const x = this.m.get(v);
    if (x !== undefined) return x;
    if (this.m.size >= CAP) this.m.clear();
    this.m.set(v, v);
    return v;
  }

  opt<T extends string | null | undefined>(v: T): T {
    return typeof v === 'string' ? (this.str(v) as T) : v;
  }

  process(p: ProcessIdentity | undefined): void {
    if (p === undefined) return;
    p.key = this.str(p.key);
    if (p.path !== undefined) p.path = this.str(p.path);
    if (p.signingId !== undefined) p.signingId = this.str(p.signingId);
    if (typeof p.teamId === 'string') p.teamId = this.str(p.teamId);
    if (p.cdhash !== undefined) p.cdhash = this.str(p.cdhash);
    if (p.parentKey !== undefined) p.parentKey = this.str(p.parentKey);
    if (p.responsibleKey !== undefined) p.responsibleKey = this.str(p.responsibleKey);
    if (p.entityId !== undefined) p.entityId = this.str(p.entityId);
  }

  file(f: FileIdentity | undefined): void {
    if (f === undefined) return;
    f.path = this.str(f.path);
    if (f.inode !== undefined) f.inode = this.str(f.inode);
  }

  signing(s: SigningState): void {
    if (s.signingId !== undefined) s.signingId = this.str(s.signingId);
    if (typeof s.teamId === 'string') s.teamId = this.str(s.teamId);
    if (s.cdhash !== undefined) s.cdhash = this.str(s.cdhash);
  }

  /** The event's strings replaced by their first copies (in place; values unchanged). */
  event(e: CorrelationEvent): void {
    e.host = this.str(e.host);
    if (e.hostName !== undefined) e.hostName = this.str(e.hostName);
    switch (e.kind) {
      case 'exec':
        this.process(e.process);
        this.process(e.parent);
        this.file(e.image);
        this.signing(e.signing);
        break;
      case 'file-change':
        this.process(e.process);
        this.file(e.file);
        if (e.from !== undefined) e.from = this.str(e.from);
        break;
      case 'library-load':
        this.process(e.process);
        this.file(e.library);
        break;
      case 'fork':
        this.process(e.process);
        this.process(e.child);
        break;
      case 'exit':
      case 'cs-invalidated':
        this.process(e.process);
        break;
      case 'signature':
        this.file(e.file);
        this.signing(e.signing);
        break;
      default:
        break;
    }
  }
}
