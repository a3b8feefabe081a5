// How this machine runs the workers that grade submissions, decided once per
// `nslab grade`. Answers are untrusted code, and a sandbox made by real root
// maps its root to real root: the learner's script could then write every
// file of the machine. So, run as root, each worker drops to an unused uid
// (one per parallel slot) and gets its own IPC namespace and /dev/shm; its
// sandbox's root is that uid, which owns no file here. Run as an ordinary
// user, the worker is that user (whose own files answers could then reach:
// the docs say so) and rlimits stand in for cgroups.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { start, type Running } from './exec.js'
import type { WorkerReply, WorkerRequest } from './grade-worker.js'
import { NslabError } from './nslab-error.js'
import { requirePrograms } from './require-programs.js'

export interface GradingHost {
  /** isolated: as root, workers run as an unused uid; self: as the user running nslab. */
  mode: 'isolated' | 'self'
  /** The uid of slot 0 (isolated mode); slot n runs as uidBase + n. */
  uidBase: number
  /** Whether per-submission cgroups are to be made (root only). */
  cgroups: boolean
  workerFile: string
  /** Start a worker for a parallel slot; its stdin stays open for the request. */
  startWorker(slot: number): Running
}

export interface GradingHostOptions {
  /** First uid of the graders (isolated mode); default 1,900,000,000. */
  uidBase?: number
  /** Run workers as this user even as root (tests of the fallback; unsafe for real classes). */
  forceSelf?: boolean
}

export const DEFAULT_UID_BASE = 1_900_000_000
/** A worker's reply holds every output of the run (each cut at the output limit). */
const WORKER_MAX_OUTPUT = 256 * 1024 * 1024
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Decide how workers run here, and prove one can (it must read nslab and make namespaces). */
export async function prepareGradingHost(opts: GradingHostOptions = {}): Promise<GradingHost> {
  const workerFile = findWorkerFile()
  const isRoot = process.getuid?.() === 0
  const mode = isRoot && !opts.forceSelf ? 'isolated' : 'self'
  requirePrograms(['unshare', 'nsenter', ...(mode === 'isolated' ? ['setpriv'] : [])])
  const uidBase = opts.uidBase ?? DEFAULT_UID_BASE
  const env = { PATH: `${PATH}:${process.env.PATH ?? ''}`, LANG: 'C.UTF-8', HOME: '/nonexistent', NODE_OPTIONS: '' }
  const startWorker = (slot: number): Running => {
    if (mode === 'self') {
      return start({ file: process.execPath, args: [workerFile], env: { ...env, HOME: process.env.HOME ?? '/' }, keepStdin: true, maxOutputBytes: WORKER_MAX_OUTPUT, command: 'nslab grade worker' })
    }
    const uid = String(uidBase + slot)
    // A private IPC namespace and /dev/shm: what the learner's code leaves there dies with it.
    const inner = [
      'mount -t tmpfs -o size=64m,nosuid,nodev,mode=1777 nslab-shm /dev/shm 2>/dev/null || true',
      '[ ! -d /dev/mqueue ] || mount -t mqueue nslab-mqueue /dev/mqueue 2>/dev/null || true',
      'cd /',
      'exec setpriv --reuid="$0" --regid="$0" --clear-groups --no-new-privs -- "$@"',
    ].join('\n')
    return start({
      file: 'unshare',
      args: ['--ipc', '--mount', '--propagation', 'private', '--', 'sh', '-c', inner, uid, process.execPath, workerFile],
      env,
      keepStdin: true,
      maxOutputBytes: WORKER_MAX_OUTPUT,
      command: `nslab grade worker (uid ${uid})`,
    })
  }
  const host: GradingHost = { mode, uidBase, cgroups: isRoot, workerFile, startWorker }
  const reply = await askWorker(host, 0, { ping: true }, 30_000)
  if (!reply.ok) {
    throw new NslabError({
      code: 'PREREQUISITE',
      message: `the grader could not start${mode === 'isolated' ? ` as uid ${uidBase}` : ''}: ${reply.error}`,
      ...(mode === 'isolated' && /EACCES|permission denied/i.test(reply.error)
        ? { fix: `nslab's files (${dirname(dirname(workerFile))}) must be readable by every user: the grader runs as an unused uid` }
        : {}),
    })
  }
  if (!('pong' in reply.reply)) throw new NslabError({ code: 'SANDBOX', message: 'the grader answered a ping with something else' })
  if (!reply.reply.sandbox.ok) {
    throw new NslabError({
      code: 'PREREQUISITE',
      message: `the grader${mode === 'isolated' ? `, running as the unused uid ${uidBase},` : ''} cannot build a lab host: ${reply.reply.sandbox.message}`,
    })
  }
  return host
}

/** Send one request to a new worker and read its reply. */
export async function askWorker(
  host: GradingHost,
  slot: number,
  request: WorkerRequest,
  timeoutMs: number,
  onStart?: (pid: number) => void,
): Promise<{ ok: true; reply: WorkerReply; stderr: string } | { ok: false; error: string; exitCode: number | null; signal?: string; stderr: string; timedOut: boolean }> {
  const w = host.startWorker(slot)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    w.kill('SIGKILL')
  }, timeoutMs)
  try {
    onStart?.(w.pid)
    w.child.stdin?.end(JSON.stringify(request))
    const r = await w.done
    const line = r.stdout.trim().split('\n').pop() ?? ''
    if (r.exitCode === 0 && line.startsWith('{')) {
      try {
        return { ok: true, reply: JSON.parse(line) as WorkerReply, stderr: r.stderr }
      } catch {
        // fall through: not a reply
      }
    }
    const error = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || (r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`)
    return { ok: false, error, exitCode: r.exitCode, ...(r.signal ? { signal: r.signal } : {}), stderr: r.stderr, timedOut }
  } catch (e) {
    // A worker that could not even be started.
    w.kill('SIGKILL')
    return { ok: false, error: (e as Error).message, exitCode: null, stderr: '', timedOut: false }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The worker's compiled module. Workers always run the built JavaScript
 * (dist/runner/grade-worker.js), also when nslab runs from its sources in
 * tests: a TypeScript loader in each worker would cost seconds.
 */
export function findWorkerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, 'grade-worker.js'), join(here, '..', 'dist', 'runner', 'grade-worker.js')]
  const found = candidates.find((f) => existsSync(f))
  if (!found) {
    throw new NslabError({ code: 'PREREQUISITE', message: 'nslab is not built: dist/runner/grade-worker.js is missing', fix: 'npm run build' })
  }
  return found
}

/** How many processes a user has now (the base of RLIMIT_NPROC, which counts them all). */
export function processCountOf(uid: number): number {
  let n = 0
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (statSync(`/proc/${d}`).uid === uid) {
        // Threads count against RLIMIT_NPROC too.
        const m = /^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))
        n += m ? Number(m[1]) : 1
      }
    } catch {
      // gone
    }
  }
  return n
}
