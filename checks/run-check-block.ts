import type { Check } from '../runner/lab/lab.js'
import type { CheckContext } from './check-context.js'
import type { CheckResult } from './check-result.js'
import { runCheck } from './run-check.js'

/**
 * Judge a check block's lines, results in their order. Lines that only look
 * run side by side (a block of eight checks costs about one); a line that
 * counts what earlier ones sent (`rule … min-packets=N`) starts when every
 * line before it has ended.
 */
export async function runCheckBlock(checks: Check[], ctx: CheckContext): Promise<CheckResult[]> {
  const started: Promise<CheckResult>[] = []
  for (const check of checks) {
    if (check.options['min-packets'] !== undefined) await Promise.all(started)
    started.push(runCheck(check, ctx))
  }
  return await Promise.all(started)
}
