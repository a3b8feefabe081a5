import IPCIDR from 'ip-cidr'
import { isIPv4 } from 'node:net'
import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { parseIpRoute, type IpRoute } from './parse-ip-route.js'
import type { ProbeOptions } from './probe-fn.js'

/**
 * `route NAME DEST via GW`: machine NAME routes DEST via GW.
 * - DEST `default` or a CIDR: the main table has a route for exactly that
 *   destination whose gateway (or one of whose next hops) is GW.
 * - DEST an address: the route the kernel picks for it (`ip route get`) goes via GW.
 * GW may be a machine's name (its address is used).
 */
export async function routeProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [name, dest, via, gwArg] = check.args
  if (check.args.length !== 4 || !name || !dest || via !== 'via' || !gwArg) {
    return invalidProbe('route needs a machine, a destination, "via" and a gateway: "route box1 default via 172.17.0.1"')
  }
  const gw = ctx.addressOf(gwArg, name, 'gateway') ?? gwArg
  if (!isIPv4(gw)) return invalidProbe(`"${gwArg}" is neither a machine of this lab nor an IPv4 address`)
  const gwText = gw === gwArg ? gw : `${gwArg} (${gw})`
  const kind = dest === 'default' ? 'table' : dest.includes('/') ? 'table' : 'get'
  let wanted: string | undefined
  if (dest === 'default') wanted = 'default'
  else if (kind === 'table') {
    const [ip, prefix] = dest.split('/')
    if (!ip || !isIPv4(ip) || !/^\d+$/.test(prefix ?? '') || Number(prefix) > 32) return invalidProbe(`"${dest}" is not default, an IPv4 address or a CIDR`)
    wanted = normalizeDst(dest)
  } else if (!isIPv4(dest)) return invalidProbe(`"${dest}" is not default, an IPv4 address or a CIDR`)
  const script = kind === 'get' ? `ip -j route get ${shellQuote(dest)}` : 'ip -j route show'
  const r = await ctx.look({ machine: name, script, timeoutMs: opts.timeoutMs })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'ip route', opts.timeoutMs)
  if (problem) return problem.missing ? invalidProbe(problem.sentence, evidence) : { holds: false, sentence: problem.sentence, evidence }
  const expected = `${dest} via ${gw}`
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().replace(/^RTNETLINK answers: /, '')
    return { holds: false, sentence: `${name} has no route to ${dest} (${why})`, expected, got: why, evidence }
  }
  let routes: IpRoute[]
  try {
    routes = parseIpRoute(r.stdout)
  } catch (e) {
    return invalidProbe(`${name} printed something ip -j should not: ${(e as Error).message}`, evidence)
  }
  const gateways = (x: IpRoute) => [x.gateway, ...x.nexthops.map((h) => h.gateway)].filter((g): g is string => !!g)
  const describe = (x: IpRoute) => {
    const g = gateways(x)
    return `${x.type && x.type !== 'unicast' ? `${x.type} ` : ''}${x.dst}${g.length ? ` via ${g.join(', ')}` : ''}${x.dev ? ` dev ${x.dev}` : ''}`
  }
  if (kind === 'get') {
    const x = routes[0]
    if (!x) return { holds: false, sentence: `${name} has no route to ${dest}`, expected, got: 'no route', evidence }
    const g = gateways(x)
    const got = describe(x)
    if (g.includes(gw)) return { holds: true, sentence: `${name} routes ${dest} via ${gwText}`, expected, got, evidence }
    const how = g.length ? `via ${g.join(', ')}` : x.type === 'local' ? 'to itself' : `directly out of ${x.dev ?? 'an interface'}`
    return { holds: false, sentence: `${name} routes ${dest} ${how}, not via ${gwText}`, expected, got, evidence }
  }
  const same = routes.filter((x) => normalizeDst(x.dst) === wanted)
  const got = routes.map(describe).join('; ') || 'no routes'
  if (same.some((x) => gateways(x).includes(gw))) return { holds: true, sentence: `${name} routes ${dest} via ${gwText}`, expected, got, evidence }
  if (same.length) {
    const x = same[0]!
    const g = gateways(x)
    const how = g.length ? `via ${g.join(', ')}` : `directly out of ${x.dev ?? 'an interface'}`
    return { holds: false, sentence: `${name} routes ${dest} ${how}, not via ${gwText}`, expected, got, evidence }
  }
  return { holds: false, sentence: `${name} has no route for ${dest} (its routes: ${got})`, expected, got, evidence }
}

/** "default", "0.0.0.0/0" → "default"; "10.0.0.1" → "10.0.0.1/32"; "10.1.2.3/8" → "10.0.0.0/8". */
function normalizeDst(dst: string): string {
  if (dst === 'default' || dst === '0.0.0.0/0') return 'default'
  const [ip, prefix] = dst.split('/')
  if (!ip || !isIPv4(ip)) return dst
  const p = prefix ?? '32'
  return `${new IPCIDR(`${ip}/${p}`).start<string>()}/${p}`
}
