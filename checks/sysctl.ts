import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { normalizeSysctlValue, parseSysctl } from './parse-sysctl.js'
import type { ProbeOptions } from './probe-fn.js'

/**
 * `sysctl NAME KEY VALUE`: the sysctl KEY on machine NAME is VALUE. Values
 * are compared with blanks made one space ("32768 60999"). A key the machine
 * does not have (br_netfilter not loaded …) is not VALUE.
 */
export async function sysctlProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [name, key, ...value] = check.args
  if (!name || !key || value.length === 0) return invalidProbe('sysctl needs a machine, a key and a value: "sysctl host net.ipv4.ip_forward 1"')
  if (!/^[\w.\/-]+$/.test(key)) return invalidProbe(`"${key}" is not a sysctl key`)
  const want = normalizeSysctlValue(value.join(' '))
  const r = await ctx.look({ machine: name, script: `sysctl -n ${shellQuote(key)}`, timeoutMs: opts.timeoutMs, also: ['uts', 'ipc'], quick: true })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'sysctl', opts.timeoutMs)
  if (problem) return problem.missing ? invalidProbe(problem.sentence, evidence) : { holds: false, sentence: problem.sentence, evidence }
  const expected = `${key} = ${want}`
  const got = r.exitCode === 0 ? parseSysctl(r.stdout) : undefined
  if (got === undefined) {
    const missing = /cannot stat|No such file/.test(r.stderr)
    const sentence = missing ? `${name} has no sysctl ${key}` : `${name} could not read ${key}: ${r.stderr.trim() || `exit ${r.exitCode}`}`
    return { holds: false, sentence, expected, got: r.stderr.trim() || 'nothing', evidence }
  }
  if (got === want) return { holds: true, sentence: `${key} is ${got} on ${name}`, expected, got: `${key} = ${got}`, evidence }
  return { holds: false, sentence: `${key} is ${got} on ${name}, not ${want}`, expected, got: `${key} = ${got}`, evidence }
}
