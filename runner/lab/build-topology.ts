// The topology of the front matter, checked and completed: the bridge, every
// container's address (handed out .2, .3, … as Docker does, skipping the ones
// the lab gives) and its published ports.

import type { Bridge, Container, Publish, Topology } from './lab.js'
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
}

export interface TopologyInput {
  docker: boolean
  dockerLine?: number
  bridge?: string
  bridgeLine?: number
  containers: ContainerInput[]
  containersLine?: number
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
  const taken = new Map<number, string>()
  if (bridge) {
    const b = parseIPv4ToNumber(bridge.address)
    taken.set(b, 'the bridge')
  }
  const hostPorts = new Map<string, string>()

  // Given addresses first: the handed-out ones skip them, whatever their order.
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
    if (bridge) {
      const net = parseCidr(bridge.subnet)
      if ('address' in net) {
        const broadcast = (net.address | ~maskOf(net.prefix)) >>> 0
        if (!inSubnet(r.value, net.address, net.prefix)) {
          problem(c.ipLine, `the ip of ${c.name}, ${c.ip}, is outside the bridge's subnet ${bridge.subnet}`)
          continue
        }
        if (r.value === net.address || r.value === broadcast) {
          problem(c.ipLine, `the ip of ${c.name}, ${c.ip}, is the ${r.value === net.address ? 'network' : 'broadcast'} address of ${bridge.subnet}: choose another`)
          continue
        }
      }
    }
    const owner = taken.get(r.value)
    if (owner !== undefined) {
      problem(c.ipLine, `the ip of ${c.name}, ${c.ip}, is ${owner === 'the bridge' ? "the bridge's own address" : `${owner}'s too`}`)
      continue
    }
    taken.set(r.value, c.name)
    given.set(c, r.value)
  }

  let next: number | undefined
  let last = 0
  if (bridge) {
    const net = parseCidr(bridge.subnet)
    if ('address' in net) {
      next = net.address + 1
      last = ((net.address | ~maskOf(net.prefix)) >>> 0) - 1
    }
  }

  for (const c of input.containers) {
    let ip = given.get(c)
    if (ip === undefined && c.ip === undefined && next !== undefined) {
      while (next <= last && taken.has(next)) next++
      if (next > last) {
        problem(c.line, `no address is left for ${c.name} in ${bridge!.subnet}`)
        next = undefined
      } else {
        ip = next
        taken.set(next, c.name)
        next++
      }
    }
    const publish: Publish[] = []
    for (const p of c.publish ?? []) {
      const parsed = readPublish(p.spec)
      if (typeof parsed === 'string') {
        problem(p.line, `bad publish "${p.spec}" for ${c.name}: ${parsed}`)
        continue
      }
      const hostKey = `${parsed.hostPort}/${parsed.protocol}`
      const other = hostPorts.get(hostKey)
      if (other !== undefined) problem(p.line, `host port ${hostKey} is published twice (by ${other} and ${c.name})`)
      else hostPorts.set(hostKey, c.name)
      publish.push(parsed)
    }
    if (publish.length > 0 && !input.docker) {
      problem(c.publish![0]!.line, `publish adds Docker's rules, so it needs docker: true in topology`)
    }
    if (c.command !== undefined && c.command.trim() === '') problem(c.commandLine, `the command of ${c.name} is empty`)
    const container: Container = { name: c.name, ip: ip === undefined ? '' : formatIPv4(ip), publish, line: c.line }
    if (c.command !== undefined) container.command = c.command
    containers.push(container)
  }

  const topology: Topology = { docker: input.docker, containers, internet: input.internet }
  if (bridge) topology.bridge = bridge
  return { topology, problems }
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

/** "8080:80", "8080:80/tcp", "53:53/udp" as `docker run -p` takes them. */
function readPublish(spec: string): Publish | string {
  const m = /^(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(spec)
  if (!m) {
    if (/^[^:]+:\d+:\d+/.test(spec)) return 'nslab publishes on every address of the host: write "HOST:CONTAINER", e.g. "8080:80"'
    return 'write "HOST:CONTAINER" (ports), e.g. "8080:80", "8080:80/tcp" or "53:53/udp"'
  }
  const hostPort = Number(m[1])
  const containerPort = Number(m[2])
  for (const port of [hostPort, containerPort]) {
    if (port < 1 || port > 65535) return `port ${port} is out of range (1 to 65535)`
  }
  return { hostPort, containerPort, protocol: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp', spec }
}
