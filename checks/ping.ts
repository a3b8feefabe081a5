import { isIPv4 } from 'node:net'
import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { parsePing } from './parse-ping.js'
import type { ProbeOptions } from './probe-fn.js'
import { machinesOf } from '../runner/lab/lab.js'
import { machineAddress } from './machine-address.js'

/** One echo, one second to answer: iputils and busybox both read `-c 1 -W 1`. */
export const PING_ATTEMPT_MS = 1100

/**
 * `ping FROM TO`: one ICMP echo from FROM gets a reply from TO. One attempt
 * sends one echo and waits up to a second; `timeout -s INT` cuts it sooner
 * when the budget is shorter, and ping then still prints its statistics.
 */
export async function pingProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: PING_ATTEMPT_MS }): Promise<Probe> {
  const [from, to] = check.args
  if (check.args.length !== 2 || !from || !to) return invalidProbe('ping needs a machine and a target: "ping FROM TO"')
  const address = isIPv4(to) ? to : ((await machineAddress(ctx, to, from)) ?? to)
  if (!isIPv4(address)) {
    // An unknown name cannot resolve inside the sandbox: a typo must not pass as "no reply".
    return invalidProbe(`"${to}" is neither a machine of this lab (${machinesOf(ctx.lab.topology).join(', ')}, or a network namespace it made) nor an IPv4 address`)
  }
  const target = address === to ? to : `${to} at ${address}`
  const cut = Math.max(0.1, (opts.timeoutMs - 80) / 1000).toFixed(2)
  const script = `timeout -s INT ${cut} ping -c 1 -W 1 ${shellQuote(address)}`
  const r = await ctx.look({ machine: from, script, timeoutMs: opts.timeoutMs + 200 })
  const evidence = [evidenceOf(r)]
  const expected = `a reply from ${target}`
  const p = parsePing(r.stdout + '\n' + r.stderr)
  if (!p.summary) {
    const problem = execProblem(r, `ping ${address}`, opts.timeoutMs)
    if (problem?.missing) return invalidProbe(problem.sentence, evidence)
    const why = problem?.sentence ?? `${from} could not ping ${target}: ${p.problem ?? (r.output.trim() || `exit ${r.exitCode}`)}`
    return { holds: false, sentence: why, expected, got: p.problem ?? 'no statistics', evidence }
  }
  const counts = `${p.transmitted} sent, ${p.received} received`
  const got = `${counts}, ${p.lossPercent}% packet loss`
  if (p.received > 0) {
    return { holds: true, sentence: `${from} got ${p.received === 1 ? 'a reply' : 'replies'} from ${target} (${counts})`, expected, got, evidence }
  }
  const icmp = p.icmpErrors[p.icmpErrors.length - 1]
  const said = icmp ? `; ${icmp.from} answered "${icmp.message}"` : ''
  return { holds: false, sentence: `${from} got no reply from ${target} (${counts}${said})`, expected, got, evidence }
}
