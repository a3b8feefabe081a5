import { closeSync, constants, openSync, readdirSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { ExecResult } from './exec-result.js'
import { addressFrom } from './address-from.js'
import { isAlive, killAndWait, start, type Running } from './exec.js'
import { iptablesBackend } from './iptables-backend.js'
import { machinesOf, type Topology } from '../lab/lab.js'
import { applyLabLimits, type AppliedLimits, type LabLimits } from './lab-limits.js'
import { NslabError } from '../util/nslab-error.js'
import { requirePrograms } from './require-programs.js'
import { scaledMs } from '../util/time-scale.js'
import { CLOSE_FDS, sandboxScript } from './sandbox-script.js'
import { anchorFd, BIN_DIR } from './sandbox-paths.js'
import { within } from '../util/within.js'

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
}

export interface SandboxExecOptions {
  machine: string
  script: string
  timeoutMs?: number
  env?: Record<string, string>
  input?: string
  maxOutputBytes?: number
}

/** A command of nslab's own, run to look at a machine (a check): see Sandbox.look. */
export interface SandboxLookOptions {
  machine: string
  /** An sh script of nslab's own (no lab text): it runs the machine's programs. */
  script: string
  timeoutMs?: number
  /** Namespaces to enter besides the network's (a sysctl check reads kernel.* of uts and ipc). */
  also?: ('uts' | 'ipc')[]
  /** sh (dash: quick to start) unless the script needs bash. */
  shell?: 'sh' | 'bash'
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
 * fd 3 is a socket (Node's extra stdio): a short script is read by bash itself
 * (a byte a read), a long one by cat (a process, then big reads).
 */
export function scriptLoader(limitsShell = '', length = 0): string {
  const read = length > LOADER_CAT_FROM ? '_s=$(cat <&3)' : "IFS= read -r -d '' _s <&3 || :"
  return `${GUARD}${read}; exec 3<&-; ${limitsShell}${CLOSE_FDS}; eval "unset _s; $_s"`
}

/** Past this length a script is read by cat rather than by bash's read (measured: they cross at 5–8 KB). */
const LOADER_CAT_FROM = 4096

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The environment of every process in a sandbox: a fresh root login, not the caller's. */
export function sandboxEnv(machine: string, iptables: SandboxHandle['iptables'], extra?: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: iptables ? `${BIN_DIR}:${PATH}` : PATH,
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TERM: process.env.TERM ?? 'xterm-256color',
    NSLAB_MACHINE: machine,
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
export function attachSandbox(h0: SandboxHandle, extra: { upMs?: number; running?: Running; limits?: AppliedLimits } = {}): Sandbox {
  const h: SandboxHandle = h0.init !== undefined && h0.lab !== undefined ? h0 : { ...h0, ...sandboxInits(h0.pid) }
  const machines = machinesOf(h.topology)
  // Root enters as the sandbox's owner, so that inside it is the namespace's root, not the machine's.
  const owner = h.uid !== undefined && process.getuid?.() === 0 ? h.uid : undefined
  const A = h.init ?? -1
  const L = h.lab ?? -1
  const limits = extra.limits
  /** The file that holds a machine's network namespace, as this process reaches it. */
  const netOf = (machine: string): string => {
    if (!machines.includes(machine)) {
      throw new NslabError({ code: 'USAGE', message: `no machine "${machine}" in this lab (it has: ${machines.join(', ')})` })
    }
    // The host is the init's own namespace; the others are held by its descriptors, which the lab cannot reach.
    return machine === 'host' ? `/proc/${A}/ns/net` : `/proc/${A}/fd/${anchorFd(machine, h.topology)}`
  }
  /** nsenter into every namespace of the lab host, the network one of the machine. */
  const nsenterArgv = (machine: string, argv: string[]): string[] => [
    'nsenter',
    `--user=/proc/${A}/ns/user`,
    `--mount=/proc/${L}/ns/mnt`,
    `--pid=/proc/${L}/ns/pid`,
    `--uts=/proc/${L}/ns/uts`,
    `--ipc=/proc/${L}/ns/ipc`,
    `--cgroup=/proc/${L}/ns/cgroup`,
    `--net=${netOf(machine)}`,
    '--preserve-credentials',
    '--',
    ...argv,
  ]
  const enterArgv = (machine: string, argv: string[]): string[] => [
    ...(owner !== undefined ? ['setpriv', `--reuid=${owner}`, `--regid=${owner}`, '--clear-groups', '--'] : []),
    ...nsenterArgv(machine, argv),
  ]
  const scriptLaunch: Sandbox['scriptLaunch'] = (machine, length, o = {}) => {
    const argv = nsenterArgv(machine, ['bash', '--noprofile', '--norc', ...(o.bashFlags ?? ['-e', '-o', 'pipefail']), '-c', scriptLoader(limits?.shell, length)])
    return {
      file: argv[0]!,
      args: argv.slice(1),
      env: sandboxEnv(machine, h.iptables, o.env),
      fds: limits?.fds ?? [],
      // Not through setpriv: a process less for every step and check (some 80 ms each under emulation).
      ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
    }
  }
  const spawnOn = (o: SandboxExecOptions): Running => {
    const { fds, ...launch } = scriptLaunch(o.machine, o.script.length, o.env ? { env: o.env } : {})
    return start({
      ...launch,
      machine: o.machine,
      command: o.script,
      script: o.script,
      ...(fds.length ? { fds } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.input !== undefined ? { input: o.input } : {}),
      ...(o.maxOutputBytes !== undefined ? { maxOutputBytes: o.maxOutputBytes } : {}),
    })
  }
  const look = (o: SandboxLookOptions): Promise<ExecResult> => {
    const ns = (o.also ?? []).map((n) => `--${n}=/proc/${L}/ns/${n}`)
    return start({
      file: 'nsenter',
      args: [`--user=/proc/${A}/ns/user`, `--net=${netOf(o.machine)}`, ...ns, '--preserve-credentials', '--', ...(o.shell === 'bash' ? ['/bin/bash', '--noprofile', '--norc'] : ['/bin/sh']), '-c', o.script],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
      machine: o.machine,
      command: o.script,
      ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    }).done
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

/** Build a lab host: user, mount, pid, uts and network namespaces, and the topology. */
export async function createSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const t0 = performance.now()
  const { topology } = opts
  const owner = sandboxOwner()
  requirePrograms(['bash', 'unshare', 'nsenter', 'mount', 'pivot_root', 'hostname', 'ip', ...(topology.docker ? ['iptables-restore'] : [])])
  const limits = opts.limits ? applyLabLimits(opts.limits, opts.parallel) : undefined
  const script = sandboxScript({
    topology,
    persistent: opts.persistent ?? false,
    hostname: hostnameOf(opts.name),
    ...(opts.iptables ? { iptables: opts.iptables } : {}),
    ...(topology.docker ? { backend: iptablesBackend(opts.iptables) } : {}),
    ...(limits ? { limits: limits.shell } : {}),
  })
  // The network namespace is made by a second unshare, as pid 1, once the user
  // namespace has its uid map: made together, its /proc/net files would belong
  // to the machine's root (iptables-legacy reads them). The script comes on fd 3.
  const unshare = ['unshare', '--user', '--map-root-user', '--mount', '--pid', '--uts', '--ipc', '--cgroup', '--fork', '--kill-child', '--mount-proc', '--', 'unshare', '--net', '--', 'bash', '--noprofile', '--norc', '-c', 'eval "$(cat <&3)"']
  const running = start({
    file: unshare[0]!,
    args: unshare.slice(1),
    env: { PATH: `${PATH}:${process.env.PATH ?? ''}`, LANG: 'C.UTF-8' },
    keepStdin: !opts.persistent,
    machine: 'sandbox',
    script,
    ...(limits?.fds.length ? { fds: limits.fds } : {}),
    ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
    command: 'unshare … (sandbox init)',
  })
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

function hostnameOf(name: string | undefined): string {
  const n = (name ?? 'lab').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
  return n || 'lab'
}

async function waitReady(r: Running, timeoutMs: number): Promise<{ ok: true } | { ok: false; why: string }> {
  const out = r.child.stdout
  if (!out) return { ok: false, why: 'no stdout' }
  const lines = createInterface({ input: out })
  return await new Promise((resolve) => {
    const timer = setTimeout(() => finish({ ok: false, why: `not ready after ${timeoutMs} ms` }), timeoutMs)
    const finish = (v: { ok: true } | { ok: false; why: string }) => {
      clearTimeout(timer)
      lines.close()
      resolve(v)
    }
    lines.on('line', (l) => {
      if (l === 'ready') finish({ ok: true })
      else if (l.startsWith('nslab-lab-init-ended')) finish({ ok: false, why: `the lab's init ended (exit ${l.split(' ')[1] ?? '?'})` })
    })
    r.done.then(
      (res) => finish({ ok: false, why: `it ended (exit ${res.exitCode})` }),
      (e: unknown) => finish({ ok: false, why: String(e) }),
    )
  })
}

/** Turn the init's stderr into one clear message naming what fixes it. */
function sandboxFailure(stderr: string, why: string): NslabError {
  const text = stderr.trim()
  if (/unshare failed: (Operation not permitted|Permission denied|No space left on device)/.test(text) || /write failed \/proc\/self\/uid_map/.test(text)) {
    return new NslabError({
      code: 'PREREQUISITE',
      message: `this machine does not allow unprivileged user namespaces (${text.split('\n')[0]})`,
      fix: 'sysctl -w kernel.unprivileged_userns_clone=1 (Debian kernels), sysctl -w user.max_user_namespaces=15000, or on Ubuntu 23.10+: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    })
  }
  if (/iptables-restore.*(not found|No such file)/.test(text)) {
    return new NslabError({ code: 'PREREQUISITE', message: 'iptables is not installed', fix: 'apt-get install iptables' })
  }
  return new NslabError({ code: 'SANDBOX', message: `the lab host could not be built: ${why}${text ? `\n${text}` : ''}` })
}

