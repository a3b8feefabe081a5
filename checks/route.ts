import { isIPv4 } from 'node:net'
import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import { formatIPv4, maskOf, parseIPv4 } from '../runner/lab/parse-ipv4.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { parseIpRoute, type IpRoute } from './parse-ip-route.js'
import { machineAddress } from './machine-address.js'
import type { ProbeOptions } from './probe-fn.js'

/**
 * `route NAME DEST via GW`, `route NAME DEST dev IFACE`, `route NAME DEST via GW dev IFACE`:
 * machine NAME routes DEST via GW, out of IFACE (with `dev` alone: directly, no gateway).
 * - DEST `default` or a CIDR: the main table has a route for exactly that
 *   destination with that gateway (or one of its next hops) and device.
 * - DEST an address: the route the kernel picks for it (`ip route get`).
 * GW may be a machine's name (its address on the link, as NAME reaches it).
 */
export async function routeProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [name, dest, ...rest] = check.args
  const viaAt = rest[0] === 'via' ? 0 : -1
  const devAt = rest.indexOf('dev')
  const gwArg = viaAt === 0 ? rest[1] : undefined
  const dev = devAt >= 0 ? rest[devAt + 1] : undefined
  const shapeOk = (rest.length === 2 && (gwArg !== undefined || dev !== undefined)) || (rest.length === 4 && gwArg !== undefined && devAt === 2 && dev !== undefined)
  if (!name || !dest || !shapeOk) {
    return invalidProbe('route needs a machine, a destination, and "via GW" or "dev IFACE" (or both): "route box1 default via 172.17.0.1", "route host 172.18.0.10 dev veth0"')
  }
  let gw: string | undefined
  if (gwArg !== undefined) {
    gw = (await machineAddress(ctx, gwArg, name, 'gateway')) ?? gwArg
    if (!isIPv4(gw)) return invalidProbe(`"${gwArg}" is neither a machine of this lab nor an IPv4 address`)
  }
  const gwText = gw === undefined ? '' : gw === gwArg ? gw : `${gwArg} (${gw})`
  const kind = dest === 'default' ? 'table' : dest.includes('/') ? 'table' : 'get'
  let wanted: string | undefined
  if (dest === 'default') wanted = 'default'
  else if (kind === 'table') {
    const [ip, prefix] = dest.split('/')
    if (!ip || !isIPv4(ip) || !/^\d+$/.test(prefix ?? '') || Number(prefix) > 32) return invalidProbe(`"${dest}" is not default, an IPv4 address or a CIDR`)
    wanted = normalizeDst(dest)
  } else if (!isIPv4(dest)) return invalidProbe(`"${dest}" is not default, an IPv4 address or a CIDR`)
  const script = kind === 'get' ? `ip -j route get ${shellQuote(dest)}` : 'ip -j route show'
  const r = await ctx.look({ machine: name, script, timeoutMs: opts.timeoutMs, quick: true })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'ip route', opts.timeoutMs)
  if (problem) return problem.missing ? invalidProbe(problem.sentence, evidence) : { holds: false, sentence: problem.sentence, evidence }
  /** How the check says the route goes: "via 172.17.0.1", "directly out of veth0", "via 172.17.0.1 out of eth0". */
  const how = gw !== undefined ? `via ${gwText}${dev !== undefined ? ` out of ${dev}` : ''}` : `directly out of ${dev}`
  const expected = `${dest} ${gw !== undefined ? `via ${gw}${dev !== undefined ? ` dev ${dev}` : ''}` : `dev ${dev}`}`
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
  const hops = (x: IpRoute) => (x.nexthops.length ? x.nexthops.map((h) => ({ gateway: h.gateway, dev: h.dev ?? x.dev })) : [{ gateway: x.gateway, dev: x.dev }])
  const gateways = (x: IpRoute) => hops(x).map((h) => h.gateway).filter((g): g is string => !!g)
  /** One next hop as the check asks: the gateway (when asked), the device (when asked), and no gateway for dev alone. */
  const fits = (x: IpRoute) => hops(x).some((h) => (gw !== undefined ? h.gateway === gw : !h.gateway) && (dev === undefined || h.dev === dev))
  const describe = (x: IpRoute) => {
    const g = gateways(x)
    return `${x.type && x.type !== 'unicast' ? `${x.type} ` : ''}${x.dst}${g.length ? ` via ${g.join(', ')}` : ''}${x.dev ? ` dev ${x.dev}` : ''}`
  }
  const actually = (x: IpRoute) => {
    const g = gateways(x)
    if (g.length) return `via ${g.join(', ')}${dev !== undefined && x.dev ? ` out of ${x.dev}` : ''}`
    return x.type === 'local' ? 'to itself' : `directly out of ${x.dev ?? 'an interface'}`
  }
  if (kind === 'get') {
    const x = routes[0]
    if (!x) return { holds: false, sentence: `${name} has no route to ${dest}`, expected, got: 'no route', evidence }
    const got = describe(x)
    if (fits(x) && x.type !== 'local') return { holds: true, sentence: `${name} routes ${dest} ${how}`, expected, got, evidence }
    return { holds: false, sentence: `${name} routes ${dest} ${actually(x)}, not ${how}`, expected, got, evidence }
  }
  const same = routes.filter((x) => normalizeDst(x.dst) === wanted)
  const got = routes.map(describe).join('; ') || 'no routes'
  if (same.some(fits)) return { holds: true, sentence: `${name} routes ${dest} ${how}`, expected, got, evidence }
  if (same.length) return { holds: false, sentence: `${name} routes ${dest} ${actually(same[0]!)}, not ${how}`, expected, got, evidence }
  return { holds: false, sentence: `${name} has no route for ${dest} (its routes: ${got})`, expected, got, evidence }
}

/** "default", "0.0.0.0/0" → "default"; "10.0.0.1" → "10.0.0.1/32"; "10.1.2.3/8" → "10.0.0.0/8". */
function normalizeDst(dst: string): string {
  if (dst === 'default' || dst === '0.0.0.0/0') return 'default'
  const [ip, prefix] = dst.split('/')
  if (!ip || !isIPv4(ip)) return dst
  const p = prefix ?? '32'
  const at = parseIPv4(ip)
  if ('error' in at || !/^\d{1,2}$/.test(p) || Number(p) > 32) return dst
  return `${formatIPv4((at.value & maskOf(Number(p))) >>> 0)}/${p}`
}
