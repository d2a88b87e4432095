// Fault injection for the crash tests: MACHLENS_STREAM_FAULT=POINT:N kills this process with SIGKILL the N-th time
// it reaches POINT (before-snapshot, after-snapshot, mid-alerts = right after an alert was published). Nothing else.
export type FaultPoint = 'before-snapshot' | 'after-snapshot' | 'mid-alerts';

export interface Fault {
  hit(point: FaultPoint): void;
}

export function faultFromEnv(spec: string | undefined): Fault {
  const m = spec ? /^(before-snapshot|after-snapshot|mid-alerts):(\d+)$/.exec(spec) : null;
  if (!m) return { hit: () => undefined };
  const point = m[1] as FaultPoint;
  let left = Number(m[2]);
  return {
    hit(p) {
      if (p !== point) return;
      if (--left === 0) process.kill(process.pid, 'SIGKILL');
    },
  };
}
