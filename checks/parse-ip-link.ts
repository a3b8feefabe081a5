import { parseIpJson, str } from './parse-ip-json.js'

export interface IpLinkEntry {
  ifname: string
  /** The bridge (or bond …) this link is a port of. */
  master?: string
  operstate?: string
  flags: string[]
  /** With -d: "bridge", "veth" … */
  kind?: string
}

/** Parse `ip -j [-d] link show [dev IFACE]`. */
export function parseIpLink(stdout: string): IpLinkEntry[] {
  return parseIpJson(stdout).map((o) => {
    const e: IpLinkEntry = { ifname: str(o.ifname) ?? '', flags: Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [] }
    const master = str(o.master)
    if (master) e.master = master
    const operstate = str(o.operstate)
    if (operstate) e.operstate = operstate
    const info = o.linkinfo as Record<string, unknown> | undefined
    const kind = str(info?.info_kind)
    if (kind) e.kind = kind
    return e
  })
}
