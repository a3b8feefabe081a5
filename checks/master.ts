import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { parseIpLink } from './parse-ip-link.js'
import type { ProbeOptions } from './probe-fn.js'

/** `master IFACE BRIDGE`: IFACE on the lab host is a port of BRIDGE. */
export async function masterProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [iface, bridge] = check.args
  if (check.args.length !== 2 || !iface || !bridge) return invalidProbe('master needs an interface and a bridge: "master veth1234567 docker0"')
  const r = await ctx.look({ machine: 'host', script: `ip -j link show dev ${shellQuote(iface)}`, timeoutMs: opts.timeoutMs, quick: true })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'ip link', opts.timeoutMs)
  if (problem) return problem.missing ? invalidProbe(problem.sentence, evidence) : { holds: false, sentence: problem.sentence, evidence }
  const expected = `${iface} a port of ${bridge}`
  if (r.exitCode !== 0) {
    const missing = /does not exist/.test(r.stderr)
    return { holds: false, sentence: missing ? `the host has no interface ${iface}` : `the host could not show ${iface}: ${r.stderr.trim()}`, expected, got: r.stderr.trim(), evidence }
  }
  let master: string | undefined
  try {
    master = parseIpLink(r.stdout).find((l) => l.ifname === iface)?.master
  } catch (e) {
    return invalidProbe(`the host printed something ip -j should not: ${(e as Error).message}`, evidence)
  }
  const got = master ? `${iface} a port of ${master}` : `${iface} not a port of any bridge`
  if (master === bridge) return { holds: true, sentence: `${iface} is a port of ${bridge}`, expected, got, evidence }
  const sentence = master ? `${iface} is a port of ${master}, not ${bridge}` : `${iface} is not a port of any bridge`
  return { holds: false, sentence, expected, got, evidence }
}
