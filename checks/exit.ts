import type { Check } from '../runner/lab/lab.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { invalidProbe } from './invalid-probe.js'
import { previousStep } from './previous-step.js'

/** `exit N`: the block run just before exited with status N. Runs nothing. */
export async function exitProbe(check: Check, ctx: CheckContext): Promise<Probe> {
  const [n] = check.args
  if (check.args.length !== 1 || !n || !/^\d+$/.test(n) || Number(n) > 255) return invalidProbe('exit needs a status from 0 to 255: "exit 1"')
  const p = ctx.previous
  if (!p) return invalidProbe('there is no step before this check to judge')
  const evidence = [evidenceOf(p)]
  const step = previousStep(p)
  const expected = `exit ${n}`
  if (p.timedOut) return { holds: false, sentence: `${step} did not finish in time`, expected, got: 'timed out', evidence }
  if (p.exitCode === null) {
    // A background step still running has no status yet.
    const how = p.signal ? `was killed by ${p.signal}` : 'has not exited'
    return { holds: false, sentence: `${step} ${how}`, expected, got: p.signal ?? 'no status', evidence }
  }
  const got = `exit ${p.exitCode}`
  if (p.exitCode === Number(n)) return { holds: true, sentence: `${step} exited with ${p.exitCode}`, expected, got, evidence }
  return { holds: false, sentence: `${step} exited with ${p.exitCode}, not ${n}`, expected, got, evidence }
}
