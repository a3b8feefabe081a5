import { lstatSync, readlinkSync, statSync } from 'node:fs'
import { dockerRules } from './docker-rules.js'
import type { Topology } from '../lab/lab.js'
import { BIN_DIR, HIDDEN_NS_DIR, LOG_DIR, NETNS_DIR, SANDBOX_DIR, anchorFd } from './sandbox-paths.js'
import { shellQuote } from '../util/shell-quote.js'
import { inherited, ipScript, SUDO_SCRIPT, SYSCTL_NS_SCRIPT, sysctlPath } from './lab-host-programs.js'
import { findProgram } from './require-programs.js'
import { perlBuilderArch, perlRootBuilder, type RootMount, type RootPlan } from './perl-root-builder.js'
import { INTERNET, ipLine, networkPlan } from './network-plan.js'
import { perlNetworkBuilder } from './perl-network-builder.js'
import { perlLabHostInit, type PerlInitParts } from './perl-lab-host-init.js'
import { limitsShell, type LimitsPlan } from './lab-limits.js'

export interface SandboxScriptOptions {
  topology: Topology
  /** Make `iptables` the legacy or nft back end inside the sandbox; default: the machine's own. */
  iptables?: 'nft' | 'legacy'
  /** The back end `iptables-restore` is, when known (iptablesBackend): nf_tables' rules load first. */
  backend?: 'nft' | 'legacy'
  /** Keep running until SIGTERM (learner mode) instead of until stdin closes. */
  persistent: boolean
  hostname: string
  /** What runs first, before anything of the lab: joining the lab's cgroups, its rlimits (lab-limits' plan). */
  limits?: LimitsPlan
  /** What of the machine's root the lab sees (machineLayout; given in tests). */
  machine?: MachineLayout
  /** A real Docker Engine builds the bridge, the containers and the rules (engine: docker). */
  engine?: EngineScript
  /**
   * Who builds the lab's root and starts its init: one perl process each (perl-root-builder), or
   * util-linux's programs one by one. Default: perl where it is (and the architecture is known).
   */
  builder?: 'perl' | 'util-linux'
}

/** The default builder: perl where this machine has it and nslab knows the architecture's syscalls. */
export function defaultBuilder(): 'perl' | 'util-linux' {
  // NSLAB_SANDBOX_BUILDER=util-linux: the other way, for tests and benchmarks.
  const asked = process.env.NSLAB_SANDBOX_BUILDER
  if (asked === 'util-linux' || !perlBuilderArch()) return 'util-linux'
  // Looked for once a process: every lab host's start asks.
  hasPerl ??= findProgram('perl') !== undefined
  return hasPerl ? 'perl' : 'util-linux'
}

let hasPerl: boolean | undefined

/**
 * What a lab host whose containers a real engine makes (docker/docker-host-script.ts) changes:
 * the init builds no bridge of Docker's, no container and no rule; the engine's lines do, in the
 * lab's own init, then say `up` into UP_FIFO, and the init takes hold of the containers'
 * namespaces (as it does of its own) before it says `ready`.
 */
export interface EngineScript {
  /** Inherited descriptors the init keeps open past its first lines (its own lines close them). */
  keepFds: number[]
  /** Folders of the lab's root made fresh scratch places, besides the usual ones. */
  scratch: string[]
  /** The init's lines once the lab's root is whole, before the lab's own init starts; `root` is where that root is. */
  beforeLab(root: string): string[]
  /** The command that starts the lab's own init (bash FILE), in place of the plain unshare. */
  launchLab(initFile: string, root: string): string
  /** The lab's own init's lines, in its root: start the engine and the containers, then `echo up > UP_FIFO`. */
  labInit: string[]
}

/** The FIFO the lab's own init reads first, started by perl's launcher: the init writes it once the lab may start. */
const GO_FIFO = `${SANDBOX_DIR}/go`

/** Where a lab's own init says the engine and the containers are up (engine: docker). */
export const UP_FIFO = `${SANDBOX_DIR}/up`

/** The parts of this machine's root file system a lab host shows. */
export interface MachineLayout {
  /** Folders shown behind an overlay: etc, usr, var, opt where they are folders. */
  overlays: string[]
  /** Folders under /var made fresh scratch places (where they exist). */
  varScratch: string[]
  /** Device nodes bound in from the machine's /dev. */
  devices: string[]
  /** Top-level links as they are (bin -> usr/bin): [name, target]. */
  links: [string, string][]
  /** Where the machine's ip is (/usr/sbin/ip on Debian, /usr/bin/ip elsewhere). */
  ip?: string
  /** /etc/resolv.conf is a file (not a link to a resolver's, which the lab host has not): the lab host's covers it. */
  resolvConf?: boolean
}

let layout: MachineLayout | undefined

/** This machine's layout, read once per process (a few stat calls). */
export function machineLayout(): MachineLayout {
  if (layout) return layout
  const isDir = (p: string) => {
    try {
      return lstatSync(p).isDirectory()
    } catch {
      return false
    }
  }
  const links: [string, string][] = []
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    try {
      if (lstatSync(`/${name}`).isSymbolicLink()) links.push([name, readlinkSync(`/${name}`)])
    } catch {
      // absent
    }
  }
  const chr = (p: string) => {
    try {
      return statSync(p).isCharacterDevice()
    } catch {
      return false
    }
  }
  layout = {
    overlays: ['etc', 'usr', 'var', 'opt'].filter((d) => isDir(`/${d}`)),
    varScratch: ['/var/tmp', '/var/log', '/var/mail', '/var/spool', '/var/lib/nginx'].filter(isDir),
    devices: ['null', 'zero', 'full', 'random', 'urandom', 'tty'].filter((d) => chr(`/dev/${d}`)),
    links,
  }
  const ip = ['/usr/sbin/ip', '/usr/bin/ip', '/sbin/ip', '/bin/ip'].find((p) => {
    try {
      return statSync(p).isFile()
    } catch {
      return false
    }
  })
  if (ip) layout.ip = ip
  try {
    if (lstatSync('/etc/resolv.conf').isFile()) layout.resolvConf = true
  } catch {
    // none: the lab host has none either
  }
  if (chr('/dev/net/tun')) layout.devices.push('net/tun')
  return layout
}

/** The address each machine name stands for inside the sandbox. */
export function machineAddresses(topology: Topology): Map<string, string> {
  const m = new Map<string, string>()
  m.set('host', topology.bridge?.address ?? (topology.internet ? INTERNET.hostAddress : '127.0.0.1'))
  for (const c of topology.containers) m.set(c.name, c.ip)
  if (topology.internet) m.set('internet', INTERNET.outside)
  return m
}

/**
 * Close every descriptor above 2 that a shell inherited (from whoever started
 * nslab: `nslab run 201>file`), so that nothing of the lab can write to it.
 * No redirection on the loop: bash would park fd 2 on a high fd meanwhile.
 */
export const CLOSE_FDS = closeFdsBut([])

/** CLOSE_FDS, sparing these descriptors (the init of an engine's lab host keeps a few a while). */
export function closeFdsBut(keep: number[]): string {
  const spare = keep.map((fd) => ` [ "$_f" = ${fd} ] ||`).join('')
  return `for _f in /proc/self/fd/*; do _f=\${_f##*/}; [ "$_f" -le 2 ] || [ "$_f" = 255 ] ||${spare} [ ! -e /proc/self/fd/$_f ] || exec {_f}>&-; done; unset _f`
}

/** Where the lab's own root is assembled, in the init's mount namespace (its /tmp, made private there). */
const ROOT = '/tmp'

/**
 * The script the lab host's init runs (pid 1 of the outer pid namespace, in
 * the lab's user namespace and the host's network namespace). It builds the
 * lab's root file system, the topology, then starts the lab's own init in a
 * nested pid namespace and a mount namespace of its own, rooted in that file
 * system (pivot_root, the machine's tree detached): nothing the lab unmounts
 * uncovers anything of the machine, and nothing of nslab's (this init, the
 * outer unshare) is in the lab's pid namespace to be seen, signalled or
 * traced. Then it waits. When it ends, the kernel ends every process of the
 * sandbox and frees its namespaces and mounts: that is the teardown.
 *
 * It is read by bash from a pipe (fd 3), not from its command line: a lab's
 * container commands may be large, and nothing of a lab belongs in the
 * machine's /proc/PID/cmdline.
 */
export function sandboxScript(opts: SandboxScriptOptions): string {
  return initOf(opts, false).text
}

/** A lab host's init: its program, and what runs it (bash reads a script, perl a program; both on fd 3). */
export interface LabHostInit {
  shell: 'bash' | 'perl'
  text: string
}

/**
 * The lab host's init as its fastest program: one perl process (perl-lab-host-init) where perl
 * builds the root and launches the lab (not an engine's lab host), else sandboxScript's bash.
 */
export function labHostInit(opts: SandboxScriptOptions): LabHostInit {
  return initOf(opts, true)
}

function initOf(opts: SandboxScriptOptions, perlInit: boolean): LabHostInit {
  const { topology } = opts
  const s: string[] = []
  const bridge = topology.bridge
  const waits: string[] = []
  // The script's pipe (bash reads its own copy, fd 255) and anything inherited go first.
  s.push(opts.limits ? limitsShell(opts.limits) : '')
  const engine = opts.engine
  s.push(engine ? closeFdsBut(engine.keepFds) : CLOSE_FDS)
  s.push('set -e')
  s.push('cd /')
  // The work runs in parallel where it can: iptables-restore with nf_tables
  // mostly waits on the kernel, and each `ip` or `mount` is a process of its own.
  const docker: string[] = []
  const rulesFirst = opts.backend === 'nft'
  let rules: PerlInitParts['rules']
  if (topology.docker && bridge && !engine) {
    // Docker's rules are the longest single piece of the lab host (20–35 ms with nf_tables): they
    // need only this network namespace, and with iptables-legacy a /run of the sandbox's own (it
    // takes its lock there), so they start first, or as soon as that /run exists.
    const restore = opts.iptables ? `/usr/sbin/iptables-${opts.iptables}-restore` : 'iptables-restore'
    const text = dockerRules(topology)
    rules = { restore, text: text.endsWith('\n') ? text : `${text}\n`, first: rulesFirst }
    docker.push('echo 1 > /proc/sys/net/ipv4/ip_forward')
    docker.push(fed(restore, text, '&'))
    docker.push('P_ipt=$!')
    waits.push('$P_ipt')
  }
  if (rulesFirst) s.push(...docker)
  const R = ROOT
  const O = SANDBOX_DIR
  const m = opts.machine ?? machineLayout()
  // perl builds the root in one process; the lab's own init is then launched by perl as well,
  // except an engine's, which starts its own way.
  const perl = (opts.builder ?? defaultBuilder()) === 'perl'
  // perl's builder also leaves the launcher of the lab's own init waiting (not an engine's, which starts its own).
  const launcher = perl && !engine
  const dirs = [`${O}/ns`, NETNS_DIR, LOG_DIR, '/run/lock', BIN_DIR]
  const mounts: RootMount[] = []
  const fs = (source: string, target: string, type: string | undefined, options: string) => mounts.push({ source, target, ...(type ? { type } : {}), options })
  // The machine's system folders behind a throwaway layer: writes land in an upper layer inside /run.
  for (const d of m.overlays) {
    dirs.push(`${R}/${d}`, `${O}/upper/${d}`, `${O}/work/${d}`)
    fs('overlay', `${R}/${d}`, 'overlay', `lowerdir=/${d},upperdir=${O}/upper/${d},workdir=${O}/work/${d}`)
  }
  // Fresh scratch places. The machine's root owns these, and the lab's root is
  // not the machine's: files there could not be copied up. A user's home, mail
  // and spool are theirs, not the lab's. No machine folder not named here (the
  // checkout, /mnt, /work …) exists in the lab.
  for (const d of ['/root', '/home', '/srv', '/mnt', '/media', ...m.varScratch]) {
    dirs.push(`${R}${d}`)
    fs('scratch', `${R}${d}`, 'tmpfs', `mode=${d === '/var/tmp' ? '1777' : '755'}`)
  }
  // An engine's places (/var/lib/docker) may be absent from the machine: made in the upper layer of
  // the overlay they lie in, they exist when that overlay is mounted, just before them.
  for (const d of engine?.scratch ?? []) {
    const over = m.overlays.find((o) => d.startsWith(`/${o}/`))
    dirs.push(over ? `${O}/upper${d}` : `${R}${d}`)
    fs('scratch', `${R}${d}`, 'tmpfs', 'mode=711')
  }
  dirs.push(`${R}/tmp`, `${R}/proc`, `${R}/sys`, `${R}/run`, `${R}/dev/pts`, `${R}/dev/shm`, `${R}/dev/mqueue`)
  fs('tmp', `${R}/tmp`, 'tmpfs', 'mode=1777')
  fs('sysfs', `${R}/sys`, 'sysfs', 'nosuid,nodev,noexec')
  fs(`${O}/hosts`, `${R}/etc/hosts`, undefined, 'bind')
  // No name server: the machine's is not reachable from a lab host (which has no link to its network),
  // and a lookup sent out of a lab's default route would wait seconds for it (python's http.server
  // looks up its own address). With none, a lookup fails at once; the lab's names are in /etc/hosts.
  if (m.resolvConf) fs(`${O}/resolv.conf`, `${R}/etc/resolv.conf`, undefined, 'bind')
  // A second sysfs of the lab's own where nothing covers it: the kernel lets a user namespace mount
  // sysfs (as \`ip netns exec\` does, after taking /sys down) only while one is fully visible.
  dirs.push(`${O}/sysfs`)
  fs('sysfs', `${O}/sysfs`, 'sysfs', 'nosuid,nodev,noexec')
  // /dev: the harmless devices, a devpts of the lab's own (its shells' ptys), its own shm and mqueue.
  const files = [`${HIDDEN_NS_DIR}/host`]
  if (m.devices.includes('net/tun')) dirs.push(`${R}/dev/net`)
  for (const d of m.devices) {
    files.push(`${R}/dev/${d}`)
    fs(`/dev/${d}`, `${R}/dev/${d}`, undefined, 'bind')
  }
  fs('devpts', `${R}/dev/pts`, 'devpts', 'newinstance,ptmxmode=0666,mode=620,nosuid,noexec')
  fs('shm', `${R}/dev/shm`, 'tmpfs', 'mode=1777,nosuid,nodev')
  fs('mqueue', `${R}/dev/mqueue`, 'mqueue', 'nosuid,nodev,noexec')
  // The host's network namespace gets a file too, for nslab's lab shell (\`on host\`).
  fs('/proc/self/ns/net', `${HIDDEN_NS_DIR}/host`, undefined, 'bind')
  if (opts.iptables) {
    // iptables of the chosen back end under its plain names: the back end's program bound onto
    // empty files rather than six \`ln\` processes. xtables-*-multi acts on the name it is called by.
    for (const tool of ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore']) {
      const [base, ...rest] = tool.split('-')
      files.push(`${BIN_DIR}/${tool}`)
      fs(`/usr/sbin/${base}-${opts.iptables}${rest.length ? `-${rest.join('-')}` : ''}`, `${BIN_DIR}/${tool}`, undefined, 'bind')
    }
  }
  dirs.push(`${R}/dev`)
  // nslab's programs first on the lab's PATH, and the lab's /etc/hosts and resolv.conf.
  const settings = topology.sysctl ?? []
  const everyNs = settings.filter(inherited)
  const writes: RootPlan['writes'] = [{ path: `${BIN_DIR}/sudo`, content: SUDO_SCRIPT, mode: 0o755 }]
  // What grows with the lab (its machines' names, its settings) is written by the shell, by printf:
  // the builder's program stays small (a here-document past 64 KiB would be a file in /tmp).
  // /etc/hosts is bound onto an empty file first: writing it later writes the same file.
  /** Files written once the root is whole: path and lines. */
  const lateFiles: [string, string[]][] = []
  files.push(`${O}/hosts`)
  if (everyNs.length) {
    writes.push({ path: `${BIN_DIR}/ip`, content: ipScript(m.ip ?? '/usr/sbin/ip'), mode: 0o755 })
    // Best effort, as systemd's sysctl.d does it: a setting the kernel lacks is passed over.
    lateFiles.push([SYSCTL_NS_SCRIPT, everyNs.map((x) => `echo ${shellQuote(x.value)} 2>/dev/null > ${sysctlPath(x.key)}`)])
  }
  const addrs = machineAddresses(topology)
  const hosts = ['127.0.0.1\tlocalhost', `127.0.1.1\t${opts.hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback']
  for (const [name, ip] of addrs) hosts.push(`${ip}\t${name}`)
  lateFiles.push([`${O}/hosts`, hosts])
  const late = lateFiles.map(([path, lines]) => `printf '%s\\n' ${lines.map(shellQuote).join(' ')} > ${path}`)
  if (m.resolvConf) writes.push({ path: `${O}/resolv.conf`, content: '# nslab: a lab host has no name server; its machines are in /etc/hosts\noptions timeout:1 attempts:1\n' })
  // The machine's top-level links (bin -> usr/bin on a merged /usr) as they are, and /dev's.
  const links: [string, string][] = m.links.map(([name, target]) => [target, `${R}/${name}`])
  links.push(['/proc/self/fd', `${R}/dev/fd`], ['pts/ptmx', `${R}/dev/ptmx`])
  for (const [i, n] of ['stdin', 'stdout', 'stderr'].entries()) links.push([`/proc/self/fd/${i}`, `${R}/dev/${n}`])
  // The internet machine's network namespace, kept out of /run/netns (ip netns list).
  const netns = topology.internet ? [`${HIDDEN_NS_DIR}/internet`] : []
  files.push(...netns)
  const plan: RootPlan = { hostname: opts.hostname, tmpfs: [['/run', '755'], [R, '755']], dirs, files, writes, links, mounts, netns }

  // The lab's own init: pid 1 of a nested pid namespace, in a mount namespace of its own.
  const lab: string[] = []
  // perl's launcher starts it at once: it waits for the word that the lab may start.
  if (launcher) lab.push(`read -r _ < ${GO_FIFO} || exit 1`, 'unset _')
  lab.push(CLOSE_FDS)
  lab.push('set -e')
  if (!launcher) lab.push(`cd ${R} && pivot_root . . && umount -l . && cd /`)
  for (const c of engine ? [] : topology.containers) {
    if (!c.command) continue
    lab.push(`(cd /root 2>/dev/null || cd /; exec nsenter --net=${NETNS_DIR}/${c.name} bash -c ${shellQuote(c.command)}) </dev/null >>${LOG_DIR}/${c.name}.log 2>&1 &`)
  }
  if (engine) lab.push(...engine.labInit)
  else lab.push('echo ready')
  lab.push('exec >/dev/null 2>&1')
  // pid 1 only gets the signals it handles; bash reaps orphans while it waits.
  lab.push("trap 'exit 0' TERM INT HUP")
  lab.push('while :; do sleep 86400 & wait $! || true; done')
  // Its script is a file (no lab text in the machine's /proc/PID/cmdline); pid 1 of the lab shows as
  // "bash … /run/.nslab/init".
  const initFile = `${O}/init`
  // perl's builder writes the lab's init (its launcher starts it); otherwise the shell does, once the root is whole.
  if (launcher) writes.push({ path: initFile, content: `${lab.join('\n')}\n` })

  const net = networkPlan(topology, engine !== undefined)
  /** What stops the lab host when one of the lab's own settings cannot be written (none for the distro's). */
  const failure = (x: (typeof settings)[number]): string | undefined =>
    x.line === undefined ? undefined : `nslab: the lab host cannot set ${x.key} to ${x.value} (line ${x.line} of the lab): the kernel has no such setting here, or refuses that value`
  // Where perl's launcher starts the lab, perl's builder builds the network too, by netlink, and writes
  // the settings (not an engine's lab host: its engine makes the rest).
  if (perl) {
    // The root whole before anything else: one process, its syscalls a few ms in all.
    const network = launcher
      ? perlNetworkBuilder(net, {
          create: plan.netns,
          settings: settings.map((x) => {
            const said = failure(x)
            return { path: sysctlPath(x.key), value: x.value, ...(said ? { failure: said } : {}) }
          }),
          sysctl: everyNs.map((x) => [sysctlPath(x.key), x.value]),
        })
      : []
    // (The network builder makes the namespaces it speaks to, the internet machine's among them.)
    const rootPlan = launcher ? { ...plan, netns: [] } : plan
    if (perlInit && launcher) {
      // The whole init in perl: the same steps, in one process (perl-lab-host-init).
      const bridges = topology.docker && bridge && topology.userlandProxy === false ? [bridge, ...(topology.networks ?? []).map((x) => x.bridge)] : []
      const anchors: [number, string][] = []
      if (topology.internet) anchors.push([anchorFd('internet', topology), `${HIDDEN_NS_DIR}/internet`])
      topology.containers.forEach((c) => anchors.push([anchorFd(c.name, topology), `${NETNS_DIR}/${c.name}`]))
      const text = perlLabHostInit({
        ...(opts.limits ? { limits: opts.limits } : {}),
        ...(rules ? { rules } : {}),
        builder: perlRootBuilder(rootPlan, { root: R, initFile, goFifo: GO_FIFO, inInit: true }, process.arch, network),
        files: [...lateFiles.map(([path, lines]): [string, string] => [path, `${lines.join('\n')}\n`]), ...bridges.map((b): [string, string] => [sysctlPath(`net.ipv4.conf.${b.name}.route_localnet`), '1\n'])],
        anchors,
        goFifo: GO_FIFO,
        persistent: opts.persistent,
      })
      return { shell: 'perl', text }
    }
    s.push(fed('perl -', perlRootBuilder(rootPlan, launcher ? { root: R, initFile, goFifo: GO_FIFO } : undefined, process.arch, network)))
    if (!rulesFirst) s.push(...docker)
    s.push(...late)
  } else {
    s.push(...utilLinuxRoot(plan, O, rulesFirst ? [] : docker, late))
  }

  // The lab host's settings: the distro's where the kernel has them, the lab's own or a clear failure.
  for (const x of launcher ? [] : settings) {
    const write = `echo ${shellQuote(x.value)} 2>/dev/null > ${sysctlPath(x.key)}`
    const said = failure(x)
    s.push(said ? `${write} || { echo ${shellQuote(said)} >&2; exit 1; }` : `${write} || :`)
  }
  if (!launcher) s.push(fed('ip -batch -', `${net.host.map(ipLine).join('\n')}\n`))
  if (topology.docker && bridge && !engine && topology.userlandProxy === false) {
    // dockerd --userland-proxy=false: each bridge routes the host's 127.0.0.1 to its containers (hairpin).
    for (const b of [bridge, ...(topology.networks ?? []).map((n) => n.bridge)]) s.push(`echo 1 > ${sysctlPath(`net.ipv4.conf.${b.name}.route_localnet`)}`)
  }
  let n = 0
  for (const m of launcher ? [] : net.machines) {
    const cmds = `${m.ops.map(ipLine).join('\n')}\n`
    if (m.name === 'internet') {
      s.push(fed(`nsenter --net=${m.file} ip -batch -`, cmds, '&'))
      s.push('P_inet=$!')
      waits.push('$P_inet')
      continue
    }
    const own = everyNs.length ? `nsenter --net=${m.file} /bin/sh ${SYSCTL_NS_SCRIPT} 2>/dev/null; ` : ''
    s.push(`{ ${own}${fed(`ip -n ${m.name} -batch -`, cmds)}\n} &`)
    s.push(`P_c${n}=$!`)
    waits.push(`$P_c${n++}`)
  }
  // The root must be whole before the lab starts in it.
  if (!perl) s.push(`wait $P_mnt || { cat ${O}/mount.log >&2; exit 1; }`)
  for (const w of waits) s.push(`wait ${w}`)
  // The machines' network namespaces stay reachable for nslab through this
  // init's descriptors, whatever the lab later mounts over /run/netns.
  if (topology.internet) s.push(`exec ${anchorFd('internet', topology)}<${HIDDEN_NS_DIR}/internet`)
  if (!engine) topology.containers.forEach((c) => s.push(`exec ${anchorFd(c.name, topology)}<${NETNS_DIR}/${c.name}`))
  if (engine) s.push(...engine.beforeLab(R), `mkfifo ${UP_FIFO}`)
  // The lab's /run is this one (with the machines' namespace files), seen from its root (perl's
  // launcher binds it itself).
  if (!launcher) s.push(`mount --rbind /run ${R}/run`)

  if (!launcher) s.push(`printf '%s\\n' ${lab.map(shellQuote).join(' ')} > ${initFile}`)
  if (!perl) s.push('wait $P_ln')
  const launch = engine ? engine.launchLab(initFile, R) : `unshare --pid --mount --fork --kill-child --mount-proc=${R}/proc -- bash --noprofile --norc ${initFile}`
  // (The launcher's program, a here-document of that line, follows it.)
  if (launcher) s.push(`echo go > ${GO_FIFO}`)
  else s.push(`{ ${launch} </dev/null; echo "nslab-lab-init-ended $?"; } &`)
  if (engine) {
    // The lab's init says `up` once the engine and the containers are; then this init holds the
    // containers' namespaces, from the lab's /run/netns as it is before anything of the lab runs.
    s.push('_job=$!')
    s.push(`exec ${engine.keepFds.map((fd) => `${fd}>&-`).join(' ')}`)
    s.push(`read -r _up < ${UP_FIFO} || exit 1`)
    s.push('[ "$_up" = up ] || exit 1')
    // (/proc's children lists end without a newline: read says 1 there, having read them.)
    s.push('read -r _u _ < /proc/$_job/task/$_job/children || :', 'read -r _lab _ < /proc/$_u/task/$_u/children || :')
    topology.containers.forEach((c) => s.push(`exec ${anchorFd(c.name, topology)}</proc/$_lab/root${NETNS_DIR}/${c.name}`))
    s.push('unset _job _up _u _lab', 'echo ready')
  }
  if (opts.persistent) {
    // Its maker may be gone already (a killed nslab up): then nobody reads
    // "ready", and the lab host stays up for nslab gc to find.
    s.push("trap 'exit 0' TERM INT HUP")
    s.push('exec </dev/null >/dev/null 2>&1')
    s.push('while :; do sleep 86400 & wait $! || true; done')
  } else {
    s.push('exec >/dev/null 2>&1')
    s.push('read -r _ || true')
  }
  return { shell: 'bash', text: s.join('\n') + '\n' }
}

/**
 * The root built by util-linux's and coreutils' programs (no perl): the same plan as
 * perlRootBuilder's, its mounts in one `mount -a` and its links in a background shell, beside the
 * network work that follows (waited for as $P_mnt and $P_ln).
 */
function utilLinuxRoot(plan: RootPlan, O: string, docker: string[], late: string[]): string[] {
  const s: string[] = []
  // sethostname(2): /proc/sys/kernel/hostname is not writable by an ordinary user's namespace root.
  s.push(`hostname ${shellQuote(plan.hostname)}`)
  s.push(plan.tmpfs.map(([t, mode]) => `mount -t tmpfs -o mode=${mode} nslab ${shellQuote(t)}`).join(' && '))
  s.push(...docker)
  s.push(`mkdir -p ${plan.dirs.map(shellQuote).join(' ')}`)
  s.push(`for f in ${plan.files.map(shellQuote).join(' ')}; do : > $f; done`)
  for (const f of plan.netns) s.push(`unshare --net=${shellQuote(f)} true`)
  for (const w of plan.writes) s.push(`printf '%s' ${shellQuote(w.content)} > ${shellQuote(w.path)}`)
  s.push(...late)
  const fstab = plan.mounts.map((m) => `${m.source} ${m.target} ${m.type ?? 'none'} ${m.options} 0 0`)
  s.push(`printf '%s\\n' ${fstab.map(shellQuote).join(' ')} > ${O}/fstab`)
  // Links named as their target's last part, one `ln -t` per folder; the others one by one.
  const ln: string[] = []
  const byDir = new Map<string, string[]>()
  for (const [target, path] of plan.links) {
    const dir = path.replace(/\/[^/]*$/, '')
    if (target.replace(/^.*\//, '') === path.replace(/^.*\//, '')) byDir.set(dir, [...(byDir.get(dir) ?? []), target])
    else ln.push(`ln -s ${shellQuote(target)} ${shellQuote(path)}`)
  }
  for (const [dir, targets] of byDir) ln.unshift(`ln -s -t ${shellQuote(dir)} ${targets.map(shellQuote).join(' ')}`)
  const modes = plan.writes.filter((w) => w.mode !== undefined)
  for (const w of modes) ln.push(`chmod ${w.mode!.toString(8)} ${shellQuote(w.path)}`)
  s.push(`(${ln.join('; ')}) &`)
  s.push('P_ln=$!')
  s.push(`mount -a -T ${O}/fstab 2>${O}/mount.log &`)
  s.push('P_mnt=$!')
  return s
}

/** Bash keeps a here-document in a pipe only up to the pipe's size (64 KiB); past it, in a file. */
export const HEREDOC_MAX = 60_000

/**
 * TEXT on COMMAND's stdin (then `&` to run it in the background). A here-document while TEXT
 * fits a pipe; past that, bash would write it to a file in /tmp, and until the lab's root
 * is made, that is the machine's /tmp: a builtin printf into a pipe then, which needs no file
 * and no exec (so no argument-size limit either).
 */
export function fed(command: string, text: string, then = ''): string {
  const body = text.endsWith('\n') ? text : `${text}\n`
  if (Buffer.byteLength(body) < HEREDOC_MAX && !/^NSLAB_EOF$/m.test(body)) return `${command} <<'NSLAB_EOF'${then ? ` ${then}` : ''}\n${body}NSLAB_EOF`
  return `printf '%s' ${shellQuote(body)} | ${command}${then ? ` ${then}` : ''}`
}
