import { num, parseIpJson, str } from './parse-ip-json.js'

export interface IpAddress {
  family: 'inet' | 'inet6' | string
  local: string
  prefixlen: number
}

export interface IpAddrEntry {
  ifname: string
  operstate?: string
  master?: string
  addresses: IpAddress[]
}

/** Parse `ip -j addr show [dev IFACE]`. */
export function parseIpAddr(stdout: string): IpAddrEntry[] {
  return parseIpJson(stdout).map((o) => {
    const e: IpAddrEntry = { ifname: str(o.ifname) ?? '', addresses: [] }
    const operstate = str(o.operstate)
    if (operstate) e.operstate = operstate
    const master = str(o.master)
    if (master) e.master = master
    if (Array.isArray(o.addr_info)) {
      for (const a of o.addr_info as Record<string, unknown>[]) {
        const family = str(a?.family)
        const local = str(a?.local)
        const prefixlen = num(a?.prefixlen)
        if (family && local && prefixlen !== undefined) e.addresses.push({ family, local, prefixlen })
      }
    }
    return e
  })
}
