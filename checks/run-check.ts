import type { Check } from '../runner/lab/lab.js'
import { NslabError } from '../runner/util/nslab-error.js'
import { scaledMs } from '../runner/util/time-scale.js'
import { checkKinds } from './check-kinds.js'
import type { CheckContext, Probe } from './check-context.js'
import type { CheckResult } from './check-result.js'
import { formatSeconds } from './format-seconds.js'

/** Pause between attempts of a positive check. */
export const RETRY_PAUSE_MS = 75
/** Every check answers within its window plus this. */
export const GRACE_MS = 1000
/** Kept back from the grace for starting and reading processes. */
const RESERVE_MS = 150
/** No attempt gets less than this, even at the very end of the window. */
const MIN_ATTEMPT_MS = 200

/**
 * Judge one check line. A positive check polls until what it asserts holds or
 * its window (within=, default 2 s) ends; a `no` check is judged once; exit
 * and stdout are judged once either way. Each attempt's commands are bounded
 * so that the whole answers within the window plus one second. A check that
 * cannot be judged as written (invalid) fails whatever its negation.
 */
export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const t0 = performance.now()
  const kind = checkKinds[check.verb]
  const done = (probe: Probe, attempts: number): CheckResult => {
    const ok = !probe.invalid && probe.holds !== check.negated
    const r: CheckResult = { check, ok, sentence: probe.sentence, evidence: probe.evidence, durationMs: performance.now() - t0, attempts }
    if (probe.expected !== undefined) r.expected = check.negated ? `not ${probe.expected}` : probe.expected
    if (probe.got !== undefined) r.got = probe.got
    if (probe.invalid) r.invalid = true
    return r
  }
  if (!kind) return done({ holds: false, invalid: true, sentence: `unknown check "${String(check.verb)}"`, evidence: [] }, 0)

  const windowEnd = t0 + Math.max(0, check.withinMs)
  // Fixed limits stretch on a slow machine (a VM under emulation: NSLAB_TIME_SCALE).
  const hardEnd = windowEnd + scaledMs(GRACE_MS) - scaledMs(RESERVE_MS)
  // A series (ping count=N) is one attempt as long as it needs: judged once, on all of it.
  const series = kind.seriesMs?.(check)
  const once = check.negated || kind.once === true || series !== undefined
  const cap = scaledMs(series ?? (check.negated ? (kind.negatedAttemptMs ?? kind.attemptMs) : kind.attemptMs))
  let attempts = 0
  for (;;) {
    const budget = series !== undefined ? cap : Math.max(scaledMs(MIN_ATTEMPT_MS), Math.min(cap, hardEnd - performance.now()))
    attempts++
    let probe: Probe
    try {
      probe = await kind.probe(check, ctx, { timeoutMs: Math.round(budget) })
    } catch (e) {
      // A machine the lab does not have: the check is wrong, not the run.
      if (e instanceof NslabError && e.code === 'USAGE') return done({ holds: false, invalid: true, sentence: e.message, evidence: [] }, attempts)
      throw e
    }
    if (once || probe.holds || probe.invalid) return done(probe, attempts)
    const now = performance.now()
    if (now >= windowEnd || ctx.signal?.aborted) {
      if (ctx.signal?.aborted) probe.sentence += ` (stopped after ${formatSeconds(now - t0)})`
      return done(probe, attempts)
    }
    await pause(Math.min(ctx.retryPauseMs ?? RETRY_PAUSE_MS, windowEnd - now), ctx.signal)
    // The window may have ended during the pause; one last attempt still fits in the grace.
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
