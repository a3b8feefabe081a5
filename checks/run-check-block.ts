import type { Check } from '../runner/lab/lab.js'
import type { CheckContext } from './check-context.js'
import type { CheckResult } from './check-result.js'
import { runCheck } from './run-check.js'

/** Checks that send packets: what a lab's rate limits, `-m statistic --mode nth` or `-m recent` see depends on their order. */
const SENDS = new Set<string>(['ping', 'http'])

/**
 * How a check may share the lab host with the checks around it:
 * - look: reads state that packets do not change (rules counters apart, policies, addresses, routes, sysctls, exit, stdout);
 * - sends: sends packets, one such check at a time, in the block's order;
 * - alone: counts packets (`rule … min-packets=N`), reads the connections packets leave behind (`conntrack`), or runs
 *   the lab's own command (`sh`: it may send, count or change anything), so it starts when every line before it has
 *   ended, and every line after it waits for it.
 */
export function howCheckRuns(check: Check): 'look' | 'sends' | 'alone' {
  if (check.verb === 'sh' || check.options['min-packets'] !== undefined) return 'alone'
  // An `http` line before it makes the entry it looks for; a `no conntrack` judged before that would pass by chance.
  if (check.verb === 'conntrack') return 'alone'
  return SENDS.has(check.verb) ? 'sends' : 'look'
}

export interface CheckBlockOptions {
  /**
   * Stop at the first check, in the block's order, that fails (nslab prove): the results end with it.
   * Checks after it that only look may have run already (their results are dropped, their retries
   * stopped); none after it that sends or counts is started.
   */
  firstFailure?: boolean
}

/**
 * Judge a check block's lines, results in their order, each seeing the lab
 * host as it would if the lines ran one after another: lines that look run
 * side by side (a block of eight checks costs about its slowest), lines that
 * send packets run one at a time in order beside them, and a line that counts
 * or runs a command of its own runs alone (see howCheckRuns). Each check keeps
 * its own window, from when it starts.
 */
export async function runCheckBlock(checks: Check[], ctx: CheckContext, o: CheckBlockOptions = {}): Promise<CheckResult[]> {
  const results: (CheckResult | undefined)[] = new Array(checks.length).fill(undefined)
  const ended: Promise<unknown>[] = []
  const stops: AbortController[] = []
  let firstFailed = Number.POSITIVE_INFINITY
  /** Ends when the last `alone` line before has ended. */
  let barrier: Promise<unknown> = Promise.resolve()
  /** Ends when the last line that sends or counts before has ended. */
  let lastSent: Promise<unknown> = Promise.resolve()
  checks.forEach((check, i) => {
    const how = howCheckRuns(check)
    // With firstFailure, a line with effects starts only once every line before it has passed: as in order, it never runs after a failure.
    const after = how === 'alone' || (how === 'sends' && o.firstFailure) ? [...ended] : how === 'sends' ? [lastSent] : [barrier]
    const stop = new AbortController()
    stops.push(stop)
    const run = Promise.all(after).then(async () => {
      if (i > firstFailed) return
      let r: CheckResult
      if (!o.firstFailure) r = await runCheck(check, ctx)
      else {
        const own = eitherSignal(ctx.signal, stop.signal)
        try {
          r = await runCheck(check, { ...ctx, signal: own.signal })
        } finally {
          own.release()
        }
      }
      results[i] = r
      if (o.firstFailure && !r.ok && i < firstFailed) {
        firstFailed = i
        for (const s of stops.slice(i + 1)) s.abort('an earlier check failed')
      }
    })
    ended.push(run)
    if (how !== 'look') lastSent = run
    if (how === 'alone') barrier = run
  })
  // Every line ended before the block does (none left running into the next step), even when one threw.
  const settled = await Promise.allSettled(ended)
  const thrown = settled.find((x) => x.status === 'rejected')
  if (thrown) throw thrown.reason
  const kept = o.firstFailure && Number.isFinite(firstFailed) ? results.slice(0, firstFailed + 1) : results
  return kept.map((r, i) => {
    if (!r) throw new Error(`check ${i + 1} of the block was not judged`)
    return r
  })
}

/** A signal that aborts with either, and a way to stop listening to the outer one (a run's signal outlives many checks). */
function eitherSignal(outer: AbortSignal | undefined, inner: AbortSignal): { signal: AbortSignal; release: () => void } {
  if (!outer) return { signal: inner, release: () => {} }
  const both = new AbortController()
  const onOuter = () => both.abort(outer.reason)
  const onInner = () => both.abort(inner.reason)
  if (outer.aborted) onOuter()
  outer.addEventListener('abort', onOuter, { once: true })
  inner.addEventListener('abort', onInner, { once: true })
  return {
    signal: both.signal,
    release: () => {
      outer.removeEventListener('abort', onOuter)
      inner.removeEventListener('abort', onInner)
    },
  }
}
