// The one module that starts processes. Everything else (sandbox, checks,
// runner) asks it. Built on node:child_process rather than execa because a
// step that leaves a background child holding stdout must not hang the run:
// we resolve on the direct child's exit, give its pipes a short grace, then
// cut them. Each process gets its own process group, so a timeout ends the
// whole tree it started (and nothing else).

import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns, type StdioNull, type StdioPipe } from 'node:child_process'
import { closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { constants as osConstants, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Stream } from 'node:stream'
import type { ExecResult } from './exec-result.js'
import { NslabError } from '../util/nslab-error.js'
import { createForker, type Forker } from './forker.js'
import { FORKER_SCRIPT } from './forker-script.js'

export interface ExecOptions {
  file: string
  args: string[]
  /** Written to stdin, then stdin is closed. */
  input?: string
  /** Kill the process group after this long; the result says timedOut. */
  timeoutMs?: number
  /** The whole environment of the process (never merged in silently). */
  env?: NodeJS.ProcessEnv
  /** Label for results: the machine it ran on. */
  machine?: string
  /** Label for results: the script or command as a person reads it. */
  command?: string
  /** Cap on stdout+stderr kept; past it the process group is killed. */
  maxOutputBytes?: number
  /** How long to wait for pipes after the process exited (background children may hold them). */
  pipeGraceMs?: number
  /**
   * Run as this uid and gid (root only). The child drops its supplementary
   * groups too (libuv calls setgroups(0) before setgid): what `setpriv
   * --reuid --regid --clear-groups` does, without a process of its own.
   */
  uid?: number
  gid?: number
  /**
   * A script for the process to read on fd 3 (a pipe, closed after it):
   * scripts travel by pipe, never on a command line, which every user of the
   * machine can read in /proc and which the kernel caps at 128 KiB.
   */
  script?: string
  /** Descriptors of this process to hand on at fd 4, 5, … (the lab host's cgroups). */
  fds?: number[]
  /** Of those, the ones to close once the process has its copy (exec.ts closes them, started or not). */
  closeAfterStart?: number[]
  /**
   * Namespaces to enter before the program starts, as `nsenter --preserve-credentials` would (the forker
   * enters them itself: one process less; without it, nsenter does). A path may name one of the process's own
   * descriptors (/proc/self/fd/4). A namespace it cannot enter is a result (exit 1, why on stderr), as nsenter's.
   */
  enter?: NamespaceEntry[]
  /** Send SIGINT to the process group after this long (what `timeout -s INT` does: ping still prints its statistics). */
  interruptAfterMs?: number
}

export type NamespaceKind = 'user' | 'mnt' | 'pid' | 'uts' | 'ipc' | 'cgroup' | 'net'
export interface NamespaceEntry {
  ns: NamespaceKind
  path: string
}

/** setns(2)'s nstype of each kind (CLONE_NEW*): the file must be a namespace of that kind. */
const NSTYPE: Record<NamespaceKind, number> = { user: 0x10000000, mnt: 0x20000, pid: 0x20000000, uts: 0x4000000, ipc: 0x8000000, cgroup: 0x2000000, net: 0x40000000 }

/** FILE ARGS run by nsenter, which enters the namespaces first: for a process node's own spawn starts. */
export function throughNsenter(enter: NamespaceEntry[], file: string, args: string[]): { file: string; args: string[] } {
  return { file: 'nsenter', args: [...enter.map((e) => `--${e.ns === 'mnt' ? 'mount' : e.ns}=${e.path}`), '--preserve-credentials', '--', file, ...args] }
}

export interface Running {
  /** Its pid; -1 for the moment between asking the forker and its answer. */
  readonly pid: number
  done: Promise<ExecResult>
  /** Signal the process group (or only the process with group=false). */
  kill(signal?: NodeJS.Signals, group?: boolean): void
}

/** A process started by node itself, whose stdin the caller keeps (keepStdin) and whose pipes it may read. */
export interface Attached extends Running {
  child: ChildProcess
}

const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024

/**
 * Start a process; `done` resolves with its result, never rejects for exit
 * codes. Short-lived processes (no keepStdin) are forked by the forker when
 * this machine has perl; the rest by node.
 */
export function start(opts: ExecOptions & { keepStdin: boolean }): Attached
export function start(opts: ExecOptions): Running
export function start(opts: ExecOptions & { keepStdin?: boolean }): Running {
  if (opts.keepStdin === undefined) {
    const f = theForker()
    if (f && (opts.fds?.length ?? 0) <= FORKER_MAX_FDS) return startForked(f, opts)
  }
  return startSpawned(opts)
}

/** What both ways of starting share: output kept up to a cap, a timeout, the pipes' grace after exit, one result. */
interface Collector {
  out(chunk: Buffer): void
  err(chunk: Buffer): void
  /** The process exited: wait for its pipes (or their grace), then finish. */
  exited(code: number | null, signal: NodeJS.Signals | null): void
  /** Its pipes closed after the exit. */
  closed(): void
  failed(e: Error): void
  /** Another process does the work after all (the forker died before starting it): its result is the result. */
  adopt(other: Running): void
  done: Promise<ExecResult>
}

function collector(opts: ExecOptions, kill: (signal: NodeJS.Signals) => void, stopReading: () => void): Collector {
  const t0 = performance.now()
  const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT
  const out: Buffer[] = []
  const err: Buffer[] = []
  const all: Buffer[] = []
  let size = 0
  let truncated = false
  let timedOut = false
  let code: number | null = null
  let signal: NodeJS.Signals | null = null
  let hasExited = false
  let settled = false
  let grace: NodeJS.Timeout | undefined
  let resolve!: (r: ExecResult) => void
  let reject!: (e: Error) => void
  const done = new Promise<ExecResult>((res, rej) => {
    resolve = res
    reject = rej
  })
  const timer =
    opts.timeoutMs !== undefined && opts.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true
          kill('SIGKILL')
        }, opts.timeoutMs)
      : undefined
  const interrupt = opts.interruptAfterMs !== undefined && opts.interruptAfterMs > 0 ? setTimeout(() => kill('SIGINT'), opts.interruptAfterMs) : undefined
  /** The result is settled: no timer of its own may fire any more. */
  const settle = (): void => {
    settled = true
    if (timer) clearTimeout(timer)
    if (interrupt) clearTimeout(interrupt)
  }
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    if (truncated || settled) return
    if (size + chunk.length > max) {
      chunk = chunk.subarray(0, Math.max(0, max - size))
      truncated = true
      kill('SIGKILL')
    }
    size += chunk.length
    into.push(chunk)
    all.push(chunk)
  }
  const finish = (): void => {
    if (settled) return
    settle()
    if (grace) clearTimeout(grace)
    stopReading()
    const result: ExecResult = {
      machine: opts.machine ?? 'local',
      command: opts.command ?? [opts.file, ...opts.args].join(' '),
      exitCode: code,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      output: Buffer.concat(all).toString('utf8'),
      durationMs: Math.round((performance.now() - t0) * 10) / 10,
      timedOut,
    }
    if (signal) result.signal = signal
    if (truncated) result.truncated = true
    resolve(result)
  }
  return {
    out: collect(out),
    err: collect(err),
    exited(c, s) {
      if (hasExited) return
      hasExited = true
      if (interrupt) clearTimeout(interrupt)
      code = c
      signal = s
      // Pipes may be held open by a child that outlives this process: stop
      // reading once nothing more came for the grace time. Timers run before
      // the event loop polls for I/O, so the check waits one poll (setImmediate)
      // to read what is already in the pipe, however late the timer fired.
      const graceMs = opts.pipeGraceMs ?? 100
      let seen = size
      const idle = () =>
        setImmediate(() => {
          if (size === seen) return finish()
          seen = size
          grace = setTimeout(idle, graceMs)
        })
      grace = setTimeout(idle, graceMs)
    },
    closed() {
      if (hasExited) finish()
    },
    failed(e) {
      if (settled) return
      settle()
      reject(e)
    },
    adopt(other) {
      if (settled) return
      settle()
      other.done.then(resolve, reject)
    },
    done,
  }
}

const notInstalled = (file: string, cause?: unknown): NslabError => new NslabError({ code: 'PREREQUISITE', message: `${file} is not installed`, ...(cause ? { cause } : {}) })

/** Signal a process group we started: its other members first, its leader when it has reaped them. */
function killGroup(leader: number, signal: NodeJS.Signals, group: boolean, exited: () => boolean): void {
  try {
    if (!group) return void process.kill(leader, signal)
    // The leader may be nsenter, whose child lives in a lab host's pid namespace: killed together, that
    // child would be left a zombie for the machine's init to reap, and until it is, its pid namespace
    // cannot end.
    for (const pid of groupMembers(leader)) {
      try {
        process.kill(pid, signal)
      } catch {
        // gone meanwhile
      }
    }
    const until = Date.now() + 300
    const last = (): void => {
      if (exited()) return
      if (Date.now() < until && groupMembers(leader).length) return void setTimeout(last, 10)
      try {
        process.kill(-leader, signal)
      } catch {
        // already gone
      }
    }
    setTimeout(last, 10)
  } catch {
    // already gone
  }
}

function startSpawned(given: ExecOptions & { keepStdin?: boolean }): Attached {
  const opts = given.enter?.length ? { ...given, ...throughNsenter(given.enter, given.file, given.args) } : given
  const extra: ('pipe' | 'ignore' | number)[] = opts.script !== undefined || opts.fds?.length ? [opts.script !== undefined ? 'pipe' : 'ignore', ...(opts.fds ?? [])] : []
  const child = spawn(opts.file, opts.args, {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe', ...extra],
    env: opts.env ?? process.env,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  })
  for (const fd of opts.closeAfterStart ?? []) closeSync(fd)
  let exited = false
  const kill = (signal: NodeJS.Signals = 'SIGKILL', group = true): void => {
    if (child.pid !== undefined && !exited) killGroup(child.pid, signal, group, () => exited)
  }
  const c = collector(opts, kill, () => {
    child.stdout?.destroy()
    child.stderr?.destroy()
  })
  child.stdout?.on('data', c.out)
  child.stderr?.on('data', c.err)
  // A closed stdin of a process that never reads it is not an error.
  child.stdin?.on('error', () => {})
  if (opts.input !== undefined) child.stdin?.end(opts.input)
  else if (!opts.keepStdin) child.stdin?.end()
  if (opts.script !== undefined) {
    const fd3 = child.stdio[3] as import('node:stream').Writable | null | undefined
    fd3?.on('error', () => {})
    fd3?.end(opts.script)
  }
  child.on('error', (e: NodeJS.ErrnoException) => c.failed(e.code === 'ENOENT' ? notInstalled(opts.file, e) : e))
  child.on('exit', (code, signal) => {
    exited = true
    c.exited(code, signal)
    child.on('close', () => c.closed())
  })
  return { pid: child.pid ?? -1, child, done: c.done, kill }
}

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(Object.entries(osConstants.errno).map(([name, n]) => [n, name]))
const errnoName = (n: number): string => ERRNO_NAMES[n] ?? `errno ${n}`

const SIGNAL_NAMES: Record<number, NodeJS.Signals> = Object.fromEntries(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]))

function startForked(f: Forker, opts: ExecOptions): Running {
  let pid = -1
  // The forker opens the descriptors again from /proc, later: it gets copies of our own, opened now and kept until
  // it has them, so that a caller closing its own meanwhile (a lab host ending) cannot hand it whatever this
  // process opens next under that number (another lab host's file).
  const copies = (opts.fds ?? []).map((fd) => openSync(`/proc/self/fd/${fd}`, accessOf(fd)))
  let closed = false
  const closeAfter = (): void => {
    if (closed) return
    closed = true
    for (const fd of [...copies, ...(opts.closeAfterStart ?? [])]) closeSync(fd)
  }
  let exited = false
  let pending: [NodeJS.Signals, boolean] | undefined
  let instead: Running | undefined
  const kill = (signal: NodeJS.Signals = 'SIGKILL', group = true): void => {
    if (instead) return instead.kill(signal, group)
    if (exited) return
    // Asked before the forker answered: done once it has.
    if (pid < 0) pending = [signal, group]
    else killGroup(pid, signal, group, () => exited)
  }
  let id = 0
  const c = collector(opts, kill, () => f.drop(id))
  id = f.start(
    {
      file: opts.file,
      args: opts.args,
      env: opts.env ?? process.env,
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.script !== undefined ? { script: opts.script } : {}),
      ...(copies.length ? { fds: copies } : {}),
      ...(opts.enter?.length ? { enter: opts.enter.map((e) => ({ type: NSTYPE[e.ns], path: e.path })) } : {}),
    },
    {
      started: (p) => {
        pid = p
        closeAfter()
        if (pending) kill(...pending)
      },
      failed: (errno, where) => {
        if (where === 'forker') {
          // It died before this one started: node starts it (and closes the caller's descriptors).
          for (const fd of copies) closeSync(fd)
          closed = true
          const other = startSpawned(opts)
          instead = other
          return c.adopt(other)
        }
        closeAfter()
        // Its pid, if it had one, is no longer ours to signal.
        exited = true
        if (where === 'setns') {
          // As nsenter: the namespace is gone (a lab host ending) or is no namespace of that kind; a result, not a broken machine.
          c.err(Buffer.from(`nslab: cannot enter the namespaces ${(opts.enter ?? []).map((e) => e.path).join(', ')}: ${errnoName(errno)}\n`))
          c.exited(1, null)
          return c.closed()
        }
        c.failed(errno === osConstants.errno.ENOENT && where === 'exec' ? notInstalled(opts.file) : new Error(`${opts.file} could not start: ${where} failed with errno ${errno}`))
      },
      out: c.out,
      err: c.err,
      exit: (code, signal) => {
        exited = true
        c.exited(code, signal === null ? null : (SIGNAL_NAMES[signal] ?? 'SIGKILL'))
      },
      closed: c.closed,
    },
  )
  return {
    get pid() {
      return instead?.pid ?? pid
    },
    done: c.done,
    kill,
  }
}

/** How a descriptor of this process was opened (read, write, both), from /proc/self/fdinfo: to open a copy the same way. */
function accessOf(fd: number): number {
  const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1]
  return flags === undefined ? fsConstants.O_RDONLY : Number.parseInt(flags, 8) & 3
}

let forker: Forker | null | undefined

/** The forker, started on first use; null where there is no perl (or no syscall table for this machine), or NSLAB_FORKER=0. */
function theForker(): Forker | null {
  if (forker?.alive()) return forker
  if (forker !== undefined) return null
  forker = null
  if (process.env.NSLAB_FORKER === '0' || !FORKER_ARCHES.has(process.arch) || !existsSync(PERL)) return null
  const child = spawn(PERL, ['-e', FORKER_SCRIPT, String(process.pid), process.arch], {
    // Its own session: a terminal's Ctrl-C is nslab's to handle, and it needs the forker meanwhile.
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { PATH: '/usr/bin:/bin', LANG: 'C' },
  })
  forker = createForker(child)
  return forker
}

/**
 * Start the forker now if it is not running, for work that will want it soon: a lab host being
 * built (its steps follow), so that the forker's own start is done meanwhile.
 */
export function warmForker(): void {
  theForker()
}

const PERL = '/usr/bin/perl'
/** Descriptors the forker hands on (fds 4 to 15: it holds 0–15 free of its own pipes); more go through node's spawn. */
const FORKER_MAX_FDS = 12
/** Where the forker knows the numbers of the system calls it makes. */
const FORKER_ARCHES = new Set<string>(['x64', 'arm64', 'riscv64'])

/** Run a process to its end (or its timeout) and return what it did. */
export function run(opts: ExecOptions): Promise<ExecResult> {
  return start(opts).done
}

export interface ChildOptions {
  file: string
  args: string[]
  /** The whole environment of the process. */
  env: NodeJS.ProcessEnv
  uid?: number
  gid?: number
  /** Read by the process on fd 3, as start() hands it. */
  script: string
  /** Descriptors of this process to hand on at fd 4, 5, … */
  fds?: number[]
  /** stdin, stdout and stderr, as the caller wants them. */
  stdio: [ChildStdio, ChildStdio, ChildStdio]
}

export type ChildStdio = StdioPipe | StdioNull | 'inherit' | number | Stream | null | undefined

/**
 * Start a process for a caller that drives it itself (the API's zx `$`, which
 * reads, pipes and kills node's own ChildProcess): its stdio as the caller
 * asks, a process group of its own (a kill of the group ends the whole tree),
 * and the script on fd 3, never on a command line.
 */
export function spawnChild(opts: ChildOptions): ChildProcess {
  const child = spawn(opts.file, opts.args, {
    detached: true,
    stdio: [...opts.stdio, 'pipe', ...(opts.fds ?? [])],
    env: opts.env,
    cwd: '/',
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  })
  const fd3 = child.stdio[3] as import('node:stream').Writable | null | undefined
  fd3?.on('error', () => {})
  fd3?.end(opts.script)
  return child
}

/**
 * The same, run to its end (zx's `$.sync`). spawnSync writes nothing but
 * stdin, so the script comes on fd 3 from a file that no longer has a name:
 * written in a folder of our own (mode 0700), opened, then removed.
 */
export function spawnChildSync(opts: ChildOptions & { input?: string | Buffer }): SpawnSyncReturns<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-script-'))
  let fd: number
  try {
    writeFileSync(join(dir, 's'), opts.script, { mode: 0o600 })
    fd = openSync(join(dir, 's'), 'r')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    return spawnSync(opts.file, opts.args, {
      stdio: [...opts.stdio, fd, ...(opts.fds ?? [])] as never,
      env: opts.env,
      cwd: '/',
      maxBuffer: Infinity,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    })
  } finally {
    closeSync(fd)
  }
}

/**
 * Start a process that outlives this one (nslab's session agent): a session
 * of its own (no terminal whose Ctrl-C or hang-up would end it), no stdio,
 * in /, not waited for. Its pid, or undefined when it could not start.
 */
export function startDaemon(file: string, args: string[], env: NodeJS.ProcessEnv): number | undefined {
  const child = spawn(file, args, { detached: true, stdio: 'ignore', env, cwd: '/' })
  child.on('error', () => {})
  child.unref()
  return child.pid
}

/** Whether a process we started is still alive (signal 0 probes it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** End a process we started, by its id, with SIGKILL, and wait until it is gone. */
export async function killAndWait(pid: number, timeoutMs = 3000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return true
  }
  return await waitForExit(pid, timeoutMs)
}

/** Wait until a process we started (or asked to end) is gone or a zombie: false if it is still there after timeoutMs. */
export async function waitForExit(pid: number, timeoutMs = 3000): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (!isAlive(pid) || isZombie(pid)) return true
    await new Promise((r) => setTimeout(r, 5))
  }
  return false
}

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

export interface InteractiveOptions {
  file: string
  args: string[]
  /** The whole environment of the process (never merged in silently). */
  env?: NodeJS.ProcessEnv
  /** Pipes after stdin, stdout and stderr (fds 3, 4, …): a side channel with the program. */
  extraPipes?: number
}

export interface Interactive {
  pid: number
  /** The parent's ends of the extra pipes, fd 3 first. */
  pipes: (NodeJS.ReadableStream & NodeJS.WritableStream)[]
  /** Its exit status, 128 + the signal's number when a signal ended it. */
  done: Promise<number>
}

/**
 * Run a program on this terminal (a shell, a command a person watches): stdin,
 * stdout and stderr are ours. While it runs, the terminal's signals (Ctrl-C,
 * Ctrl-\) are its own, not reasons for nslab to end.
 */
export function interactive(opts: InteractiveOptions): Interactive {
  const extra = Array.from({ length: opts.extraPipes ?? 0 }, () => 'pipe' as const)
  const child = spawn(opts.file, opts.args, { stdio: ['inherit', 'inherit', 'inherit', ...extra], env: opts.env ?? process.env })
  const ignore = () => {}
  process.on('SIGINT', ignore)
  process.on('SIGQUIT', ignore)
  const pipes = child.stdio.slice(3).filter((s) => s !== null && s !== undefined) as unknown as Interactive['pipes']
  const done = new Promise<number>((resolve, reject) => {
    const cleanup = () => {
      process.off('SIGINT', ignore)
      process.off('SIGQUIT', ignore)
      // A background process of the program may hold the pipes: they are ours to close.
      for (const p of child.stdio.slice(3)) (p as { destroy?: () => void } | null)?.destroy?.()
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      cleanup()
      reject(e.code === 'ENOENT' ? new NslabError({ code: 'PREREQUISITE', message: `${opts.file} is not installed`, cause: e }) : e)
    })
    child.on('exit', (code, signal) => {
      cleanup()
      resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1))
    })
  })
  return { pid: child.pid ?? -1, pipes, done }
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 }

/** The processes of a process group but its leader (from /proc: field 5 of stat is the group). */
export function groupMembers(pgid: number): number[] {
  const found: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === pgid) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(f[2]) === pgid && f[0] !== 'Z') found.push(Number(d))
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/** What /proc says of a process: enough to tell it is the one we started. */
export interface ProcessInfo {
  pid: number
  ppid: number
  /** Its name (comm), e.g. "unshare". */
  name: string
  /** Its command line. */
  argv: string[]
  /** Real uid. */
  uid: number
  /** Start time in clock ticks after boot: with the pid, it names one process for good. */
  startTime: number
  /** Ended, not yet reaped by its parent. */
  zombie?: boolean
}

/** The process with this pid, or undefined when there is none (or /proc hides it). */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The name is in parentheses and may hold spaces or ')'.
    const close = stat.lastIndexOf(')')
    const name = stat.slice(stat.indexOf('(') + 1, close)
    const f = stat.slice(close + 2).split(' ')
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? NaN)
    let argv: string[] = []
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1)
    } catch {
      // a zombie has none
    }
    return { pid, ppid: Number(f[1]), name, argv, uid, startTime: Number(f[19]), ...(f[0] === 'Z' ? { zombie: true } : {}) }
  } catch {
    return undefined
  }
}

/** Processes whose parent is pid (from /proc). */
export function childProcesses(pid: number): ProcessInfo[] {
  const out: ProcessInfo[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    const info = processInfo(Number(e))
    if (info && info.ppid === pid) out.push(info)
  }
  return out
}
