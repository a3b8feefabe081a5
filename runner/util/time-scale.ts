/**
 * How many times slower than a real machine this one runs: NSLAB_TIME_SCALE
 * (a number ≥ 1, default 1). A matrix VM under software emulation sets it
 * (about 4), so that the runner's own fixed limits — a check's grace and
 * attempt caps, the time a lab host may take to come up — stretch with the
 * CPU, and a lab fails for what it does, not for how slow the machine is.
 */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.NSLAB_TIME_SCALE)
  return Number.isFinite(v) && v >= 1 ? Math.min(v, 100) : 1
}

/** A fixed time limit (ms) as this machine needs it. */
export function scaledMs(ms: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.round(ms * timeScale(env))
}
