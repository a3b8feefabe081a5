import type { ExecResult } from '../runner/host/exec-result.js'
import { formatSeconds } from './format-seconds.js'

/**
 * Why a command gave no answer to judge, in a sentence, or undefined when it
 * ran to its end: it timed out, was killed, or its program is missing.
 * `missing` is set when the machine lacks the program (the check cannot be judged).
 */
export function execProblem(r: ExecResult, what: string, timeoutMs: number): { sentence: string; missing?: boolean } | undefined {
  if (r.timedOut) return { sentence: `${r.machine} did not finish ${what} within ${formatSeconds(timeoutMs)}` }
  if (r.exitCode === 127 || /: command not found$/m.test(r.stderr)) {
    const line = r.stderr.trim().split('\n').pop() ?? ''
    return { sentence: `${r.machine} cannot run ${what} (${line || 'command not found'})`, missing: true }
  }
  if (r.exitCode === null) return { sentence: `${what} on ${r.machine} was killed by ${r.signal ?? 'a signal'}` }
  return undefined
}
