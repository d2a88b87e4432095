// Issue 5: the T1546.006 chain found in each source format, and the medium alert where a source is blind.
import { describe, expect, it } from 'vitest';
import { correlateEveryOrder as correlateLines } from './orders';

import { APP, EVIL, TEAM, fullChain, render, type Format } from './scenario';

describe('full chain per source', () => {
  for (const format of ['eslogger', 'ecs', 'ocsf'] as Format[]) {
    it(`${format}: modification → signature → exec → unrecognised dylib gives one high alert`, () => {
      const lines = render(fullChain('mac-01'), format);
      const { alerts, counts, coverage } = correlateLines(lines, { format: 'auto', defaultHost: 'mac-01' });
      expect(counts.malformed).toBe(0);
      expect(alerts).toHaveLength(1);
      const a = alerts[0];
      expect(a.severity).toBe('high');
      // Hosts are keyed by their stable identity (ECS host.id, OCSF device.uid), the name kept for display (issue 15 item 3).
      const hostId = format === 'ecs' ? 'id-mac-01' : format === 'ocsf' ? 'uid-mac-01' : 'mac-01';
      expect(a.host).toBe(hostId);
      expect(a.binary).toBe(APP);
      expect(a.technique).toBe('T1546.006');
      expect(a.analytic).toBe('AN0607');
      expect(a.missing).toEqual([]);
      expect(a.dylibs).toEqual([EVIL]);
      expect(a.suppressed).toBe(false);
      expect(a.writer?.path).toBe('/Users/eve/Downloads/patcher');
      expect(a.signerBefore?.teamId).toBe(TEAM);
      expect(a.events.map((e) => e.link)).toContain('library-load');
      expect(a.events[0].link).toBe('modification');
      expect(coverage.find((c) => c.host === hostId)?.blindSpots).toEqual([]);
    });
  }

  for (const format of ['osquery', 'santa'] as Format[]) {
    it(`${format}: no library-load telemetry → medium alert naming the blind spot`, () => {
      const lines = render(fullChain('mac-01'), format);
      const { alerts, counts, coverage } = correlateLines(lines, { defaultHost: 'mac-01' });
      expect(counts.malformed).toBe(0);
      expect(alerts).toHaveLength(1);
      expect(alerts[0].severity).toBe('medium');
      expect(alerts[0].missing).toEqual(['library-load']);
      expect(alerts[0].blindSpots[0]).toMatch(/execs but no library-load telemetry/);
      expect(coverage[0].blindSpots.join('\n')).toMatch(/execs but no library-load telemetry/);
    });
  }

  for (const version of [9, 10, 11]) {
    it(`eslogger message version ${version} (audit tokens ${version === 10 ? 'as arrays' : 'as objects'})`, () => {
      const { alerts } = correlateLines(render(fullChain('mac-01'), 'eslogger', { version }));
      expect(alerts).toHaveLength(1);
      expect(alerts[0].severity).toBe('high');
    });
  }
});
