// What the lab host's scripts do for engine: docker (see sandbox-script.ts's
// EngineScript and docs/engines.md). The init lays the images into the lab's
// own /var/lib/docker before the lab starts; the lab's own init, pid 1 of
// the lab, mounts its cgroups, starts dockerd (which starts its containerd),
// runs the topology's containers with `docker run`, names their network
// namespaces in /run/netns as the netns engine does, and says `up`.
import type { Container, Topology } from '../../lab/lab.js'
import { MACHINE_IMAGE } from '../../lab/docker-images.js'
import { NETNS_DIR, BIN_DIR } from '../sandbox-paths.js'
import { BUILD_TARS, DOCKER_DIR, DOCKER_SOCKET, DOCKERD_LOG } from './docker-paths.js'
import { CLOSE_FDS, UP_FIFO, type EngineScript } from '../sandbox-script.js'
import { shellQuote } from '../../util/shell-quote.js'
import type { CgroupHierarchy } from './docker-cgroups.js'

/**
 * Where the images come from: nslab's cache (read-only), the cache being built (its dockerd writes
 * it), or none. nslab binds the folder onto /mnt of a mount namespace of its own around the lab host
 * (CACHE_MOUNT), as root, read-only: the lab host's namespaces get it locked so (see
 * create-docker-sandbox.ts).
 */
export type ImageSource = { kind: 'cache' | 'build'; dir: string } | { kind: 'none' }

/** Where the lab host's init finds the images (in its own mount namespace; the lab's /mnt is a fresh one). */
export const CACHE_MOUNT = '/mnt'

export interface DockerHostOptions {
  topology: Topology
  cgroupVersion: 1 | 2
  hierarchies: CgroupHierarchy[]
  /** Descriptors (as the init gets them) of the lab cgroups' cgroup.procs. */
  labCgroupFds: number[]
  images: ImageSource
  /** The iptables back end put first on PATH (--iptables): dockerd uses it too. */
  iptables?: 'nft' | 'legacy'
  /** Longest wait for dockerd to answer, in seconds. */
  daemonWaitS: number
}


/** The dockerd command line for a topology: Docker's bridge and rules only where the lab has them. */
export function dockerdArgs(topology: Topology): string[] {
  const args = [
    `--config-file=${DOCKER_DIR}/daemon.json`,
    '--data-root=/var/lib/docker',
    '--exec-root=/run/docker',
    '--pidfile=/run/docker.pid',
    `--host=unix://${DOCKER_SOCKET}`,
    '--storage-driver=overlay2',
    // dockerd lowers its own OOM score by default: a lab host's root may not.
    '--oom-score-adjust=0',
  ]
  if (topology.docker) return [...args, ...(topology.icc === false ? ['--icc=false'] : []), ...(topology.userlandProxy === false ? ['--userland-proxy=false'] : [])]
  // No Docker network of the lab's (the netns engine would make none): no docker0, no rules.
  const off = ['--iptables=false', '--ip-masq=false', '--ip-forward=false']
  return topology.bridge ? [...args, `--bridge=${topology.bridge.name}`, ...off] : [...args, '--bridge=none', ...off]
}

/**
 * The order containers start in, and the fillers that hold addresses
 * meanwhile: Docker's default network hands each new container the lowest
 * free address, and takes no `--ip`; a topology's addresses are had by
 * starting the containers in address order with a filler on every free
 * address below the next one (removed once all are up).
 */
export function startOrder(topology: Topology): { start: ({ container: Container } | { filler: string })[]; fillers: string[] } {
  const bridge = topology.bridge
  if (!bridge) return { start: [], fillers: [] }
  const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
  const [net] = bridge.subnet.split('/')
  const first = toInt(net!) + 1
  const gateway = toInt(bridge.address)
  // Only docker0's: on a network of the lab's own, `docker run --ip` gives the address.
  const sorted = topology.containers.filter(onMainBridge).sort((a, b) => toInt(a.ip) - toInt(b.ip))
  const start: ({ container: Container } | { filler: string })[] = []
  const fillers: string[] = []
  let next = first
  for (const c of sorted) {
    const want = toInt(c.ip)
    for (; next < want; next++) {
      if (next === gateway) continue
      const name = `nslab-filler-${fillers.length + 1}`
      fillers.push(name)
      start.push({ filler: name })
    }
    start.push({ container: c })
    next = want + 1
  }
  return { start, fillers }
}

/** The container's first network is the lab's bridge (docker0), not a network of the lab's own. */
function onMainBridge(c: Container): boolean {
  return (c.networks?.[0]?.network ?? 'bridge') === 'bridge'
}

/** `docker network create` for each network of the topology, named as nslab's own lab host names its bridge. */
export function networkCreateArgs(topology: Topology): string[][] {
  return (topology.networks ?? []).map((n) => [
    'network', 'create',
    '--subnet', n.bridge.subnet,
    '--gateway', n.bridge.address,
    '-o', `com.docker.network.bridge.name=${n.bridge.name}`,
    ...(n.icc ? [] : ['-o', 'com.docker.network.bridge.enable_icc=false']),
    n.name,
  ])
}

/** At most this many fillers: past it a topology's addresses are too far apart to reach this way. */
export const MAX_FILLERS = 64

export function dockerHostScript(o: DockerHostOptions): EngineScript {
  return {
    keepFds: o.labCgroupFds,
    // /etc/docker too: dockerd writes its key there, and the machine's daemon.json must not count.
    scratch: ['/var/lib/docker', '/var/lib/containerd', '/etc/docker'],
    beforeLab: (R) => imageLines(o.images, R),
    launchLab: (initFile, R) => {
      // The lab's init joins lab/ of every hierarchy, then makes the lab's cgroup namespace there:
      // /sys/fs/cgroup inside shows lab/ as the root, and dockerd's cgroups go below it.
      const fds = o.labCgroupFds
      const join = fds.length ? `{ ${fds.map((fd) => `echo 0 >&${fd}`).join('; ')}; } || { echo "nslab: cannot join the lab's cgroups" >&2; exit 125; }; exec ${fds.map((fd) => `${fd}>&-`).join(' ')}; ` : ''
      const inner = `${join}exec unshare --cgroup -- bash --noprofile --norc ${initFile}`
      return `unshare --pid --mount --fork --kill-child --mount-proc=${R}/proc -- bash --noprofile --norc -c ${shellQuote(inner)}`
    },
    labInit: labInitLines(o),
  }
}

/**
 * The init's lines that give the lab's /var/lib/docker its images, before the lab starts. Docker's
 * metadata is copied (dockerd writes it); each image layer is the cache's own folder, bound in
 * read-only: the bind comes from a read-only mount that root made outside the lab's user namespace,
 * so the kernel keeps it read-only there (MNT_LOCK_READONLY): the lab, root of its namespace and
 * owner of the files, can neither remount it writable nor reach what is beneath.
 */
function imageLines(images: ImageSource, R: string): string[] {
  const D = `${R}/var/lib/docker`
  const C = CACHE_MOUNT
  if (images.kind === 'none') return []
  if (images.kind === 'build') {
    // The builder's data root is the cache being made; the root file systems it imports lie beside it.
    return [`mount --bind ${C}/data ${D}`, `mkdir -p ${R}${BUILD_TARS}`, `mount --bind -o ro ${C}/tars ${R}${BUILD_TARS}`]
  }
  return [
    `mkdir -p ${D}/overlay2`,
    `cp -a ${C}/data/image ${D}/ && cp -a ${C}/data/overlay2/l ${D}/overlay2/`,
    `for _d in ${C}/data/overlay2/*/; do _id=\${_d%/}; _id=\${_id##*/}; [ "$_id" != l ] || continue; ` +
      `mkdir ${D}/overlay2/$_id ${D}/overlay2/$_id/diff; ` +
      `for _f in ${C}/data/overlay2/$_id/*; do [ -d "$_f" ] || cp -a "$_f" ${D}/overlay2/$_id/; done; ` +
      `mount --bind ${C}/data/overlay2/$_id/diff ${D}/overlay2/$_id/diff; done; unset _d _id _f`,
  ]
}

/** The lab's own init's lines: cgroups, dockerd, the containers, their names in /run/netns. */
function labInitLines(o: DockerHostOptions): string[] {
  const L: string[] = []
  const fail = (what: string) => `{ echo "nslab: ${what}" >&2; tail -n 20 ${DOCKERD_LOG} >&2 2>/dev/null; exit 1; }`
  // The lab's cgroups, as a machine of its own mounts them.
  if (o.cgroupVersion === 1) {
    L.push('mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup /sys/fs/cgroup')
    for (const h of o.hierarchies) {
      L.push(`mkdir -p /sys/fs/cgroup/${h.name} && mount -t cgroup -o ${h.options},nosuid,nodev,noexec cgroup /sys/fs/cgroup/${shellQuote(h.name)}`)
      // Co-mounted controllers are found by each name too (cpu → cpu,cpuacct), as systemd links them.
      if (h.name.includes(',')) for (const part of h.name.split(',')) L.push(`ln -s ${shellQuote(h.name)} /sys/fs/cgroup/${part}`)
    }
  } else {
    // v2: no processes where controllers are handed down; the lab's init moves to init/ first.
    L.push('mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup')
    L.push('mkdir /sys/fs/cgroup/init && echo 0 > /sys/fs/cgroup/init/cgroup.procs')
    L.push('for _c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo "+$_c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :; done; unset _c')
  }
  L.push(`mkdir -p ${DOCKER_DIR} ${NETNS_DIR} && echo '{}' > ${DOCKER_DIR}/daemon.json`)
  const path = `${o.iptables ? `${BIN_DIR}:` : ''}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`
  // dockerd starts its own containerd (under /run/docker and /var/lib/docker): none of the machine's configuration.
  L.push(`(cd /; ${CLOSE_FDS}; exec env -i PATH=${path} HOME=/root LANG=C.UTF-8 dockerd ${dockerdArgs(o.topology).join(' ')} </dev/null >>${DOCKERD_LOG} 2>&1) &`)
  L.push('_dockerd=$!')
  // Ready when it answers (its socket exists a while before that).
  L.push(`_n=0; until curl -sf --max-time 2 --unix-socket ${DOCKER_SOCKET} http://docker/_ping >/dev/null 2>&1; do kill -0 $_dockerd 2>/dev/null || ${fail('dockerd ended as it started')}; _n=$((_n + 1)); [ $_n -lt ${o.daemonWaitS * 50} ] || ${fail(`dockerd did not answer within ${o.daemonWaitS} s`)}; sleep 0.02; done`)
  const { start, fillers } = startOrder(o.topology)
  const docker = `docker --host unix://${DOCKER_SOCKET}`
  for (const args of networkCreateArgs(o.topology)) {
    L.push(`${docker} ${args.map(shellQuote).join(' ')} >/dev/null || ${fail(`could not create the network ${args[args.length - 1]}`)}`)
  }
  // Then the containers whose first network is one of the lab's own: Docker takes --ip there.
  for (const c of o.topology.containers.filter((c) => !onMainBridge(c))) start.push({ container: c })
  for (const s of start) {
    if ('filler' in s) {
      L.push(`${docker} run -d --name ${s.filler} ${MACHINE_IMAGE} sleep 2147483647 >/dev/null || ${fail(`could not start a container (${s.filler})`)}`)
      continue
    }
    const c = s.container
    // A range's ports share one -p.
    const publish = [...new Set(c.publish.map((p) => p.spec))].map((spec) => `-p ${shellQuote(spec)}`).join(' ')
    const cmd = c.command ? `sh -c ${shellQuote(c.command)}` : 'sleep 2147483647'
    const first = c.networks?.[0]
    const network = first && first.network !== 'bridge' ? `--network ${shellQuote(first.network)} --ip ${first.ip} ` : ''
    L.push(`${docker} run -d --name ${shellQuote(c.name)} ${network}${publish} ${MACHINE_IMAGE} ${cmd} >/dev/null || ${fail(`could not start the container ${c.name}`)}`)
  }
  // Its other networks, in order: eth1, eth2, … as on nslab's own lab host.
  for (const c of o.topology.containers) {
    for (const j of c.networks?.slice(1) ?? []) {
      L.push(`${docker} network connect --ip ${j.ip} ${shellQuote(j.network)} ${shellQuote(c.name)} || ${fail(`could not connect ${c.name} to ${j.network}`)}`)
    }
  }
  if (fillers.length) L.push(`${docker} rm -f ${fillers.join(' ')} >/dev/null || :`)
  if (o.topology.containers.length) {
    // Each container's network namespace under its name, as `ip netns` and the netns engine name them.
    const names = o.topology.containers.map((c) => shellQuote(c.name)).join(' ')
    L.push(
      `${docker} inspect -f '{{.Name}} {{.State.Pid}}' ${names} | while read -r _name _pid; do _name=\${_name#/}; ` +
        `: > ${NETNS_DIR}/$_name && mount --bind /proc/$_pid/ns/net ${NETNS_DIR}/$_name || exit 1; done || ${fail('could not name the containers\' network namespaces')}`,
    )
  }
  L.push('unset _dockerd _n')
  L.push(`echo up > ${UP_FIFO}`)
  return L
}
