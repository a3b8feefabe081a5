import type { Check } from '../runner/lab/lab.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { formatSeconds } from './format-seconds.js'
import { invalidProbe } from './invalid-probe.js'
import type { ProbeOptions } from './probe-fn.js'

/** `sh NAME "command"`: the command, run by bash on machine NAME, exits 0. */
export async function shProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [name, command] = check.args
  if (check.args.length !== 2 || !name || command === undefined || command.trim() === '') {
    return invalidProbe('sh needs a machine and one quoted command: sh box1 "test -f /tmp/x"')
  }
  const r = await ctx.exec({ machine: name, script: command, timeoutMs: opts.timeoutMs })
  const evidence = [evidenceOf(r)]
  const shown = command.length > 60 ? `${command.slice(0, 57)}…` : command
  const expected = 'exit 0'
  if (r.timedOut) return { holds: false, sentence: `on ${name}, "${shown}" did not finish within ${formatSeconds(opts.timeoutMs)}`, expected, got: 'timed out', evidence }
  if (r.exitCode === null) return { holds: false, sentence: `on ${name}, "${shown}" was killed by ${r.signal ?? 'a signal'}`, expected, got: r.signal ?? 'killed', evidence }
  const got = `exit ${r.exitCode}`
  if (r.exitCode === 0) return { holds: true, sentence: `on ${name}, "${shown}" exited with 0`, expected, got, evidence }
  const last = r.output.trim().split('\n').pop()?.trim()
  return { holds: false, sentence: `on ${name}, "${shown}" exited with ${r.exitCode}${last ? ` (${last.length > 100 ? `${last.slice(0, 97)}…` : last})` : ''}`, expected, got, evidence }
}
