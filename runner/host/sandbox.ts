import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import type { ExecResult } from './exec-result.js'
import { addressFrom } from './address-from.js'
import { isAlive, killAndWait, start, throughNsenter, warmForker, type Attached, type NamespaceEntry, type Running } from './exec.js'
import { iptablesBackend } from './iptables-backend.js'
import { machinesOf, type Topology } from '../lab/lab.js'
import { applyLabLimits, CGROUP_FD, limitsShell, type AppliedLimits, type LabLimits } from './lab-limits.js'
import { NslabError } from '../util/nslab-error.js'
import { requirePrograms } from './require-programs.js'
import { scaledMs } from '../util/time-scale.js'
import { CLOSE_FDS, labHostInit, type LabHostInit } from './sandbox-script.js'
import { PERL_INIT_LOADER } from './perl-lab-host-init.js'
import { anchorFd, BIN_DIR } from './sandbox-paths.js'
import { within } from '../util/within.js'
import { shellQuote } from '../util/shell-quote.js'
import { plainWords } from '../util/plain-words.js'
import { containerNetns } from './docker/container-netns.js'
import { releaseCgroupTrees } from './docker/docker-cgroups.js'

export interface SandboxOptions {
  topology: Topology
  /** A label for messages and the hostname inside; any text. */
  name?: string
  iptables?: 'nft' | 'legacy'
  /** Outlive this process (learner mode); stop() or SIGTERM to its pid ends it. */
  persistent?: boolean
  /** Time allowed to come up. */
  timeoutMs?: number
  /** Processes, memory and CPU of the whole lab host (see lab-limits); none when absent. */
  limits?: LabLimits
  /** Let this process exit while the lab host is up (the API): one left open then ends with it, by the kernel. */
  unref?: boolean
  /** Lab hosts of this user at once (the share of RLIMIT_NPROC each gets). */
  parallel?: number
  /** As root: the uid the lab host runs as, instead of sandboxOwner()'s (a workshop gives each learner one of their own). */
  owner?: number
}

export interface SandboxExecOptions {
  /** A machine of the topology, or a network namespace the lab made (a name in its /run/netns). */
  machine: string
  script: string
  timeoutMs?: number
  env?: Record<string, string>
  input?: string
  maxOutputBytes?: number
  /**
   * Report where the script stopped: when a command fails, bash writes a line
   * `FAILURE_MARK<trace> STATUS DEPTH LINE COMMAND` on stderr (see stepFailureTrap);
   * the caller takes those lines out of what the script printed.
   */
  trace?: string
}

/** A command of nslab's own, run to look at a machine (a check): see Sandbox.look. */
export interface SandboxLookOptions {
  /** A machine of the topology, or a network namespace the lab made. */
  machine: string
  /** An sh script of nslab's own (no lab text): it runs the machine's programs. */
  script: string
  timeoutMs?: number
  /** Namespaces to enter besides the network's (a sysctl check reads kernel.* of uts and ipc). */
  also?: ('uts' | 'ipc')[]
  /** sh (dash: quick to start) unless the script needs bash. */
  shell?: 'sh' | 'bash'
  /** SIGINT to it after this long (ping then prints its statistics), as `timeout -s INT` would. */
  interruptAfterMs?: number
}

/** What is needed to reach a sandbox again from another process (learner mode). */
export interface SandboxHandle {
  /** pid of the unshare process that owns the sandbox's namespaces. */
  pid: number
  /** pid of its init (pid 1 of the outer pid namespace): holds the machines' network namespaces. */
  init?: number
  /** pid of the lab's own init (pid 1 of the lab's pid namespace): the lab's mount namespace. */
  lab?: number
  /** The outer uid that owns the sandbox, when root made it (see sandboxOwner). */
  uid?: number
  topology: Topology
  iptables?: 'nft' | 'legacy'
  /** A real Docker Engine runs in it (engine: docker; docker/create-docker-sandbox.ts); absent: netns. */
  engine?: 'docker'
  /** Its cgroup trees (engine: docker), removed when it ends. */
  cgroups?: string[]
}

/** A process that runs a lab's script: its program, arguments, environment, uid and descriptors. */
export interface ScriptLaunch {
  file: string
  args: string[]
  env: NodeJS.ProcessEnv
  uid?: number
  gid?: number
  fds: number[]
}

export interface Sandbox {
  readonly pid: number
  readonly topology: Topology
  readonly machines: string[]
  readonly upMs: number
  /** The iptables back end it was given, if one was. */
  readonly iptables?: 'nft' | 'legacy'
  /** How the lab host's limits are enforced (undefined: none). */
  readonly limitsBy?: string
  /** A machine's address as FROM reaches it (addressFrom). */
  addressOf(name: string, from?: string, as?: 'target' | 'gateway'): string | undefined
  /** Run a bash script (-e, pipefail) of the lab on a machine, inside the lab host, and wait for it. */
  exec(opts: SandboxExecOptions): Promise<ExecResult>
  /** Start a bash script of the lab on a machine and leave it running (it ends with the sandbox). */
  spawn(opts: SandboxExecOptions): Running
  /**
   * How spawn() starts a bash script of the lab on a machine, for a caller that starts the process
   * itself (the API's zx `$`): the script goes on fd 3, `fds` from fd 4 on (exec.ts spawnChild).
   */
  scriptLaunch(machine: string, scriptLength: number, opts?: { bashFlags?: string[]; env?: Record<string, string> }): ScriptLaunch
  /**
   * Run one of nslab's own sh commands in a machine's network namespace with
   * this machine's own programs, outside the lab host's mount namespace and
   * with a clean environment: what the lab did to its files, mounts or PATH
   * cannot change what it sees. Checks look through this.
   */
  look(opts: SandboxLookOptions): Promise<ExecResult>
  /** The network namespaces the lab host has in /run/netns now (what `ip netns list` shows there). */
  netnsNames(): string[]
  /**
   * Whether NAME is a machine now: one of the topology, or a network namespace the lab made
   * (`ip netns add NAME`, or a link in /run/netns as Docker makes them) that can be entered.
   */
  hasMachine(name: string): boolean
  /** argv that enters a machine of the sandbox and runs argv (for interactive shells). */
  enterArgv(machine: string, argv: string[]): string[]
  handle(): SandboxHandle
  alive(): boolean
  /** Tear down: every process of the sandbox ends, its namespaces and mounts go. */
  stop(): Promise<void>
}

// A script that runs lab commands refuses to run outside a sandbox: the
// machine's own user namespace maps the whole uid range.
export const GUARD =
  'read -r _n1 _n2 _n3 </proc/self/uid_map; [ "$_n3" != 4294967295 ] || { echo "nslab: refusing to run outside a sandbox" >&2; exit 125; }; unset _n1 _n2 _n3; cd /root 2>/dev/null || cd /; '

/**
 * How a lab's script runs: bash reads it from fd 3 (never from its command
 * line, which any user of the machine can read in /proc, and which the kernel
 * caps at 128 KiB), joins the lab host's limits, closes every other inherited
 * descriptor, and evaluates it: same line numbers and messages as bash -c.
 * fd 3 is a socket (Node's extra stdio), read whole by bash itself (READ_ALL).
 */
export function scriptLoader(limitsLines = '', trace?: string): string {
  return `${GUARD}${READ_ALL}; exec 3<&-; ${limitsLines}${CLOSE_FDS}; ${trace !== undefined ? stepFailureTrap(trace) : ''}eval "unset _s; $_s"`
}

/**
 * Read fd 3 to its end into $_s. `read -N` with a count past any script reads in
 * big chunks (without -N bash reads a byte a call, not to pass its delimiter),
 * and needs no `cat` process: 2 ms against 40 ms for 16 KB here.
 */
export const READ_ALL = 'IFS= read -r -N 1073741824 _s <&3 || :'

/** What starts a line of stepFailureTrap's report (a control character a program rarely prints). */
export const FAILURE_MARK = '\x1enslab-failed:'

/**
 * An ERR trap that says where a script stopped: the status, how deep in
 * subshells, the line (LINENO inside eval counts from the script's first line)
 * and the command, on stderr after FAILURE_MARK and the trace word. errtrace
 * (-E) carries it into functions and subshells; it runs only builtins.
 */
export function stepFailureTrap(trace: string): string {
  if (!/^[A-Za-z0-9]+$/.test(trace)) throw new Error('stepFailureTrap: the trace is letters and digits')
  // bash keeps the failed command's status for -e after the trap: the trap ends as it likes.
  const body = `_nslab_rc=$?; _nslab_c=\${BASH_COMMAND//$'\\n'/ }; printf '\\036nslab-failed:${trace} %s %s %s %s\\n' "$_nslab_rc" "$BASH_SUBSHELL" "$LINENO" "\${_nslab_c:0:300}" >&2; unset _nslab_c _nslab_rc`
  // Interrupted (a timeout, see interruptStep): end once the command running now has, whatever it returned.
  return `set -E; trap ${shellQuote(body)} ERR; trap 'exit 130' INT; `
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * The environment of every process in a sandbox: a fresh root login, not the
 * caller's. nslab's own programs come first on PATH (BIN_DIR: `sudo`, the
 * `ip` that gives namespaces a lab makes the lab host's sysctl settings, the
 * chosen iptables back end).
 */
export function sandboxEnv(machine: string, _iptables: SandboxHandle['iptables'], extra?: Record<string, string>, engine: 'netns' | 'docker' = 'netns'): NodeJS.ProcessEnv {
  return {
    PATH: `${BIN_DIR}:${PATH}`,
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TERM: process.env.TERM ?? 'xterm-256color',
    NSLAB_MACHINE: machine,
    NSLAB_ENGINE: engine,
    ...extra,
  }
}

/** The init and the lab's own init of a sandbox owned by pid (see SandboxHandle), from /proc. */
export function sandboxInits(pid: number): { init?: number; lab?: number } {
  const [init] = childrenOf(pid)
  if (init === undefined) return {}
  // The lab's init is the one process below whose pid is 1 two namespaces down.
  const queue = childrenOf(init)
  for (let i = 0; i < queue.length && i < 64; i++) {
    const p = queue[i]!
    const ns = /^NSpid:\s+(.*)$/m.exec(readText(`/proc/${p}/status`))?.[1]?.trim().split(/\s+/)
    if (ns?.length === 3 && ns[2] === '1') return { init, lab: p }
    queue.push(...childrenOf(p))
  }
  return { init }
}

/** A sandbox object for a running sandbox, from this process or another. */
export function attachSandbox(h0: SandboxHandle, extra: { upMs?: number; running?: Attached; limits?: AppliedLimits } = {}): Sandbox {
  const h: SandboxHandle = h0.init !== undefined && h0.lab !== undefined ? h0 : { ...h0, ...sandboxInits(h0.pid) }
  const machines = machinesOf(h.topology)
  // Root enters as the sandbox's owner, so that inside it is the namespace's root, not the machine's.
  const owner = h.uid !== undefined && process.getuid?.() === 0 ? h.uid : undefined
  const A = h.init ?? -1
  const L = h.lab ?? -1
  const limits = extra.limits
  // What each process of the lab runs first (the same lines for every step and shell).
  const limitsLines = limits ? limitsShell(limits.plan) : ''
  const unknown = (machine: string): NslabError => {
    const made = labNetnsNames(L).filter((n) => !machines.includes(n))
    const has = [...machines, ...made].join(', ')
    return new NslabError({ code: 'USAGE', message: `no machine "${machine}" in this lab now (it has: ${has})` })
  }
  /**
   * Where a machine's network namespace is, as this process reaches it: a path (the topology's
   * machines: the host is the init's own namespace, the others are held by its descriptors,
   * which the lab cannot reach), or a descriptor opened now (a namespace the lab made), which
   * the caller hands to nsenter and closes.
   */
  const netOf = (machine: string): { path: string } | { fd: number } => {
    if (machines.includes(machine)) return { path: machine === 'host' ? `/proc/${A}/ns/net` : `/proc/${A}/fd/${anchorFd(machine, h.topology)}` }
    const fd = openLabNetns(L, machine)
    if (fd === undefined) throw unknown(machine)
    return { fd }
  }
  /** The descriptors to hand a process (the limits' cgroups, then a made machine's namespace) and nsenter's --net. */
  const netArgs = (machine: string): { fds: number[]; net: string; close?: number } => {
    const where = netOf(machine)
    const fds = [...(limits?.fds ?? [])]
    if ('path' in where) return { fds, net: where.path }
    fds.push(where.fd)
    // Extra descriptors land at 4, 5, … (3 is the script's pipe, or nothing).
    return { fds, net: `/proc/self/fd/${CGROUP_FD + fds.length - 1}`, close: where.fd }
  }
  /** Every namespace of the lab host, the network one of the machine's (in nsenter's order). */
  const labNamespaces = (net: string): NamespaceEntry[] => [
    { ns: 'user', path: `/proc/${A}/ns/user` },
    { ns: 'cgroup', path: `/proc/${L}/ns/cgroup` },
    { ns: 'ipc', path: `/proc/${L}/ns/ipc` },
    { ns: 'uts', path: `/proc/${L}/ns/uts` },
    { ns: 'net', path: net },
    { ns: 'pid', path: `/proc/${L}/ns/pid` },
    { ns: 'mnt', path: `/proc/${L}/ns/mnt` },
  ]
  /** nsenter into every namespace of the lab host, for a caller that starts the process itself. */
  const nsenterArgv = (net: string, [file, ...args]: string[]): string[] => {
    const c = throughNsenter(labNamespaces(net), file!, args)
    return [c.file, ...c.args]
  }
  const enterArgv = (machine: string, argv: string[]): string[] => {
    const where = netOf(machine)
    if ('fd' in where) {
      closeSync(where.fd)
      throw new NslabError({ code: 'USAGE', message: `"${machine}" is a network namespace the lab made: enter it from the host with ip netns exec ${machine} …` })
    }
    return [...(owner !== undefined ? ['setpriv', `--reuid=${owner}`, `--regid=${owner}`, '--clear-groups', '--'] : []), ...nsenterArgv(where.path, argv)]
  }
  /**
   * How a script starts on a machine: the namespaces to enter (exec.ts enters them), then bash;
   * `close`: a made machine's descriptor, ours to close once the child has its copy.
   */
  const launchOn = (machine: string, length: number, o: { bashFlags?: string[]; env?: Record<string, string>; trace?: string } = {}): ScriptLaunch & { close?: number; enter: NamespaceEntry[] } => {
    const n = netArgs(machine)
    return {
      file: 'bash',
      args: ['--noprofile', '--norc', ...(o.bashFlags ?? ['-e', '-o', 'pipefail']), '-c', scriptLoader(limitsLines, o.trace)],
      enter: labNamespaces(n.net),
      env: sandboxEnv(machine, h.iptables, o.env, h.engine),
      fds: n.fds,
      // Not through setpriv: a process less for every step and check (some 80 ms each under emulation).
      ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
      ...(n.close !== undefined ? { close: n.close } : {}),
    }
  }
  const scriptLaunch: Sandbox['scriptLaunch'] = (machine, length, o = {}) => {
    const { close, enter, ...launch } = launchOn(machine, length, o)
    if (close !== undefined) {
      // The caller starts the process when it likes: a descriptor held open for it would outlive the lab's namespace.
      closeSync(close)
      throw new NslabError({ code: 'USAGE', message: `"${machine}" is a network namespace the lab made: run the command from the host with ip netns exec ${machine} …` })
    }
    // The caller starts it with node's spawn: nsenter enters the namespaces.
    return { ...launch, ...throughNsenter(enter, launch.file, launch.args) }
  }
  const spawnOn = (o: SandboxExecOptions): Running => {
    const { fds, close, ...launch } = launchOn(o.machine, o.script.length, { ...(o.env ? { env: o.env } : {}), ...(o.trace !== undefined ? { trace: o.trace } : {}) })
    try {
      return start({
        ...launch,
        machine: o.machine,
        command: o.script,
        script: o.script,
        ...(fds.length ? { fds } : {}),
        // The child has its own copy once started: exec.ts closes ours then.
        ...(close !== undefined ? { closeAfterStart: [close] } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.maxOutputBytes !== undefined ? { maxOutputBytes: o.maxOutputBytes } : {}),
      })
    } catch (e) {
      if (close !== undefined) closeSync(close)
      throw e
    }
  }
  const lookIn = (o: SandboxLookOptions, where: { path: string } | { fd: number }): Promise<ExecResult> => {
    const fd = 'fd' in where ? where.fd : undefined
    // A descriptor is handed on as fd 4 to enter: the script closes it first thing.
    const net = fd === undefined ? (where as { path: string }).path : `/proc/self/fd/${CGROUP_FD}`
    const enter: NamespaceEntry[] = [{ ns: 'user', path: `/proc/${A}/ns/user` }, ...(o.also ?? []).map((n) => ({ ns: n, path: `/proc/${L}/ns/${n}` })), { ns: 'net', path: net }]
    // A plain command (words a shell would pass on as they are) runs without a shell: one process less.
    const words = fd === undefined && o.shell !== 'bash' ? plainWords(o.script) : undefined
    const script = fd === undefined ? o.script : `exec ${CGROUP_FD}<&-\n${o.script}`
    return start({
      ...(words ? { file: words[0]!, args: words.slice(1) } : { file: o.shell === 'bash' ? '/bin/bash' : '/bin/sh', args: [...(o.shell === 'bash' ? ['--noprofile', '--norc'] : []), '-c', script] }),
      enter,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
      ...(o.interruptAfterMs !== undefined ? { interruptAfterMs: o.interruptAfterMs } : {}),
      machine: o.machine,
      command: o.script,
      ...(fd !== undefined ? { fds: [fd] } : {}),
      ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    }).done.catch((e: unknown) => {
      // Without a shell, a program the machine lacks fails to start: the result sh would give (exit 127).
      if (!words || !(e instanceof NslabError) || e.code !== 'PREREQUISITE') throw e
      const stderr = `${words[0]}: not found\n`
      return { machine: o.machine, command: o.script, exitCode: 127, stdout: '', stderr, output: stderr, durationMs: 0, timedOut: false }
    })
  }
  const hasMachine = (name: string): boolean => {
    if (machines.includes(name)) return true
    const fd = openLabNetns(L, name)
    if (fd === undefined) return false
    closeSync(fd)
    return true
  }
  /** Where the machine's network namespace is, looked at now; a made machine's descriptor is closed once its process has it. */
  const lookAt = async (o: SandboxLookOptions): Promise<ExecResult> => {
    const where = netOf(o.machine)
    try {
      return await lookIn(o, where)
    } finally {
      if ('fd' in where) closeSync(where.fd)
    }
  }
  const containers = new Set(h.topology.containers.map((c) => c.name))
  const look = async (o: SandboxLookOptions): Promise<ExecResult> => {
    if (h.engine !== 'docker' || !containers.has(o.machine)) return lookAt(o)
    // A container is the namespace dockerd says it is now (it may have been restarted); when dockerd
    // cannot be asked, the one the lab host has held since the start.
    const t0 = performance.now()
    const ns = await containerNetns(L, o.machine, o.timeoutMs ?? 2000)
    if ('unreachable' in ns) return lookAt(o)
    if ('down' in ns) {
      const stderr = `nslab: ${ns.down}\n`
      return { machine: o.machine, command: o.script, exitCode: 1, stdout: '', stderr, output: stderr, durationMs: performance.now() - t0, timedOut: false }
    }
    try {
      return await lookIn(o, { fd: ns.fd })
    } finally {
      closeSync(ns.fd)
    }
  }
  let stopped: Promise<void> | undefined
  return {
    pid: h.pid,
    topology: h.topology,
    machines,
    upMs: extra.upMs ?? 0,
    ...(limits ? { limitsBy: limits.how } : {}),
    ...(h.iptables ? { iptables: h.iptables } : {}),
    addressOf: (name, from, as) => addressFrom(h.topology, name, from, as),
    exec: (o) => spawnOn(o).done,
    spawn: spawnOn,
    scriptLaunch,
    look,
    netnsNames: () => labNetnsNames(L),
    hasMachine,
    enterArgv,
    handle: () => ({ ...h }),
    alive: () => isAlive(h.pid),
    stop: () => {
      stopped ??= (async () => {
        const r = extra.running
        // unshare ignores SIGTERM while it waits for pid 1; SIGKILL to it
        // kills pid 1 (--kill-child), and with pid 1 the whole sandbox.
        if (r) {
          // Attached: closing stdin lets pid 1 end by itself, which is quickest.
          r.child.stdin?.end()
          const ended = await within(r.done.then(() => true), 1000)
          if (!ended) r.kill('SIGKILL', false)
          await r.done.catch(() => undefined)
        } else {
          // Kill pid 1 first: unshare then reaps it once every process of
          // the namespace is gone, and exits.
          const pid1 = childrenOf(h.pid)[0]
          if (pid1 !== undefined) await killAndWait(pid1)
          await killAndWait(h.pid)
        }
        await limits?.release()
        // A docker-engine lab host leaves the cgroup folders of its containers behind.
        if (h.cgroups?.length) await releaseCgroupTrees(h.cgroups)
      })()
      return stopped
    },
  }
}

/**
 * What `ip netns list` would show in the lab host: the entries of its
 * /run/netns. Read from here without following any link the lab made (a link
 * is resolved from this machine's root, not the lab's): each step opens one
 * folder with O_NOFOLLOW, below the lab's root as the kernel names it.
 */
export function labNetnsNames(labPid: number): string[] {
  const flags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
  const fds: number[] = []
  try {
    fds.push(openSync(`/proc/${labPid}/root/run`, flags))
    fds.push(openSync(`/proc/self/fd/${fds[0]}/netns`, flags))
    return readdirSync(`/proc/self/fd/${fds[1]}`).filter((n) => !n.startsWith('.')).sort()
  } catch {
    return []
  } finally {
    for (const fd of fds) closeSync(fd)
  }
}

/**
 * A network namespace the lab made, NAME in its /run/netns, opened from here
 * without following anything the lab controls from this machine's root: each
 * folder is opened with O_NOFOLLOW below the lab's root as the kernel names it
 * (/proc/LAB/root), and the entry too. An entry that is a namespace file (what
 * `ip netns add` makes: a bind mount) is opened as it is; one that is a link,
 * as Docker makes them (/run/netns/x -> /proc/PID/ns/net), is read, never
 * followed: PID is a pid of the lab's pid namespace, found among this
 * machine's processes by their NSpid, and that process's namespace is opened
 * through this machine's /proc. Whatever is opened must be a namespace's file
 * (nsenter's setns refuses one that is not a network namespace). Undefined
 * when there is none of that name.
 */
export function openLabNetns(labPid: number, name: string): number | undefined {
  if (!/^[A-Za-z0-9_.@:+-]{1,255}$/.test(name) || name === '.' || name === '..') return undefined
  const dirFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
  const dirs: number[] = []
  try {
    dirs.push(openSync(`/proc/${labPid}/root/run`, dirFlags))
    dirs.push(openSync(`/proc/self/fd/${dirs[0]}/netns`, dirFlags))
    const entry = `/proc/self/fd/${dirs[1]}/${name}`
    let fd: number
    try {
      // O_NONBLOCK, O_NOCTTY: a FIFO or a terminal put there opens at once and harmlessly, and is refused below.
      fd = openSync(entry, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOOP') return undefined
      const target = /^\/proc\/([1-9][0-9]{0,9})\/ns\/net$/.exec(readlinkSync(entry))
      if (!target) return undefined
      const pid = labPidOnMachine(labPid, Number(target[1]))
      if (pid === undefined) return undefined
      fd = openSync(`/proc/${pid.pid}/ns/net`, constants.O_RDONLY)
      // The same process still: a pid that ended and was reused meanwhile is not followed.
      if (startTimeOf(pid.pid) !== pid.startTime) {
        closeSync(fd)
        return undefined
      }
    }
    // A namespace's file (nsfs); nsenter's setns then refuses one that is not a network namespace.
    if (fstatSync(fd).dev !== statSync('/proc/self/ns/net').dev) {
      closeSync(fd)
      return undefined
    }
    return fd
  } catch {
    return undefined
  } finally {
    for (const d of dirs) closeSync(d)
  }
}

/**
 * This machine's pid of the process that is `pid` in the lab's pid namespace
 * (the one whose pid 1 is labPid), with its start time; undefined when there is none.
 */
export function labPidOnMachine(labPid: number, pid: number): { pid: number; startTime: number } | undefined {
  const nsOf = (p: number | string): string | undefined => {
    try {
      return readlinkSync(`/proc/${p}/ns/pid`)
    } catch {
      return undefined
    }
  }
  const labNs = nsOf(labPid)
  const labLevels = nspidOf(labPid)
  if (!labNs || !labLevels || labLevels[labLevels.length - 1] !== 1) return undefined
  const level = labLevels.length - 1
  if (pid === 1) return { pid: labPid, startTime: startTimeOf(labPid) ?? -1 }
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue
    const levels = nspidOf(Number(d))
    if (levels?.length !== level + 1 || levels[level] !== pid) continue
    const startTime = startTimeOf(Number(d))
    if (startTime === undefined || nsOf(d) !== labNs) continue
    return { pid: Number(d), startTime }
  }
  return undefined
}

/** A process's pids in each pid namespace it is in, outermost first (NSpid of its status). */
function nspidOf(pid: number): number[] | undefined {
  const m = /^NSpid:\s+(.*)$/m.exec(readText(`/proc/${pid}/status`))
  return m ? m[1]!.trim().split(/\s+/).map(Number) : undefined
}

function startTimeOf(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`)
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return f.length > 19 ? Number(f[19]) : undefined
}

/** Build a lab host: user, mount, pid, uts and network namespaces, and the topology. */
export async function createSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const t0 = performance.now()
  const { topology } = opts
  const owner = opts.owner !== undefined && process.getuid?.() === 0 ? opts.owner : sandboxOwner()
  requirePrograms(['bash', 'unshare', 'nsenter', 'mount', 'pivot_root', 'hostname', 'ip', ...(topology.docker ? ['iptables-restore'] : [])])
  const limits = opts.limits ? applyLabLimits(opts.limits, opts.parallel) : undefined
  const init = labHostInit({
    topology,
    persistent: opts.persistent ?? false,
    hostname: hostnameOf(opts.name),
    ...(opts.iptables ? { iptables: opts.iptables } : {}),
    ...(topology.docker ? { backend: iptablesBackend(opts.iptables) } : {}),
    ...(limits ? { limits: limits.plan } : {}),
  })
  const running = startInit(init, limits, owner, opts.persistent ?? false)
  // Steps follow a lab host that is not kept for later: the forker that starts them starts meanwhile.
  if (!opts.persistent) warmForker()
  const ready = await waitReady(running, opts.timeoutMs ?? scaledMs(10_000))
  if (!ready.ok) {
    running.kill('SIGKILL', false)
    const r = await running.done.catch(() => undefined)
    await limits?.release()
    throw sandboxFailure(r?.stderr ?? '', ready.why)
  }
  if (opts.unref && !opts.persistent) {
    // Nothing of it keeps this process alive; when this process ends, the init's stdin closes.
    running.child.unref()
    for (const p of running.child.stdio) (p as { unref?: () => void } | null)?.unref?.()
  }
  if (opts.persistent) {
    running.child.unref()
    running.child.stdout?.destroy()
    running.child.stderr?.destroy()
    running.child.stdin?.destroy()
    // The script's pipe, too: an open handle would keep this process alive.
    for (const p of running.child.stdio.slice(3)) (p as { destroy?: () => void } | null)?.destroy?.()
  }
  const inits = sandboxInits(running.pid)
  const h: SandboxHandle = {
    pid: running.pid,
    ...inits,
    topology,
    ...(owner !== undefined ? { uid: owner } : {}),
    ...(opts.iptables ? { iptables: opts.iptables } : {}),
  }
  if (inits.lab === undefined) {
    running.kill('SIGKILL', false)
    await limits?.release()
    throw new NslabError({ code: 'SANDBOX', message: 'the lab host could not be built: its init was not found' })
  }
  return attachSandbox(h, { upMs: performance.now() - t0, ...(opts.persistent ? {} : { running }), ...(limits ? { limits } : {}) })
}

// The network namespace is made by a second unshare, as pid 1, once the user
// namespace has its uid map: made together, its /proc/net files would belong
// to the machine's root (iptables-legacy reads them). The init's program comes on fd 3.
const UNSHARE = ['unshare', '--user', '--map-root-user', '--mount', '--pid', '--uts', '--ipc', '--cgroup', '--fork', '--kill-child', '--mount-proc', '--', 'unshare', '--net', '--']
const INIT_PROGRAM: Record<LabHostInit['shell'], string[]> = {
  bash: ['bash', '--noprofile', '--norc', '-c', `${READ_ALL}; eval "unset _s; $_s"`],
  perl: ['perl', '-e', PERL_INIT_LOADER],
}

/** Start a lab host's init, its program on fd 3. */
function startInit(init: LabHostInit, limits: AppliedLimits | undefined, owner: number | undefined, persistent: boolean): Attached {
  const argv = [...UNSHARE, ...INIT_PROGRAM[init.shell]]
  return start({
    file: argv[0]!,
    args: argv.slice(1),
    env: { PATH: `${PATH}:${process.env.PATH ?? ''}`, LANG: 'C.UTF-8' },
    keepStdin: !persistent,
    machine: 'sandbox',
    script: init.text,
    ...(limits?.fds.length ? { fds: limits.fds } : {}),
    ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
    command: 'unshare … (sandbox init)',
  })
}

/**
 * The uid a sandbox made by root runs as: one that owns no file on the
 * machine. Mapping the sandbox's root to the machine's root would let a lab
 * write every root-owned file outside its overlays (the checkout, /dev/vda,
 * /proc/sys/kernel); as this uid it can touch only what anyone may.
 * Undefined for an ordinary user, whose own uid already is that.
 */
export function sandboxOwner(): number | undefined {
  if (process.getuid?.() !== 0) return undefined
  const env = Number(process.env.NSLAB_SANDBOX_UID)
  return Number.isInteger(env) && env > 0 ? env : 1_800_000_000
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function childrenOf(pid: number): number[] {
  return readText(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number)
}

export function hostnameOf(name: string | undefined): string {
  const n = (name ?? 'lab').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
  return n || 'lab'
}

export async function waitReady(r: Attached, timeoutMs: number): Promise<{ ok: true } | { ok: false; why: string }> {
  const out = r.child.stdout
  if (!out) return { ok: false, why: 'no stdout' }
  // Lines split here rather than by node:readline: a module less for every command that attaches.
  let buf = ''
  return await new Promise((resolve) => {
    const timer = setTimeout(() => finish({ ok: false, why: `not ready after ${timeoutMs} ms` }), timeoutMs)
    const finish = (v: { ok: true } | { ok: false; why: string }) => {
      clearTimeout(timer)
      out.off('data', onData)
      out.pause()
      resolve(v)
    }
    const onLine = (l: string) => {
      if (l === 'ready') finish({ ok: true })
      else if (l.startsWith('nslab-lab-init-ended')) finish({ ok: false, why: `the lab's init ended (exit ${l.split(' ')[1] ?? '?'})` })
    }
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8')
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        onLine(line)
      }
    }
    out.on('data', onData)
    r.done.then(
      (res) => finish({ ok: false, why: `it ended (exit ${res.exitCode})` }),
      (e: unknown) => finish({ ok: false, why: String(e) }),
    )
  })
}

/** Turn the init's stderr into one clear message naming what fixes it. */
export function sandboxFailure(stderr: string, why: string): NslabError {
  const text = stderr.trim()
  if (/unshare failed: (Operation not permitted|Permission denied|No space left on device)/.test(text) || /write failed \/proc\/self\/uid_map/.test(text)) {
    return new NslabError({
      code: 'PREREQUISITE',
      message: `this machine does not allow unprivileged user namespaces (${text.split('\n')[0]})`,
      fix: 'sysctl -w kernel.unprivileged_userns_clone=1 (Debian kernels), sysctl -w user.max_user_namespaces=15000, or on Ubuntu 23.10+: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    })
  }
  const sysctl = /^nslab: the lab host cannot set (\S+) .*$/m.exec(text)
  if (sysctl) {
    // A setting of the lab's own that this machine's kernel lacks (a module not loaded) or refuses.
    const fix = sysctl[1]!.startsWith('net.bridge.') ? 'modprobe br_netfilter (as root, on this machine)' : `see what this kernel has: sysctl -a 2>/dev/null | grep ${sysctl[1]!.split('.').slice(0, -1).join('.')}`
    return new NslabError({ code: 'PREREQUISITE', message: sysctl[0].replace(/^nslab: /, ''), fix })
  }
  if (/iptables-restore.*(not found|No such file)/.test(text)) {
    return new NslabError({ code: 'PREREQUISITE', message: 'iptables is not installed', fix: 'apt-get install iptables' })
  }
  return new NslabError({ code: 'SANDBOX', message: `the lab host could not be built: ${why}${text ? `\n${text}` : ''}` })
}

