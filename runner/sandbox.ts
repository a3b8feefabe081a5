import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { ExecResult } from './exec-result.js'
import { addressFrom } from './address-from.js'
import { isAlive, killAndWait, start, type Running } from './exec.js'
import { iptablesBackend } from './iptables-backend.js'
import { machinesOf, type Topology } from './lab.js'
import { NslabError } from './nslab-error.js'
import { requirePrograms } from './require-programs.js'
import { scaledMs } from './time-scale.js'
import { sandboxScript } from './sandbox-script.js'
import { BIN_DIR, netnsPath } from './sandbox-paths.js'

export interface SandboxOptions {
  topology: Topology
  /** A label for messages and the hostname inside; any text. */
  name?: string
  iptables?: 'nft' | 'legacy'
  /** Outlive this process (learner mode); stop() or SIGTERM to its pid ends it. */
  persistent?: boolean
  /** Time allowed to come up. */
  timeoutMs?: number
}

export interface SandboxExecOptions {
  machine: string
  script: string
  timeoutMs?: number
  env?: Record<string, string>
  input?: string
  maxOutputBytes?: number
  /**
   * 'sh' for a plain command nslab wrote itself (a check's `ip -j addr …`):
   * dash starts in a fraction of bash's time, which counts under emulation.
   * Lab scripts always run in bash.
   */
  shell?: 'bash' | 'sh'
}

/** What is needed to reach a sandbox again from another process (learner mode). */
export interface SandboxHandle {
  /** pid of the unshare process that owns the sandbox's namespaces. */
  pid: number
  /** The outer uid that owns the sandbox, when root made it (see sandboxOwner). */
  uid?: number
  topology: Topology
  iptables?: 'nft' | 'legacy'
}

export interface Sandbox {
  readonly pid: number
  readonly topology: Topology
  readonly machines: string[]
  readonly upMs: number
  /** A machine's address as FROM reaches it (addressFrom). */
  addressOf(name: string, from?: string, as?: 'target' | 'gateway'): string | undefined
  /** Run a bash script (-e, pipefail) on a machine and wait for it. */
  exec(opts: SandboxExecOptions): Promise<ExecResult>
  /** Start a bash script on a machine and leave it running (it ends with the sandbox). */
  spawn(opts: SandboxExecOptions): Running
  /** argv that enters a machine of the sandbox and runs argv (for interactive shells). */
  enterArgv(machine: string, argv: string[]): string[]
  handle(): SandboxHandle
  alive(): boolean
  /** Tear down: every process of the sandbox ends, its namespaces and mounts go. */
  stop(): Promise<void>
}

// A script that runs lab commands refuses to run outside a sandbox: the
// machine's own user namespace maps the whole uid range.
const GUARD =
  'read -r _n1 _n2 _n3 </proc/self/uid_map; [ "$_n3" != 4294967295 ] || { echo "nslab: refusing to run outside a sandbox" >&2; exit 125; }; unset _n1 _n2 _n3; cd /root 2>/dev/null || cd /; '

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

/** A sandbox object for a running sandbox, from this process or another. */
export function attachSandbox(h: SandboxHandle, extra: { upMs?: number; running?: Running } = {}): Sandbox {
  const machines = machinesOf(h.topology)
  // Root enters as the sandbox's owner, so that inside it is the namespace's root, not the machine's.
  const owner = h.uid !== undefined && process.getuid?.() === 0 ? h.uid : undefined
  /** nsenter into a machine of the sandbox; the caller is the owner already (or becomes it as it starts). */
  const nsenterArgv = (machine: string, argv: string[]): string[] => {
    if (!machines.includes(machine)) {
      throw new NslabError({ code: 'USAGE', message: `no machine "${machine}" in this lab (it has: ${machines.join(', ')})` })
    }
    const p = h.pid
    const ns = netnsPath(machine)
    return [
      'nsenter',
      `--user=/proc/${p}/ns/user`,
      `--mount=/proc/${p}/ns/mnt`,
      `--pid=/proc/${p}/ns/pid_for_children`,
      `--uts=/proc/${p}/ns/uts`,
      // Paths inside the sandbox are reached through its root as seen from here.
      `--net=/proc/${p}/root${ns}`,
      '--preserve-credentials',
      '--',
      ...argv,
    ]
  }
  const enterArgv = (machine: string, argv: string[]): string[] => [
    ...(owner !== undefined ? ['setpriv', `--reuid=${owner}`, `--regid=${owner}`, '--clear-groups', '--'] : []),
    ...nsenterArgv(machine, argv),
  ]
  const spawnOn = (o: SandboxExecOptions): Running => {
    const shell = o.shell === 'sh' ? ['sh', '-e', '-c'] : ['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail', '-c']
    const argv = nsenterArgv(o.machine, [...shell, GUARD + o.script])
    return start({
      file: argv[0]!,
      args: argv.slice(1),
      env: sandboxEnv(o.machine, h.iptables, o.env),
      machine: o.machine,
      command: o.script,
      // Not through setpriv: a process less for every step and check (some 80 ms each under emulation).
      ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.input !== undefined ? { input: o.input } : {}),
      ...(o.maxOutputBytes !== undefined ? { maxOutputBytes: o.maxOutputBytes } : {}),
    })
  }
  let stopped: Promise<void> | undefined
  return {
    pid: h.pid,
    topology: h.topology,
    machines,
    upMs: extra.upMs ?? 0,
    addressOf: (name, from, as) => addressFrom(h.topology, name, from, as),
    exec: (o) => spawnOn(o).done,
    spawn: spawnOn,
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
          const ended = await Promise.race([r.done.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 1000))])
          if (!ended) r.kill('SIGKILL', false)
          await r.done.catch(() => undefined)
        } else {
          // Kill pid 1 first: unshare then reaps it once every process of
          // the namespace is gone, and exits.
          const pid1 = childrenOf(h.pid)[0]
          if (pid1 !== undefined) await killAndWait(pid1)
          await killAndWait(h.pid)
        }
      })()
      return stopped
    },
  }
}

/** Build a lab host: user, mount, pid, uts and network namespaces, and the topology. */
export async function createSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const t0 = performance.now()
  const { topology } = opts
  const owner = sandboxOwner()
  requirePrograms(['bash', 'unshare', 'nsenter', 'mount', 'hostname', 'ip', ...(topology.docker ? ['iptables-restore'] : [])])
  const script = sandboxScript({
    topology,
    persistent: opts.persistent ?? false,
    hostname: hostnameOf(opts.name),
    ...(opts.iptables ? { iptables: opts.iptables } : {}),
    ...(topology.docker ? { backend: iptablesBackend(opts.iptables) } : {}),
  })
  // The network namespace is made by a second unshare, as pid 1, once the user
  // namespace has its uid map: made together, its /proc/net files would belong
  // to the machine's root (iptables-legacy reads them).
  const unshare = ['unshare', '--user', '--map-root-user', '--mount', '--pid', '--uts', '--ipc', '--fork', '--kill-child', '--mount-proc', '--', 'unshare', '--net', '--', 'bash', '--noprofile', '--norc', '-c', script]
  const running = start({
    file: unshare[0]!,
    args: unshare.slice(1),
    env: { PATH: `${PATH}:${process.env.PATH ?? ''}`, LANG: 'C.UTF-8' },
    keepStdin: !opts.persistent,
    machine: 'sandbox',
    ...(owner !== undefined ? { uid: owner, gid: owner } : {}),
    command: 'unshare … (sandbox init)',
  })
  const ready = await waitReady(running, opts.timeoutMs ?? scaledMs(10_000))
  if (!ready.ok) {
    running.kill('SIGKILL', false)
    const r = await running.done.catch(() => undefined)
    throw sandboxFailure(r?.stderr ?? '', ready.why)
  }
  if (opts.persistent) {
    running.child.unref()
    running.child.stdout?.destroy()
    running.child.stderr?.destroy()
    running.child.stdin?.destroy()
  }
  const h: SandboxHandle = { pid: running.pid, topology, ...(owner !== undefined ? { uid: owner } : {}), ...(opts.iptables ? { iptables: opts.iptables } : {}) }
  return attachSandbox(h, { upMs: performance.now() - t0, ...(opts.persistent ? {} : { running }) })
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

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
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
