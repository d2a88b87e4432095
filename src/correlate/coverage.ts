// Stage: coverage. Which evidence types each host sends, and the blind spots that follow (what a chain there cannot
// show). A link missing because the host never sends that evidence type is a blind spot (medium alert); a link missing
// although the host does send it breaks the chain.
import type { ChainLink, CorrelationEvent, HostCoverage } from './model';
import { hasSigningState, type Cov, type HostState } from './state';

export const BLIND = {
  noExec: 'no process exec telemetry: a modified binary cannot be tied to its execution',
  noFile: 'no file-change telemetry: modifications of binaries are not seen',
  noLoad: 'execs but no library-load telemetry: a modified binary is seen running, not the dylibs it loads',
  noSigning: 'execs without code-signing state: a removed or invalidated signature is not seen',
} as const;

/** Count an event's evidence type (at arrival, so that coverage does not depend on order). */
export function cover(cov: Cov, e: CorrelationEvent): void {
  switch (e.kind) {
    case 'file-change':
      cov.fileChanges++;
      break;
    case 'exec':
      cov.execs++;
      if (hasSigningState(e.signing)) cov.execsWithSigningState++;
      break;
    case 'library-load':
      cov.libraryLoads++;
      break;
    case 'cs-invalidated':
    case 'signature':
      cov.signatureEvents++;
      break;
    case 'fork':
    case 'exit':
      cov.lineage++;
      break;
    default:
      break;
  }
}

export function blindSpotsOf(cov: Cov): string[] {
  const out: string[] = [];
  const any = cov.fileChanges + cov.execs + cov.libraryLoads + cov.signatureEvents + cov.lineage > 0;
  if (!any) return ['no telemetry from this host'];
  if (cov.execs === 0) out.push(BLIND.noExec);
  if (cov.fileChanges === 0) out.push(BLIND.noFile);
  if (cov.execs > 0 && cov.libraryLoads === 0) out.push(BLIND.noLoad);
  if (cov.execs > 0 && cov.execsWithSigningState === 0 && cov.signatureEvents === 0) out.push(BLIND.noSigning);
  return out;
}

/** The blind spot that explains a missing link on this host, if the host cannot show that link at all. */
export function linkBlind(link: ChainLink, cov: Cov): string | undefined {
  if (link === 'modification' && cov.fileChanges === 0) return BLIND.noFile;
  if (link === 'library-load' && cov.libraryLoads === 0) return BLIND.noLoad;
  if (link === 'signature' && cov.execsWithSigningState === 0 && cov.signatureEvents === 0) return BLIND.noSigning;
  return undefined;
}

/** Coverage of every host, sorted by host, plus one line for the evicted hosts' totals. */
export function coverageOf(hosts: Iterable<HostState>, evictedHosts: number, evictedCov: Cov): HostCoverage[] {
  const list: HostCoverage[] = [];
  for (const h of hosts) {
    const named = h.hostName !== undefined && h.hostName !== h.name;
    list.push(
      named
        ? {
            host: h.name,
            hostName: h.hostName,
            sources: [...h.sources].sort(),
            evidence: { ...h.cov },
            blindSpots: blindSpotsOf(h.cov),
          }
        : { host: h.name, sources: [...h.sources].sort(), evidence: { ...h.cov }, blindSpots: blindSpotsOf(h.cov) },
    );
  }
  list.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  if (evictedHosts > 0)
    list.push({ host: `(${evictedHosts} evicted hosts)`, sources: [], evidence: { ...evictedCov }, blindSpots: [] });
  return list;
}
