import { parseIpJson, str } from './parse-ip-json.js'

export interface IpRoute {
  /** "default", "172.17.0.0/16", or a bare address for a host route. */
  dst: string
  /** unicast (unset in ip's JSON), local, unreachable, blackhole … */
  type?: string
  gateway?: string
  dev?: string
  prefsrc?: string
  /** Multipath routes: one gateway per next hop. */
  nexthops: { gateway?: string; dev?: string }[]
}

/** Parse `ip -j route show …` and `ip -j route get ADDR`. */
export function parseIpRoute(stdout: string): IpRoute[] {
  return parseIpJson(stdout).map((o) => {
    const r: IpRoute = { dst: str(o.dst) ?? '', nexthops: [] }
    for (const k of ['type', 'gateway', 'dev', 'prefsrc'] as const) {
      const v = str(o[k])
      if (v) r[k] = v
    }
    if (Array.isArray(o.nexthops)) {
      for (const h of o.nexthops as Record<string, unknown>[]) {
        const hop: { gateway?: string; dev?: string } = {}
        const g = str(h?.gateway)
        const d = str(h?.dev)
        if (g) hop.gateway = g
        if (d) hop.dev = d
        r.nexthops.push(hop)
      }
    }
    return r
  })
}
