import type { Check } from '../runner/lab/lab.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import type { ProbeOptions } from './probe-fn.js'

/** `netns NAME`: the lab host lists a network namespace NAME (`ip netns list`). */
export async function netnsProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [name] = check.args
  if (check.args.length !== 1 || !name) return invalidProbe('netns needs a name: "netns box1"')
  const { names, exec: r } = await ctx.netnsNames({ timeoutMs: opts.timeoutMs })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'ip netns list', opts.timeoutMs)
  if (problem) return problem.missing ? invalidProbe(problem.sentence, evidence) : { holds: false, sentence: problem.sentence, evidence }
  if (r.exitCode !== 0) return { holds: false, sentence: `the host could not list its network namespaces: ${r.stderr.trim()}`, evidence }
  const expected = `a network namespace ${name}`
  const got = names.join(', ') || 'none'
  if (names.includes(name)) return { holds: true, sentence: `the host has a network namespace ${name}`, expected, got, evidence }
  return { holds: false, sentence: `the host has no network namespace ${name} (it has ${names.length ? names.join(', ') : 'none'})`, expected, got, evidence }
}
