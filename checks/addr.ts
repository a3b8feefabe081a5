import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { parseIpAddr } from './parse-ip-addr.js'
import { inSubnet, maskOf, parseIPv4 } from '../runner/lab/parse-ipv4.js'
import type { ProbeOptions } from './probe-fn.js'

/**
 * `addr NAME IFACE CIDR`: IFACE on machine NAME has an IPv4 address inside
 * CIDR. A bare address means that address. A CIDR
 * with host bits set (172.17.0.2/16) means that address with that prefix, as
 * `ip addr` shows it: 172.17.0.5/16 does not pass it by being in the same network.
 */
export async function addrProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [name, iface, cidr] = check.args
  if (check.args.length !== 3 || !name || !iface || !cidr) return invalidProbe('addr needs a machine, an interface and a CIDR: "addr box1 eth0 172.17.0.0/16"')
  const [ip, prefix] = cidr.split('/')
  const at = parseIPv4(ip ?? '')
  if ('error' in at || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= 32))) {
    return invalidProbe(`"${cidr}" is not an IPv4 address or CIDR`)
  }
  const bits = prefix === undefined ? 32 : Number(prefix)
  const exact = ((at.value & maskOf(bits)) >>> 0) !== at.value ? { ip, prefixlen: bits } : undefined
  const inside = (local: string): boolean => {
    const a = parseIPv4(local)
    return !('error' in a) && inSubnet(a.value, at.value, bits)
  }
  const r = await ctx.look({ machine: name, script: `ip -j addr show dev ${shellQuote(iface)}`, timeoutMs: opts.timeoutMs, quick: true })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'ip addr', opts.timeoutMs)
  if (problem) return problem.missing ? invalidProbe(problem.sentence, evidence) : { holds: false, sentence: problem.sentence, evidence }
  const expected = exact ? `${iface} has ${cidr}` : `an IPv4 address of ${iface} inside ${cidr}`
  if (r.exitCode !== 0) {
    const missing = /does not exist/.test(r.stderr)
    return { holds: false, sentence: missing ? `${name} has no interface ${iface}` : `${name} could not list the addresses of ${iface}: ${r.stderr.trim()}`, expected, got: r.stderr.trim(), evidence }
  }
  let entries
  try {
    entries = parseIpAddr(r.stdout)
  } catch (e) {
    return invalidProbe(`${name} printed something ip -j should not: ${(e as Error).message}`, evidence)
  }
  const v4 = entries.flatMap((e) => e.addresses).filter((a) => a.family === 'inet')
  const has = v4.map((a) => `${a.local}/${a.prefixlen}`)
  const got = has.join(', ') || 'no IPv4 address'
  const hit = v4.find((a) => (exact ? a.local === exact.ip && a.prefixlen === exact.prefixlen : inside(a.local)))
  if (hit) {
    const sentence = exact ? `${name} ${iface} has ${hit.local}/${hit.prefixlen}` : `${name} ${iface} has ${hit.local}/${hit.prefixlen}, inside ${cidr}`
    return { holds: true, sentence, expected, got, evidence }
  }
  const it = has.length ? `it has ${has.join(', ')}` : 'it has none'
  const sentence = exact ? `${name} ${iface} does not have ${cidr} (${it})` : `${name} ${iface} has no IPv4 address inside ${cidr} (${it})`
  return { holds: false, sentence, expected, got, evidence }
}
