// What the lab host's scripts do for engine: docker (see sandbox-script.ts's
// EngineScript and docs/engines.md). The init lays the images into the lab's
// own /var/lib/docker before the lab starts; the lab's own init, pid 1 of
// the lab, mounts its cgroups, starts dockerd (which starts its containerd),
// runs the topology's containers with `docker run`, names their network
// namespaces in /run/netns as the netns engine does, and says `up`.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Container, Topology } from '../../lab/lab.js'
import { MACHINE_IMAGE } from '../../lab/docker-images.js'
import { NETNS_DIR, BIN_DIR } from '../sandbox-paths.js'
import { BUILD_TARS, CONTAINERD_CONFIG, CONTAINERD_SOCKET, DOCKER_DIR, DOCKER_SOCKET, DOCKERD_LOG, UP_TRACE } from './docker-paths.js'
import { CLOSE_FDS, defaultBuilder, UP_FIFO, type EngineScript } from '../sandbox-script.js'
import { perlRootBuilder, type RootMount, type RootPlan } from '../perl-root-builder.js'
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
  /** The lab host's hostname (perl's builder sets it again, to the same). */
  hostname: string
  /** Who mounts the lab's cgroups: one perl process (the default where perl is) or util-linux's programs. */
  builder?: 'perl' | 'util-linux'
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
    // nslab's containerd (started beside dockerd, not by it: its start overlaps dockerd's own).
    `--containerd=${CONTAINERD_SOCKET}`,
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
    beforeLab: (R) => [`echo "host-init $EPOCHREALTIME" >> ${UP_TRACE}`, ...imageLines(o, R), `echo "images $EPOCHREALTIME" >> ${UP_TRACE}`],
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
function imageLines(o: DockerHostOptions, R: string): string[] {
  const { images } = o
  const D = `${R}/var/lib/docker`
  const C = CACHE_MOUNT
  if (images.kind === 'none') return []
  if (images.kind === 'build') {
    // The builder's data root is the cache being made; the root file systems it imports lie beside it.
    return [`mount --bind ${C}/data ${D}`, `mkdir -p ${R}${BUILD_TARS}`, `mount --bind -o ro ${C}/tars ${R}${BUILD_TARS}`]
  }
  const layers = cacheLayers(images.dir)
  if (layers && (o.builder ?? defaultBuilder()) === 'perl') {
    // The layers known now (nslab reads the cache): one cp and one perl for some fifteen processes.
    const files = layers.flatMap((l) => l.files.map((f) => `overlay2/${l.id}/${f}`))
    const plan: RootPlan = {
      hostname: o.hostname,
      tmpfs: [],
      dirs: layers.map((l) => `${D}/overlay2/${l.id}/diff`),
      files: [],
      writes: [],
      links: [],
      mounts: layers.map((l) => ({ source: `${C}/data/overlay2/${l.id}/diff`, target: `${D}/overlay2/${l.id}/diff`, options: 'bind' })),
      netns: [],
    }
    return [
      `(cd ${C}/data && exec cp -a --parents image overlay2/l ${files.map(shellQuote).join(' ')} ${D}/)`,
      `perl - <<'NSLAB_PERL'\n${perlRootBuilder(plan)}NSLAB_PERL`,
    ]
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

/** The image layers of the cache and the files beside each one's diff/ (link, lower); undefined if it cannot be read. */
function cacheLayers(dir: string): { id: string; files: string[] }[] | undefined {
  try {
    const root = join(dir, 'data', 'overlay2')
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'l' && /^[0-9a-f]+$/.test(e.name))
      .map((e) => ({ id: e.name, files: readdirSync(join(root, e.name), { withFileTypes: true }).filter((f) => !f.isDirectory()).map((f) => f.name) }))
  } catch {
    return undefined
  }
}

/** The lab's own init's lines: cgroups, dockerd, the containers, their names in /run/netns. */
function labInitLines(o: DockerHostOptions): string[] {
  const L: string[] = []
  // Each phase's end, for bench/docker-bench.js and for a slow start's evidence ($EPOCHREALTIME: no process).
  L.push(`_t() { echo "$1 $EPOCHREALTIME" >> ${UP_TRACE}; }`, '_t lab-init')
  const fail = (what: string) => `{ echo "nslab: ${what}" >&2; tail -n 20 ${DOCKERD_LOG} >&2 2>/dev/null; exit 1; }`
  const perl = (o.builder ?? defaultBuilder()) === 'perl'
  // The lab's cgroups, as a machine of its own mounts them.
  if (o.cgroupVersion === 1) {
    const root = '/sys/fs/cgroup'
    const mounts: RootMount[] = o.hierarchies.map((h) => ({ source: 'cgroup', target: `${root}/${h.name}`, type: 'cgroup', options: `${h.options},nosuid,nodev,noexec` }))
    // Co-mounted controllers are found by each name too (cpu → cpu,cpuacct), as systemd links them.
    const links: [string, string][] = o.hierarchies.flatMap((h) => (h.name.includes(',') ? h.name.split(',').map((part): [string, string] => [h.name, `${root}/${part}`]) : []))
    if (perl) {
      // One process for some twenty (mkdir and mount for each hierarchy): seconds on a busy machine.
      const plan: RootPlan = { hostname: o.hostname, tmpfs: [[root, '755']], dirs: [...mounts.map((m) => m.target), ...ENGINE_DIRS], files: [], writes: engineFiles(), links, mounts, netns: [] }
      L.push(`perl - <<'NSLAB_PERL'\n${perlRootBuilder(plan)}NSLAB_PERL`)
    } else {
      L.push(`mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup ${root}`)
      L.push(`mkdir -p ${[...mounts.map((m) => m.target), ...ENGINE_DIRS].map(shellQuote).join(' ')}`, ...writeLines())
      for (const m of mounts) L.push(`mount -t cgroup -o ${m.options} cgroup ${shellQuote(m.target)}`)
      for (const [target, path] of links) L.push(`ln -s ${shellQuote(target)} ${shellQuote(path)}`)
    }
  } else {
    // v2: no processes where controllers are handed down; the lab's init moves to init/ first.
    L.push('mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup')
    L.push('mkdir /sys/fs/cgroup/init && echo 0 > /sys/fs/cgroup/init/cgroup.procs')
    L.push('for _c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo "+$_c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :; done; unset _c')
    L.push(`mkdir -p ${ENGINE_DIRS.join(' ')}`, ...writeLines())
  }
  L.push('_t cgroups')
  const path = `${o.iptables ? `${BIN_DIR}:` : ''}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`
  // containerd, then dockerd, both in the background (under /run/docker and /var/lib/docker, as dockerd
  // would start it): none of the machine's configuration.
  L.push(`(cd /; ${CLOSE_FDS}; exec env -i PATH=${path} HOME=/root LANG=C.UTF-8 containerd --config ${CONTAINERD_CONFIG} </dev/null >>${DOCKERD_LOG} 2>&1) &`)
  L.push(`(cd /; ${CLOSE_FDS}; exec env -i PATH=${path} HOME=/root LANG=C.UTF-8 dockerd ${dockerdArgs(o.topology).join(' ')} </dev/null >>${DOCKERD_LOG} 2>&1) &`)
  L.push('_dockerd=$!')
  L.push('_t dockerd-started')
  // Ready when it answers (its socket exists a while before that). Until the socket is there, no
  // process: a read with a time limit on a FIFO nobody writes is the wait (a curl and a sleep every
  // 20 ms are some 100 processes beside dockerd's start, on a machine with 2 CPUs).
  L.push(`mkfifo ${DOCKER_DIR}/tick && exec {_tick}<>${DOCKER_DIR}/tick`)
  L.push(`_n=0; until [ -S ${DOCKER_SOCKET} ] && curl -sf --max-time 2 --unix-socket ${DOCKER_SOCKET} http://docker/_ping >/dev/null 2>&1; do kill -0 $_dockerd 2>/dev/null || ${fail('dockerd ended as it started')}; _n=$((_n + 1)); [ $_n -lt ${o.daemonWaitS * 50} ] || ${fail(`dockerd did not answer within ${o.daemonWaitS} s`)}; read -r -t 0.02 -u "$_tick" _ || :; done; exec {_tick}<&-`)
  L.push('_t dockerd-answers')
  const { start, fillers } = startOrder(o.topology)
  const docker = `docker --host unix://${DOCKER_SOCKET}`
  for (const args of networkCreateArgs(o.topology)) {
    L.push(`${docker} ${args.map(shellQuote).join(' ')} >/dev/null || ${fail(`could not create the network ${args[args.length - 1]}`)}`)
    L.push(`_t ${shellQuote(`network-${args[args.length - 1]}`)}`)
  }
  // Then the containers whose first network is one of the lab's own: Docker takes --ip there.
  const own = o.topology.containers.filter((c) => !onMainBridge(c))
  if (start.length || own.length) {
    L.push(...apiLines(fail))
    // dockerd's `network connect` events: a container on the default network has its address once
    // its own has come, and the next may start then (the rest of a start, seconds, overlaps).
    L.push(`exec {_ev}< <(exec curl -sSN --unix-socket ${DOCKER_SOCKET} ${shellQuote(`http://docker/events?filters=${encodeURIComponent(JSON.stringify({ type: ['network'], event: ['connect'] }))}`)})`, '_evp=$!', '_jobs=()')
    for (const s of start) {
      const [name, body] = 'filler' in s ? [s.filler, createBody({ name: s.filler, ip: '', publish: [], line: 0 })] : [s.container.name, createBody(s.container)]
      L.push(`_start ${shellQuote(name)} ${shellQuote(JSON.stringify(body))} ordered`)
    }
    // With their addresses given (--ip), all at once.
    for (const c of own) L.push(`_start ${shellQuote(c.name)} ${shellQuote(JSON.stringify(createBody(c)))}`)
    L.push(`for _j in "\${_jobs[@]}"; do wait "$_j" || ${fail('could not start the containers')}; done`)
    L.push(`kill $_evp 2>/dev/null || :; exec {_ev}<&-; unset _ev _evp _jobs _j`)
    L.push('_t containers-started')
  }
  // Its other networks, in order: eth1, eth2, … as on nslab's own lab host.
  for (const c of o.topology.containers) {
    for (const j of c.networks?.slice(1) ?? []) {
      L.push(`${docker} network connect --ip ${j.ip} ${shellQuote(j.network)} ${shellQuote(c.name)} || ${fail(`could not connect ${c.name} to ${j.network}`)}`)
    }
  }
  if (fillers.length) {
    // (Not a plain `wait`: dockerd is a job of this shell too.)
    L.push(`_jobs=(); for _f in ${fillers.join(' ')}; do _api DELETE "/containers/$_f?force=1" >/dev/null & _jobs+=("$!"); done; for _j in "\${_jobs[@]}"; do wait "$_j" || :; done; unset _f _j _jobs`, '_t fillers-removed')
  }
  if (o.topology.containers.length) {
    // Each container's network namespace under its name, as `ip netns` and the netns engine name them:
    // the namespace of its process as dockerd says it is ("Pid" is State's; in a string it is escaped).
    const names = o.topology.containers.map((c) => shellQuote(c.name)).join(' ')
    L.push(
      `for _name in ${names}; do _j=$(_api GET "/containers/$_name/json") && [[ $_j =~ \\"Pid\\":([1-9][0-9]*) ]] && ` +
        `: > ${NETNS_DIR}/$_name && mount --bind /proc/\${BASH_REMATCH[1]}/ns/net ${NETNS_DIR}/$_name || ${fail('could not name the containers\' network namespaces')}; done; unset _name _j`,
    )
  }
  L.push('_t netns-named', 'unset _dockerd _n _tick')
  L.push(`echo up > ${UP_FIFO}`)
  return L
}

/** Folders the engine's files go in. */
const ENGINE_DIRS = [DOCKER_DIR, NETNS_DIR, CONTAINERD_SOCKET.slice(0, CONTAINERD_SOCKET.lastIndexOf('/'))]

/**
 * dockerd's daemon.json (empty: the machine's must not count) and containerd's configuration: what
 * dockerd 20.10 writes for the containerd it starts itself (its root and state below dockerd's, no
 * CRI), in containerd 1.6's version 2 and without the snapshotters dockerd does not use.
 */
function engineFiles(): { path: string; content: string }[] {
  const containerd = [
    'version = 2',
    'root = "/var/lib/docker/containerd/daemon"',
    'state = "/run/docker/containerd/daemon"',
    'oom_score = 0',
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]',
    '[grpc]',
    `  address = "${CONTAINERD_SOCKET}"`,
    '',
  ].join('\n')
  return [
    { path: `${DOCKER_DIR}/daemon.json`, content: '{}\n' },
    { path: CONTAINERD_CONFIG, content: containerd },
  ]
}

function writeLines(): string[] {
  return engineFiles().map((f) => `printf '%s' ${shellQuote(f.content)} > ${f.path}`)
}

/**
 * Bash functions that speak to dockerd's API with curl (a process of milliseconds, where each
 * `docker` command is a Go program of a few hundred): _api METHOD PATH [BODY] prints the answer,
 * or says it on stderr and fails; _start NAME BODY [ordered] creates a container and starts it in
 * the background (its job in _jobs), and with `ordered` waits until dockerd has given it its
 * address (its `network connect` event on descriptor $_ev), or its start has ended.
 */
function apiLines(fail: (what: string) => string): string[] {
  const curl = `curl -sS --fail-with-body --unix-socket ${DOCKER_SOCKET}`
  return [
    `_api() { local _o; if [ $# -gt 2 ]; then _o=$(${curl} -X "$1" -H 'Content-Type: application/json' --data-binary "$3" "http://docker$2" 2>&1); else _o=$(${curl} -X "$1" "http://docker$2" 2>&1); fi || { echo "nslab: dockerd: $1 $2: $_o" >&2; return 1; }; printf '%s' "$_o"; }`,
    `_start() { local _id _p _l _b=; _id=$(_api POST "/containers/create?name=$1" "$2") || ${fail('could not create the container $1')}; ` +
      `_id=\${_id#*\\"Id\\":\\"}; _id=\${_id%%\\"*}; _api POST "/containers/$_id/start" >/dev/null & _p=$!; _jobs+=("$_p"); [ "$3" = ordered ] || return 0; ` +
      // A line cut by the time limit is kept (read gives what it had) and completed by the next read.
      `while :; do if IFS= read -r -t 0.05 -u "$_ev" _l; then _l=$_b$_l; _b=; [[ $_l != *\\"container\\":\\"$_id\\"* ]] || return 0; ` +
      `elif [ $? -gt 128 ]; then _b=$_b$_l; kill -0 "$_p" 2>/dev/null || return 0; else wait "$_p" || :; return 0; fi; done; }`,
  ]
}

/** The body of dockerd's `POST /containers/create` for a container of the topology, as `docker run -d` sends it. */
export function createBody(c: Container): object {
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const p of c.publish) (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: String(p.hostPort) })
  const first = c.networks?.[0]
  const network = first && first.network !== 'bridge' ? first : undefined
  return {
    Image: MACHINE_IMAGE,
    Cmd: c.command ? ['sh', '-c', c.command] : ['sleep', '2147483647'],
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    Labels: {},
    ...(c.publish.length ? { ExposedPorts: Object.fromEntries(Object.keys(ports).map((k) => [k, {}])) } : {}),
    HostConfig: {
      NetworkMode: network ? network.network : 'default',
      PortBindings: ports,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      LogConfig: { Type: '', Config: {} },
    },
    NetworkingConfig: { EndpointsConfig: network ? { [network.network]: { IPAMConfig: { IPv4Address: network.ip } } } : {} },
  }
}
