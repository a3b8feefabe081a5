import type { Attachment, Bridge, Container, Publish, Topology } from '../lab/lab.js'

// The nat and filter rules Docker Engine 20.10's bridge driver installs on a
// fresh host, in the order it installs them, as iptables-restore input.
// Source and a captured iptables-save: test/fixtures/docker-20.10/, and for
// user-defined networks and the publish variants
// test/fixtures/docker-20.10-networks/ (captured from the real dockerd by its
// capture.mjs). What the captures show dockerd does:
// - each network it creates (docker0 first, then each `docker network create`)
//   inserts its rules at the top of their place: its MASQUERADE, its DOCKER
//   RETURN, its FORWARD block and its two isolation rules come before the older
//   networks', so the newest network is first and docker0 last;
// - a network with icc off has no `-i BR -o BR -j ACCEPT` in its block; its
//   `-j DROP` is appended to FORWARD instead, after every block;
// - a published port appends its three rules (hairpin MASQUERADE, DNAT, the
//   DOCKER ACCEPT), container by container as they start; a host address
//   ("127.0.0.1:8080:80") adds `-d ADDR/32` to the DNAT, `/udp` makes them udp;
//   a rule already there is not added again. Several -p of one container (a
//   range is several) are written by host port, highest first, whatever the
//   command line's order (dockerd sorts its port map so);
// - a container on several networks publishes through the one whose name sorts
//   first (its gateway endpoint, as its default route): `docker network connect`
//   to such a network deletes the ports' rules and appends them anew, naming
//   that network's bridge and the container's address there;
// - with --userland-proxy=false (no docker-proxy), the host's own connections to
//   a published port are DNATed too: OUTPUT sends 127.0.0.0/8 to DOCKER as well,
//   DOCKER has no `-i BR -j RETURN`, the DNATs no `! -i BR`, and each bridge
//   masquerades what the host itself sends out of it (`--src-type LOCAL`), which
//   the kernel routes only with the bridge's route_localnet on (set by the lab
//   host, as dockerd sets it).

interface Net {
  bridge: Bridge
  icc: boolean
}

/** The rules for a topology with docker: true (its bridge is docker0). */
export function dockerRules(topology: Topology): string {
  const docker0 = topology.bridge!
  const nets: Net[] = [{ bridge: docker0, icc: topology.icc !== false }, ...(topology.networks ?? []).map((n) => ({ bridge: n.bridge, icc: n.icc }))]
  const byName = new Map<string, Bridge>([['bridge', docker0], ...(topology.networks ?? []).map((n) => [n.name, n.bridge] as [string, Bridge])])
  const newestFirst = [...nets].reverse()
  const proxy = topology.userlandProxy !== false

  const nat: string[] = [
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    proxy ? '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER' : '-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER',
    ...newestFirst.flatMap((n) => [
      ...(proxy ? [] : [`-A POSTROUTING -o ${n.bridge.name} -m addrtype --src-type LOCAL -j MASQUERADE`]),
      `-A POSTROUTING -s ${n.bridge.subnet} ! -o ${n.bridge.name} -j MASQUERADE`,
    ]),
  ]
  const natDocker: string[] = proxy ? newestFirst.map((n) => `-A DOCKER -i ${n.bridge.name} -j RETURN`) : []
  const forward: string[] = ['-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-ISOLATION-STAGE-1']
  for (const { bridge: { name: br }, icc } of newestFirst) {
    forward.push(
      `-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A FORWARD -o ${br} -j DOCKER`,
      `-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`,
    )
    if (icc) forward.push(`-A FORWARD -i ${br} -o ${br} -j ACCEPT`)
  }
  for (const n of nets) if (!n.icc) forward.push(`-A FORWARD -i ${n.bridge.name} -o ${n.bridge.name} -j DROP`)

  const filterDocker: string[] = []
  for (const c of publishOrder(topology)) {
    const at = gatewayAttachment(c)
    const on = byName.get(at.network) ?? docker0
    for (const p of dockerdPortOrder(c.publish)) {
      // dockerd appends a rule only where the chain lacks it (`iptables -C` first): two -p of one
      // container port share their MASQUERADE and ACCEPT.
      const r = publishRules(on.name, at.ip, p, proxy)
      for (const [list, rule] of [[nat, r.masquerade], [natDocker, r.dnat], [filterDocker, r.accept]] as const) {
        if (!list.includes(rule)) list.push(rule)
      }
    }
  }
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ...nat,
    ...natDocker,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
    ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
    ':DOCKER-USER - [0:0]',
    ...forward,
    ...filterDocker,
    ...newestFirst.map((n) => `-A DOCKER-ISOLATION-STAGE-1 -i ${n.bridge.name} ! -o ${n.bridge.name} -j DOCKER-ISOLATION-STAGE-2`),
    '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    ...newestFirst.map((n) => `-A DOCKER-ISOLATION-STAGE-2 -o ${n.bridge.name} -j DROP`),
    '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
    '',
  ].join('\n')
}

/**
 * A container's published ports in the order dockerd writes their rules: by host port, highest
 * first (captured: -p 8080:80 -p 9090:90 -p 7070:70/udp -p 127.0.0.1:6060:60 gives 9090, 8080,
 * 7070, 6060; 8080-8081:80-81 gives 8081, 8080), then by container port and protocol, highest first.
 */
export function dockerdPortOrder(publish: Publish[]): Publish[] {
  return [...publish].sort((a, b) => b.hostPort - a.hostPort || b.containerPort - a.containerPort || (a.protocol === b.protocol ? 0 : a.protocol === 'udp' ? -1 : 1))
}

/** The three rules `docker run -p` adds for one port of a container at `ip` on bridge `br`. */
function publishRules(br: string, ip: string, p: Publish, proxy: boolean): { masquerade: string; dnat: string; accept: string } {
  const proto = `-p ${p.protocol} -m ${p.protocol}`
  const dest = p.hostIp ? `-d ${p.hostIp}/32 ` : ''
  return {
    masquerade: `-A POSTROUTING -s ${ip}/32 -d ${ip}/32 ${proto} --dport ${p.containerPort} -j MASQUERADE`,
    dnat: `-A DOCKER ${dest}${proxy ? `! -i ${br} ` : ''}${proto} --dport ${p.hostPort} -j DNAT --to-destination ${ip}:${p.containerPort}`,
    accept: `-A DOCKER -d ${ip}/32 ! -i ${br} -o ${br} ${proto} --dport ${p.containerPort} -j ACCEPT`,
  }
}

/**
 * The network a container's published ports go through: its gateway endpoint, the network whose name
 * sorts first (docker0's is "bridge"), as its default route. Not the one it was created on: each
 * `docker network connect` that brings a network sorting first moves the ports there (captured:
 * publish-connect-second, `--network front` then `connect back`, DNATs to back's address).
 */
export function gatewayAttachment(c: Container): Attachment {
  const joins = c.networks?.length ? c.networks : [{ network: 'bridge', ip: c.ip }]
  return joins.reduce((a, b) => (b.network < a.network ? b : a))
}

/**
 * The order of the containers' published ports' rules: the order engine: docker starts the
 * containers in (docker/docker-host-script.ts), docker0's in address order (Docker hands its
 * addresses out in turn), then those whose first network is a user-defined one, as listed; then,
 * moved to the end, those whose ports `docker network connect` moved to another network (all
 * connects come after all starts, container by container as listed): dockerd deletes the rules of
 * the old endpoint and appends the new one's (captured: publish-moved-order).
 */
export function publishOrder(topology: Topology): Container[] {
  const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
  const onDocker0 = (c: Container) => (c.networks?.[0]?.network ?? 'bridge') === 'bridge'
  const started = [
    ...topology.containers.filter(onDocker0).sort((a, b) => toInt(a.ip) - toInt(b.ip)),
    ...topology.containers.filter((c) => !onDocker0(c)),
  ]
  const moved = (c: Container) => gatewayAttachment(c).network !== (c.networks?.[0]?.network ?? 'bridge')
  return [...started.filter((c) => !moved(c)), ...topology.containers.filter(moved)]
}
