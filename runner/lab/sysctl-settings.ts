// The kernel settings of a lab host. A fresh network namespace has the
// kernel's defaults (rp_filter 0), while the machines tutorials are written
// on set others at boot through sysctl.d; a tutorial whose steps depend on
// them (reverse-path filtering dropping a reply) behaves otherwise in a lab
// host. So a lab host gets the settings of a distro — the lab's
// `sysctl: {defaults: …}`, Ubuntu's by default — then the lab's own.

import type { SysctlSetting } from './lab.js'
import { didYouMean, suggestion } from '../util/did-you-mean.js'

export type SysctlDistro = 'ubuntu' | 'debian' | 'centos' | 'kernel'

/** The distro whose settings a lab host has when the lab names none. */
export const DEFAULT_SYSCTL_DISTRO: SysctlDistro = 'ubuntu'

/**
 * The network settings each distro makes at boot, as a fresh install has
 * them (sysctl.d), that differ from the kernel's or that tutorials meet:
 * - ubuntu (20.04–24.04): systemd's 50-default.conf (loose reverse-path
 *   filtering on every interface, no source routing, secondary addresses
 *   promoted, ping for every group) and procps's 10-network-security.conf
 *   (loose filtering on `all` too);
 * - centos (CentOS Stream and RHEL 8, 9): systemd's file as Red Hat ships it,
 *   with strict reverse-path filtering;
 * - debian (12): the kernel's — Debian ships no 50-default.conf;
 * - kernel: none set: a new namespace as this machine's kernel makes it,
 *   which copies IPv4's conf/all and conf/default from the machine's own.
 * Every distro's set says forwarding is off, as on a fresh install: a new
 * namespace would otherwise copy the machine's (on a machine with Docker, on).
 * Only settings of a network namespace are here: the others (kernel.*,
 * fs.*, net.core.default_qdisc) are the machine's, not the lab host's.
 */
export const SYSCTL_DEFAULTS: Record<SysctlDistro, [string, string][]> = {
  ubuntu: [
    ['net.ipv4.ip_forward', '0'],
    ['net.ipv4.conf.default.rp_filter', '2'],
    ['net.ipv4.conf.all.rp_filter', '2'],
    ['net.ipv4.conf.default.accept_source_route', '0'],
    ['net.ipv4.conf.default.promote_secondaries', '1'],
    ['net.ipv4.ping_group_range', '0 2147483647'],
  ],
  debian: [
    ['net.ipv4.ip_forward', '0'],
    ['net.ipv4.conf.default.rp_filter', '0'],
    ['net.ipv4.conf.all.rp_filter', '0'],
  ],
  centos: [
    ['net.ipv4.ip_forward', '0'],
    ['net.ipv4.conf.default.rp_filter', '1'],
    ['net.ipv4.conf.all.rp_filter', '1'],
    ['net.ipv4.conf.default.accept_source_route', '0'],
    ['net.ipv4.conf.all.accept_source_route', '0'],
    ['net.ipv4.conf.default.promote_secondaries', '1'],
    ['net.ipv4.conf.all.promote_secondaries', '1'],
    ['net.ipv4.ping_group_range', '0 2147483647'],
  ],
  kernel: [],
}

export const SYSCTL_DISTROS = Object.keys(SYSCTL_DEFAULTS) as SysctlDistro[]

/** Settings every network namespace has of its own but that only the machine's may set. */
const MACHINE_ONLY = new Set(['net.core.default_qdisc', 'net.core.devconf_inherit_init_net', 'net.core.rmem_max', 'net.core.wmem_max', 'net.core.netdev_max_backlog', 'net.ipv4.tcp_available_congestion_control'])

/** The per-interface settings of net.ipv4.conf.IFACE (what a misspelling is compared with). */
const IPV4_CONF = [
  'accept_local', 'accept_redirects', 'accept_source_route', 'arp_accept', 'arp_announce', 'arp_evict_nocarrier', 'arp_filter',
  'arp_ignore', 'arp_notify', 'bc_forwarding', 'bootp_relay', 'disable_policy', 'disable_xfrm', 'drop_gratuitous_arp',
  'drop_unicast_in_l2_multicast', 'force_igmp_version', 'forwarding', 'igmpv2_unsolicited_report_interval',
  'igmpv3_unsolicited_report_interval', 'ignore_routes_with_linkdown', 'log_martians', 'mc_forwarding', 'medium_id',
  'promote_secondaries', 'proxy_arp', 'proxy_arp_pvlan', 'route_localnet', 'rp_filter', 'secure_redirects', 'send_redirects',
  'shared_media', 'src_valid_mark', 'tag',
]
/** Common settings directly under net.ipv4 (more exist: those are taken as written). */
const IPV4 = [
  'ip_forward', 'ip_default_ttl', 'ip_local_port_range', 'ip_nonlocal_bind', 'ip_unprivileged_port_start', 'ping_group_range',
  'icmp_echo_ignore_all', 'icmp_echo_ignore_broadcasts', 'icmp_ratelimit', 'icmp_ratemask', 'icmp_errors_use_inbound_ifaddr',
  'ip_forward_use_pmtu', 'ip_no_pmtu_disc', 'fwmark_reflect', 'tcp_syncookies', 'tcp_timestamps', 'tcp_congestion_control',
  'tcp_ecn', 'tcp_fin_timeout', 'tcp_keepalive_time', 'tcp_sack', 'tcp_window_scaling', 'tcp_tw_reuse', 'tcp_rmem', 'tcp_wmem',
  'udp_rmem_min', 'udp_wmem_min', 'route', 'neigh', 'conf', 'fib_multipath_hash_policy', 'fib_multipath_use_neigh',
]

export interface SysctlInput {
  /** The front matter's `sysctl` value. */
  value: unknown
  /** The line of a key of the map (or of `sysctl` itself). */
  lineOf: (key?: string) => number
  /** Interfaces the lab host has when it is built (its bridge, eth0 with an internet), besides lo. */
  interfaces: string[]
}

/** The lab host's settings from the front matter: the distro's, then the lab's own in order; or what is wrong, at its line. */
export function readSysctl(input: SysctlInput): { settings: SysctlSetting[]; problems: { line: number; message: string }[] } {
  const problems: { line: number; message: string }[] = []
  const v = input.value
  let distro: SysctlDistro = DEFAULT_SYSCTL_DISTRO
  const own: SysctlSetting[] = []
  if (v !== undefined && v !== null) {
    if (typeof v !== 'object' || Array.isArray(v)) {
      problems.push({ line: input.lineOf(), message: `sysctl is a map of settings, e.g. net.ipv4.conf.all.rp_filter: 1 (and defaults: ${SYSCTL_DISTROS.join(', ')}), not ${describe(v)}` })
    } else {
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        const line = input.lineOf(key)
        if (key === 'defaults') {
          if (typeof value === 'string' && (SYSCTL_DISTROS as string[]).includes(value)) distro = value as SysctlDistro
          else {
            const hint = typeof value === 'string' ? suggestion(value, SYSCTL_DISTROS) : ''
            problems.push({ line, message: `sysctl defaults is a distro whose settings the lab host starts with: ${SYSCTL_DISTROS.join(', ')}, not ${describe(value)}${hint}` })
          }
          continue
        }
        const keyProblem = sysctlKeyProblem(key, input.interfaces)
        if (keyProblem) {
          problems.push({ line, message: keyProblem })
          continue
        }
        if ((typeof value !== 'string' && typeof value !== 'number') || (typeof value === 'number' && !Number.isFinite(value))) {
          problems.push({ line, message: `the value of ${key} is a number or a few words, such as 1 or "32768 60999", not ${describe(value)}` })
          continue
        }
        const text = String(value).trim()
        if (text === '' || text.includes('\n')) {
          problems.push({ line, message: `the value of ${key} is a number or a few words on one line, not ${describe(value)}` })
          continue
        }
        own.push({ key, value: text.replace(/\s+/g, ' '), line })
      }
    }
  }
  const settings: SysctlSetting[] = SYSCTL_DEFAULTS[distro].filter(([k]) => !own.some((o) => o.key === k)).map(([key, value]) => ({ key, value }))
  return { settings: [...settings, ...own], problems }
}

/** What is wrong with a sysctl key for a lab host, if anything. */
export function sysctlKeyProblem(key: string, interfaces: string[] = []): string | undefined {
  if (!/^[A-Za-z0-9_.\/@:-]+$/.test(key) || key.includes('..') || key.startsWith('.') || key.endsWith('.')) {
    return `"${key}" is not a sysctl key: write it as sysctl does, e.g. net.ipv4.conf.all.rp_filter`
  }
  if (!key.startsWith('net.')) {
    const hint = didYouMean(key.split('.')[0]!, ['net']) === 'net' ? ` (did you mean "net.${key.split('.').slice(1).join('.')}"?)` : ''
    return `${key} is the machine's setting, not the lab host's: a lab host sets only net.* (each network namespace has its own)${hint}`
  }
  if (MACHINE_ONLY.has(key)) return `${key} is the machine's setting, not a network namespace's: a lab host cannot set it`
  const parts = key.split('.')
  if (parts[1] === 'ipv4' && parts[2] === 'conf') {
    const [iface, leaf, ...more] = parts.slice(3)
    if (!iface || !leaf || more.length) return `write net.ipv4.conf.IFACE.SETTING (IFACE all, default, lo${interfaces.length ? `, ${interfaces.join(', ')}` : ''}), not ${key}`
    const known = ['all', 'default', 'lo', ...interfaces]
    if (!known.includes(iface)) {
      const hint = suggestion(iface, known)
      return `the lab host has no interface ${iface} when it is built${hint || ` (it has ${known.slice(2).join(', ')})`}: set net.ipv4.conf.default.${leaf} (every interface made later starts with it), or set it in a step with sysctl -w`
    }
    if (!IPV4_CONF.includes(leaf)) {
      const hint = didYouMean(leaf, IPV4_CONF)
      if (hint) return `unknown setting ${key} (did you mean "net.ipv4.conf.${iface}.${hint}"?)`
    }
    return undefined
  }
  if (parts[1] === 'ipv4' && parts.length === 3 && !IPV4.includes(parts[2]!)) {
    const hint = didYouMean(parts[2]!, IPV4)
    if (hint) return `unknown setting ${key} (did you mean "net.ipv4.${hint}"?)`
  }
  if (!['ipv4', 'ipv6', 'core', 'netfilter', 'unix', 'mptcp', 'bridge', 'nf_conntrack_max'].includes(parts[1]!)) {
    const hint = didYouMean(parts[1]!, ['ipv4', 'ipv6', 'core', 'netfilter', 'unix', 'mptcp', 'bridge'])
    if (hint) return `unknown setting ${key} (did you mean "net.${hint}.${parts.slice(2).join('.')}"?)`
  }
  return undefined
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty'
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a map'
  return String(v)
}
