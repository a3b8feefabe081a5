import type { Bridge, Topology } from '../lab/lab.js'
import { HIDDEN_NS_DIR, NETNS_DIR } from './sandbox-paths.js'

/**
 * One step of a lab host's network, as `ip` would be told it (ipLine), so
 * that the network is one plan whoever builds it: `ip -batch` processes, or
 * perl speaking netlink (perl-network-builder).
 */
export type NetOp =
  | { op: 'up'; dev: string }
  | { op: 'bridge'; name: string }
  /** A network namespace of a container's: `ip netns add NAME` (its file is /run/netns/NAME). */
  | { op: 'netns'; name: string }
  /** A veth pair whose peer goes into the namespace `ns` (a container's name, or a namespace file's path). */
  | { op: 'veth'; name: string; peer: string; ns: string }
  /** Into a bridge, and up. */
  | { op: 'master'; dev: string; master: string }
  | { op: 'mac'; dev: string; mac: string }
  | { op: 'addr'; dev: string; ip: string; prefix: number }
  | { op: 'default'; via: string }

/** A machine's own steps, done in its network namespace (`file`). */
export interface MachineNet {
  name: string
  file: string
  ops: NetOp[]
}

/** The lab host's network: the host's steps first (they make the machines' namespaces and links), then each machine's. */
export interface NetworkPlan {
  host: NetOp[]
  /** The containers', then the internet machine's. */
  machines: MachineNet[]
}

export const INTERNET = { hostAddress: '198.51.100.2', address: '198.51.100.1', prefix: 24, outside: '203.0.113.10' }

/** Host-side veth names as Docker makes them: "veth" and 7 hex digits. */
export function vethName(): string {
  // Math.random, not node:crypto: a name, not a secret, and `nslab check` need not load crypto.
  return `veth${Math.floor(Math.random() * 0x10000000).toString(16).padStart(7, '0')}`
}

/** Docker's MAC for a container address: 02:42 and the address's four bytes. */
export function dockerMac(ip: string): string {
  return ['02', '42', ...ip.split('.').map((n) => Number(n).toString(16).padStart(2, '0'))].join(':')
}

/**
 * The network of a lab host. With an engine (engine: docker) the engine makes Docker's bridge,
 * the containers and their links: the plan has only a bridge of the lab's own, if any.
 */
export function networkPlan(topology: Topology, engine = false): NetworkPlan {
  const host: NetOp[] = [{ op: 'up', dev: 'lo' }]
  const machines: MachineNet[] = []
  const bridge = topology.bridge
  if (bridge && engine) {
    // The engine makes docker0 itself; a bridge of the lab's own it is given, made here.
    if (!topology.docker) host.push(...bridgeOps(bridge))
  } else if (bridge) {
    const bridges = new Map<string, Bridge>([['bridge', bridge], ...(topology.networks ?? []).map((n) => [n.name, n.bridge] as [string, Bridge])])
    for (const b of bridges.values()) host.push(...bridgeOps(b))
    for (const c of topology.containers) {
      host.push({ op: 'netns', name: c.name })
      const inside: NetOp[] = [{ op: 'up', dev: 'lo' }]
      // eth0, eth1, … in the order the container joins its networks, as Docker names them.
      const joins = c.networks ?? [{ network: 'bridge', ip: c.ip }]
      joins.forEach((j, i) => {
        const b = bridges.get(j.network)!
        const veth = vethName()
        host.push({ op: 'veth', name: veth, peer: `eth${i}`, ns: c.name }, { op: 'master', dev: veth, master: b.name })
        inside.push({ op: 'mac', dev: `eth${i}`, mac: dockerMac(j.ip) }, { op: 'addr', dev: `eth${i}`, ip: j.ip, prefix: b.prefix }, { op: 'up', dev: `eth${i}` })
      })
      // Docker's default gateway is the network whose name sorts first (docker0's is "bridge").
      const gw = [...joins].sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0))[0]
      if (gw) inside.push({ op: 'default', via: bridges.get(gw.network)!.address })
      machines.push({ name: c.name, file: `${NETNS_DIR}/${c.name}`, ops: inside })
    }
  }
  if (topology.internet) {
    // The host's end of the link to the internet machine, made and addressed with the rest of the host.
    const file = `${HIDDEN_NS_DIR}/internet`
    host.push(
      { op: 'veth', name: 'eth0', peer: 'eth0', ns: file },
      { op: 'addr', dev: 'eth0', ip: INTERNET.hostAddress, prefix: INTERNET.prefix },
      { op: 'up', dev: 'eth0' },
      { op: 'default', via: INTERNET.address },
    )
    machines.push({
      name: 'internet',
      file,
      ops: [
        { op: 'up', dev: 'lo' },
        { op: 'addr', dev: 'eth0', ip: INTERNET.address, prefix: INTERNET.prefix },
        { op: 'addr', dev: 'lo', ip: INTERNET.outside, prefix: 32 },
        { op: 'up', dev: 'eth0' },
      ],
    })
  }
  return { host, machines }
}

function bridgeOps(b: Bridge): NetOp[] {
  return [{ op: 'bridge', name: b.name }, { op: 'addr', dev: b.name, ip: b.address, prefix: b.prefix }, { op: 'up', dev: b.name }]
}

/** The step as a line of `ip -batch`. */
export function ipLine(o: NetOp): string {
  switch (o.op) {
    case 'up':
      return `link set ${o.dev} up`
    case 'bridge':
      return `link add ${o.name} type bridge`
    case 'netns':
      return `netns add ${o.name}`
    case 'veth':
      return `link add ${o.name} type veth peer name ${o.peer} netns ${o.ns}`
    case 'master':
      return `link set ${o.dev} master ${o.master} up`
    case 'mac':
      return `link set ${o.dev} address ${o.mac}`
    case 'addr':
      return `addr add ${o.ip}/${o.prefix} dev ${o.dev}`
    case 'default':
      return `route add default via ${o.via}`
  }
}
