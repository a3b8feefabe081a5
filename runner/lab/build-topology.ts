// The topology of the front matter, checked and completed: the bridge, every
// container's address (handed out .2, .3, … as Docker does, skipping the ones
// the lab gives) and its published ports.

import type { Attachment, Bridge, Container, Network, Publish, Topology } from './lab.js'
import { suggestion } from '../util/did-you-mean.js'
import { sha256Hex } from '../util/sha256-hex.js'
import { formatIPv4, inSubnet, maskOf, parseCidr, parseIPv4 } from './parse-ipv4.js'
import { interfaceNameProblem } from './parse-check.js'

export interface ContainerInput {
  name: string
  /** Line of the container's name. */
  line: number
  ip?: string
  ipLine?: number
  publish?: { spec: string; line: number }[]
  command?: string
  commandLine?: number
  /** The networks it names (`networks: [front, back]`), in order; absent: the lab's bridge. */
  networks?: { name: string; line: number }[]
  networksLine?: number
}

export interface NetworkInput {
  name: string
  /** Line of the network's name. */
  line: number
  subnet?: string
  subnetLine?: number
  icc?: boolean
}

export interface TopologyInput {
  docker: boolean
  dockerLine?: number
  /** docker0's icc (dockerd --icc). */
  icc?: boolean
  iccLine?: number
  /** dockerd --userland-proxy. */
  userlandProxy?: boolean
  userlandProxyLine?: number
  bridge?: string
  bridgeLine?: number
  containers: ContainerInput[]
  containersLine?: number
  networks?: NetworkInput[]
  networksLine?: number
  /** Every name under networks, also of the networks that have mistakes: a container naming one is not told it is unknown. */
  networkNames?: string[]
  internet: boolean
  /** The topology has unknown keys: a misspelt `docker` must not also read as "no bridge". */
  unsure?: boolean
}

export interface Located {
  line: number
  message: string
}

/** Names the lab already uses for machines of its own. */
const RESERVED = new Set(['host', 'internet'])
const CONTAINER_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/

/** What the internet host of a lab answers on: a bridge must not overlap these. */
const INTERNET_NETS: [string, number, number][] = [
  ['198.51.100.0/24', parseIPv4ToNumber('198.51.100.0'), 24],
  ['203.0.113.0/24', parseIPv4ToNumber('203.0.113.0'), 24],
]

function parseIPv4ToNumber(s: string): number {
  const r = parseIPv4(s)
  return 'value' in r ? r.value : 0
}

export const DOCKER_BRIDGE: Bridge = { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' }

export function buildTopology(input: TopologyInput, frontMatterLine: number): { topology: Topology; problems: Located[] } {
  const problems: Located[] = []
  const problem = (line: number | undefined, message: string) => problems.push({ line: line ?? frontMatterLine, message })

  let bridge: Bridge | undefined
  if (input.docker) bridge = DOCKER_BRIDGE
  if (input.bridge !== undefined) {
    if (input.docker) {
      problem(input.bridgeLine, 'bridge and docker: true both name the bridge (docker: true means docker0 172.17.0.1/16): drop one of them')
    } else {
      bridge = readBridge(input.bridge, input.internet, (m) => problem(input.bridgeLine, m))
    }
  }

  const containers: Container[] = []
  if (input.containers.length > 0 && !bridge && input.bridge === undefined && !input.unsure) {
    problem(input.containersLine, 'containers need a bridge: add docker: true (docker0, 172.17.0.1/16) or bridge: "br0 172.17.0.1/16" to topology')
  }

  const byName = new Map<string, number>()
  for (const c of input.containers) {
    if (!CONTAINER_NAME.test(c.name)) {
      problem(c.line, `bad container name "${c.name}": a name is letters, digits, -, _ and ., starting with a letter (at most 32)`)
    } else if (RESERVED.has(c.name)) {
      problem(c.line, `a container cannot be called "${c.name}": ${c.name === 'host' ? 'host is the lab host' : 'internet is the host outside the lab'}`)
    }
    const first = byName.get(c.name)
    if (first !== undefined) {
      problem(c.line, `two containers are named "${c.name}"${first === c.line ? '' : ` (the other is on line ${first})`}`)
    }
    else byName.set(c.name, c.line)
  }

  // The address pools: the lab's bridge (docker0 is "bridge", as Docker names its network), then each network.
  const networks = readNetworks(input, bridge, problem)
  const pools = new Map<string, Pool>()
  if (bridge) pools.set(MAIN, poolOf(bridge, 'the bridge'))
  for (const n of networks) pools.set(n.name, poolOf(n.bridge, `${n.name}'s gateway`))

  // Which networks each container is on: its own list, or the lab's bridge.
  const joins = new Map<ContainerInput, string[]>()
  for (const c of input.containers) {
    if (c.networks === undefined) {
      joins.set(c, bridge ? [MAIN] : [])
      continue
    }
    const names: string[] = []
    const known = [...(input.docker ? [MAIN] : []), ...networks.map((n) => n.name)]
    if (!input.docker) {
      problem(c.networksLine, `networks are Docker's (docker network create), so they need docker: true in topology`)
      joins.set(c, [])
      continue
    }
    if (c.networks.length === 0) problem(c.networksLine, `${c.name} is on no network: list at least one, or leave networks out (docker0)`)
    for (const [i, n] of c.networks.entries()) {
      if (!known.includes(n.name)) {
        // A network declared with a mistake of its own is reported there, not again here.
        if (input.networkNames?.includes(n.name) !== true) {
          problem(n.line, `unknown network "${n.name}" for ${c.name}${suggestion(n.name, known) || (networks.length ? `; the lab's networks are ${known.join(', ')}` : ': declare it under networks in topology')}`)
        }
        continue
      }
      if (names.includes(n.name)) {
        problem(n.line, `${c.name} is on ${n.name} twice`)
        continue
      }
      if (n.name === MAIN && i > 0) {
        // Docker hands out docker0's addresses itself on `docker network connect bridge` (no --ip there).
        problem(n.line, `bridge (docker0) can only be ${c.name}'s first network: Docker chooses the address of a container it connects to docker0 later`)
        continue
      }
      names.push(n.name)
    }
    joins.set(c, names)
  }

  // Given addresses first (on a container's first network): the handed-out ones skip them, whatever their order.
  const given = new Map<ContainerInput, number>()
  for (const c of input.containers) {
    if (c.ip === undefined) continue
    if (c.ip.includes('/')) {
      problem(c.ipLine, `write the ip of ${c.name} without a prefix length, e.g. ${c.ip.split('/')[0]}: the bridge's subnet gives it`)
      continue
    }
    const r = parseIPv4(c.ip)
    if ('error' in r) {
      problem(c.ipLine, `bad ip for ${c.name}: ${r.error}`)
      continue
    }
    const on = joins.get(c)?.[0]
    const pool = on === undefined ? undefined : pools.get(on)
    if (pool) {
      const where = on === MAIN ? `the bridge's subnet ${pool.bridge.subnet}` : `${on}'s subnet ${pool.bridge.subnet}`
      if (!inSubnet(r.value, pool.net, pool.prefix)) {
        problem(c.ipLine, `the ip of ${c.name}, ${c.ip}, is outside ${where}`)
        continue
      }
      if (r.value === pool.net || r.value === pool.last + 1) {
        problem(c.ipLine, `the ip of ${c.name}, ${c.ip}, is the ${r.value === pool.net ? 'network' : 'broadcast'} address of ${pool.bridge.subnet}: choose another`)
        continue
      }
      const owner = pool.taken.get(r.value)
      if (owner !== undefined) {
        problem(c.ipLine, `the ip of ${c.name}, ${c.ip}, is ${owner === pool.self ? (on === MAIN ? "the bridge's own address" : `${owner}`) : `${owner}'s too`}`)
        continue
      }
      pool.taken.set(r.value, c.name)
    }
    given.set(c, r.value)
  }

  const hostPorts = new Map<string, string>()
  for (const c of input.containers) {
    const attachments: Attachment[] = []
    for (const [i, on] of (joins.get(c) ?? []).entries()) {
      const pool = pools.get(on)!
      let ip = i === 0 ? given.get(c) : undefined
      if (ip === undefined && !(i === 0 && c.ip !== undefined)) {
        while (pool.next <= pool.last && pool.taken.has(pool.next)) pool.next++
        if (pool.next > pool.last) problem(c.line, `no address is left for ${c.name} in ${pool.bridge.subnet}`)
        else {
          ip = pool.next
          pool.taken.set(ip, c.name)
          pool.next++
        }
      }
      if (ip !== undefined) attachments.push({ network: on === MAIN ? 'bridge' : on, ip: formatIPv4(ip) })
    }
    const publish: Publish[] = []
    for (const p of c.publish ?? []) {
      const ports = readPublish(p.spec)
      if (typeof ports === 'string') {
        problem(p.line, `bad publish "${p.spec}" for ${c.name}: ${ports}`)
        continue
      }
      for (const parsed of ports) {
        const hostKey = `${parsed.hostPort}/${parsed.protocol}`
        const other = hostPorts.get(hostKey)
        if (other !== undefined) problem(p.line, `host port ${hostKey} is published twice (by ${other} and ${c.name})`)
        else hostPorts.set(hostKey, c.name)
        publish.push(parsed)
      }
    }
    if (publish.length > 0 && !input.docker) {
      problem(c.publish![0]!.line, `publish adds Docker's rules, so it needs docker: true in topology`)
    }
    if (c.command !== undefined && c.command.trim() === '') problem(c.commandLine, `the command of ${c.name} is empty`)
    const container: Container = { name: c.name, ip: attachments[0]?.ip ?? '', publish, line: c.line }
    if (c.networks !== undefined) container.networks = attachments
    if (c.command !== undefined) container.command = c.command
    containers.push(container)
  }

  const topology: Topology = { docker: input.docker, containers, internet: input.internet }
  if (bridge) topology.bridge = bridge
  if (input.icc === false) {
    if (input.docker) topology.icc = false
    else problem(input.iccLine, "icc: false is docker0's (dockerd --icc=false), so it needs docker: true; for a network of the lab's, write icc: false under that network")
  }
  if (input.userlandProxy === false) {
    if (input.docker) topology.userlandProxy = false
    else problem(input.userlandProxyLine, 'userland-proxy: false is dockerd\'s (--userland-proxy=false), so it needs docker: true')
  }
  if (networks.length) topology.networks = networks
  return { topology, problems }
}

/** The pool key of the lab's own bridge (docker0 or `bridge:`). */
const MAIN = 'bridge'

interface Pool {
  bridge: Bridge
  net: number
  prefix: number
  /** The last address containers may have (the broadcast address's one below). */
  last: number
  next: number
  taken: Map<number, string>
  /** What the bridge's own address is called in messages. */
  self: string
}

function poolOf(bridge: Bridge, self: string): Pool {
  const c = parseCidr(bridge.subnet)
  const net = 'address' in c ? c.address : 0
  const prefix = 'prefix' in c ? c.prefix : 32
  const pool: Pool = { bridge, net, prefix, last: ((net | ~maskOf(prefix)) >>> 0) - 1, next: net + 1, taken: new Map(), self }
  pool.taken.set(parseIPv4ToNumber(bridge.address), self)
  return pool
}

const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/
/** Docker's own networks: not names a lab may create. */
const DOCKER_NETWORKS = new Set(['bridge', 'host', 'none'])

/**
 * The bridge nslab names for a network: br- and 12 hex digits, as Docker names it, but of the
 * network's name (sha256), not of an id Docker draws at random: the same on every lab host and on
 * both engines (engine: docker passes it as com.docker.network.bridge.name).
 */
export function networkBridgeName(name: string): string {
  return `br-${sha256Hex(name).slice(0, 12)}`
}

/** The lab's networks, checked; those without a subnet get the next free 172.N.0.0/16 from 172.18, as Docker hands them out. */
function readNetworks(input: TopologyInput, bridge: Bridge | undefined, problem: (line: number | undefined, m: string) => void): Network[] {
  const out: Network[] = []
  const list = input.networks ?? []
  if (list.length && !input.docker) {
    problem(input.networksLine, 'networks are Docker\'s user-defined bridges (docker network create), so they need docker: true in topology')
    return out
  }
  const used: { net: number; prefix: number; label: string }[] = []
  if (bridge) {
    const c = parseCidr(bridge.subnet)
    if ('address' in c) used.push({ net: c.address, prefix: c.prefix, label: `${bridge.name}'s ${bridge.subnet}` })
  }
  if (input.internet) for (const [label, net, p] of INTERNET_NETS) used.push({ net, prefix: p, label: `the internet's ${label}` })
  const overlap = (net: number, prefix: number) => used.find((u) => inSubnet(net, u.net, Math.min(prefix, u.prefix)))
  const seen = new Map<string, number>()
  const explicit: NetworkInput[] = []
  for (const n of list) {
    if (!NETWORK_NAME.test(n.name)) {
      problem(n.line, `bad network name "${n.name}": a name is letters, digits, -, _ and ., starting with a letter or digit`)
      continue
    }
    if (DOCKER_NETWORKS.has(n.name)) {
      problem(n.line, `a network cannot be called "${n.name}": Docker has a network of that name${n.name === 'bridge' ? ' (docker0)' : ''}`)
      continue
    }
    const first = seen.get(n.name)
    if (first !== undefined) {
      problem(n.line, `two networks are named "${n.name}" (the other is on line ${first})`)
      continue
    }
    seen.set(n.name, n.line)
    if (n.subnet !== undefined) explicit.push(n)
  }
  const subnets = new Map<NetworkInput, { net: number; prefix: number }>()
  for (const n of explicit) {
    const c = parseCidr(n.subnet!)
    if ('error' in c) {
      problem(n.subnetLine, `bad subnet for ${n.name}: ${c.error}`)
      continue
    }
    const net = (c.address & maskOf(c.prefix)) >>> 0
    if (net !== c.address) {
      problem(n.subnetLine, `the subnet of ${n.name} is written with its network address, e.g. ${formatIPv4(net)}/${c.prefix}, not ${n.subnet}`)
      continue
    }
    if (c.prefix > 30 || c.prefix < 8) {
      problem(n.subnetLine, `the subnet of ${n.name}, ${n.subnet}, ${c.prefix > 30 ? 'has no room for containers: use a prefix length of 30 or less' : 'is too big: use a prefix length of 8 or more'}`)
      continue
    }
    const o = overlap(net, c.prefix)
    if (o) {
      problem(n.subnetLine, `the subnet of ${n.name}, ${n.subnet}, overlaps ${o.label}: choose another`)
      continue
    }
    used.push({ net, prefix: c.prefix, label: `${n.name}'s ${n.subnet}` })
    subnets.set(n, { net, prefix: c.prefix })
  }
  let second = 18
  for (const n of list) {
    if (!NETWORK_NAME.test(n.name) || DOCKER_NETWORKS.has(n.name) || seen.get(n.name) !== n.line) continue
    let s = subnets.get(n)
    if (!s && n.subnet === undefined) {
      while (second < 32 && overlap(((172 << 24) | (second << 16)) >>> 0, 16)) second++
      if (second >= 32) {
        problem(n.line, `no 172.N.0.0/16 is left for ${n.name}: give it a subnet`)
        continue
      }
      s = { net: ((172 << 24) | (second << 16)) >>> 0, prefix: 16 }
      used.push({ ...s, label: `${n.name}'s ${formatIPv4(s.net)}/16` })
    }
    if (!s) continue
    const b: Bridge = { name: networkBridgeName(n.name), address: formatIPv4(s.net + 1), prefix: s.prefix, subnet: `${formatIPv4(s.net)}/${s.prefix}` }
    out.push({ name: n.name, bridge: b, icc: n.icc !== false, line: n.line })
  }
  return out
}

function readBridge(spec: string, internet: boolean, problem: (m: string) => void): Bridge | undefined {
  const words = spec.trim().split(/\s+/)
  if (words.length !== 2) {
    problem(`bridge is "NAME CIDR", e.g. "br0 172.17.0.1/16", not "${spec}"`)
    return undefined
  }
  const [name, cidr] = words as [string, string]
  const nameProblem = interfaceNameProblem(name, 'bridge name')
  if (nameProblem) {
    problem(nameProblem)
    return undefined
  }
  if (name === 'lo' || name === 'eth0') {
    problem(`a bridge cannot be called ${name}: the lab host has its own ${name}`)
    return undefined
  }
  const c = parseCidr(cidr)
  if ('error' in c) {
    problem(`bad bridge address: ${c.error}`)
    return undefined
  }
  if (c.prefix > 30) {
    problem(`the bridge's subnet ${cidr} has no room for containers: use a prefix length of 30 or less`)
    return undefined
  }
  const mask = maskOf(c.prefix)
  const net = (c.address & mask) >>> 0
  const broadcast = (net | ~mask) >>> 0
  const subnet = `${formatIPv4(net)}/${c.prefix}`
  if (c.address === net || c.address === broadcast) {
    problem(`the bridge needs an address of its own in ${subnet}, e.g. ${formatIPv4(net + 1)}/${c.prefix}, not its ${c.address === net ? 'network' : 'broadcast'} address`)
    return undefined
  }
  if (internet) {
    for (const [label, inet, p] of INTERNET_NETS) {
      const shorter = Math.min(p, c.prefix)
      if (inSubnet(net, inet, shorter)) {
        problem(`the bridge's subnet ${subnet} overlaps the internet's ${label}: choose another`)
        return undefined
      }
    }
  }
  return { name, address: formatIPv4(c.address), prefix: c.prefix, subnet }
}

/**
 * "8080:80", "8080:80/tcp", "53:53/udp", "127.0.0.1:8080:80", "8080-8081:80-81" as `docker run -p`
 * takes them: one Publish per port (a range is its ports, pair by pair).
 */
function readPublish(spec: string): Publish[] | string {
  const m = /^(?:([^:]+):)?(\d{1,5})(?:-(\d{1,5}))?:(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp))?$/.exec(spec)
  if (!m) {
    if (/\/\w+$/.test(spec) && !/\/(tcp|udp)$/.test(spec)) return `the protocol is tcp or udp${suggestion(spec.replace(/^.*\//, ''), ['tcp', 'udp'])}`
    return 'write "HOST:CONTAINER" (ports, or ranges of as many ports), e.g. "8080:80", "8080:80/tcp", "53:53/udp" or "8080-8081:80-81"'
  }
  const [hostFirst, hostLast, containerFirst, containerLast] = [m[2], m[3] ?? m[2], m[4], m[5] ?? m[4]].map(Number) as [number, number, number, number]
  for (const port of [hostFirst, hostLast, containerFirst, containerLast]) {
    if (port < 1 || port > 65535) return `port ${port} is out of range (1 to 65535)`
  }
  if (hostLast < hostFirst || containerLast < containerFirst) return `a range goes from the lower port to the higher, e.g. "8080-8081:80-81"`
  if (m[5] === undefined && m[3] !== undefined) return `a range of host ports for one container port lets Docker pick one of them when the container starts: write one host port, e.g. "${hostFirst}:${containerFirst}"`
  if (hostLast - hostFirst !== containerLast - containerFirst) return `the host range has ${hostLast - hostFirst + 1} ports and the container's ${containerLast - containerFirst + 1}: give both as many`
  let hostIp: string | undefined
  if (m[1] !== undefined) {
    const ip = parseIPv4(m[1])
    if ('error' in ip) return `the host address: ${ip.error}`
    // 0.0.0.0 is every address: Docker writes the rules as for none.
    if (ip.value !== 0) hostIp = formatIPv4(ip.value)
  }
  const protocol = (m[6] as 'tcp' | 'udp' | undefined) ?? 'tcp'
  return Array.from({ length: hostLast - hostFirst + 1 }, (_, i) => ({ hostPort: hostFirst + i, containerPort: containerFirst + i, protocol, spec, ...(hostIp ? { hostIp } : {}) }))
}
