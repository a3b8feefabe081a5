// How this machine runs the workers that grade submissions, decided once per
// `nslab grade`. Answers are untrusted code, and a sandbox made by real root
// maps its root to real root: the learner's script could then write every
// file of the machine. So, run as root, each worker drops to an unused uid
// (one per parallel slot) and gets its own IPC namespace and /dev/shm; its
// sandboxes' root is that uid, which owns no file here. Run as an ordinary
// user, the worker is that user (whose own files answers could then reach:
// the docs say so) and rlimits stand in for cgroups.
//
// A slot keeps its worker from one submission to the next (starting Node and
// loading the checks costs about 0.2 s of CPU, a third of a submission's);
// the worker moves into each submission's cgroups before it gets the job,
// and clears its private /dev/shm and IPC objects after each job. A worker
// that dies or overruns is ended, and the slot starts a new one.
//
// engine: docker is the exception (mode "root"): dockerd needs a lab host of
// 65536 uids and a cgroup tree it may write, which only root can make, so its
// workers stay root (in their own IPC and mount namespaces all the same). The
// answers still run as the lab host's root, an unused uid outside (and the
// 65535 after it), which owns no file of the machine; the images are bound in
// read-only (docs/engines.md#grading).
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { packageRoot } from '../util/package-root.js'
import { start, type Attached } from '../host/exec.js'
import type { Engine } from '../lab/lab.js'
import { sandboxOwner } from '../host/sandbox.js'
import type { WorkerReply, WorkerRequest } from './grade-worker.js'
import { NslabError } from '../util/nslab-error.js'
import { requirePrograms } from '../host/require-programs.js'
import { within } from '../util/within.js'

export type WorkerAnswer =
  | { ok: true; reply: WorkerReply }
  | { ok: false; error: string; exitCode: number | null; signal?: string; timedOut: boolean; stderr: string }

export interface GradingHost {
  /**
   * isolated: as root, workers run as an unused uid; self: as the user running nslab;
   * root: as root for engine: docker, workers stay root and answers run as the lab host's unused uid.
   */
  mode: 'isolated' | 'self' | 'root'
  /** The uid of slot 0 (isolated mode); slot n runs as uidBase + n. */
  uidBase: number
  /** Whether per-submission cgroups are to be made (root only). */
  cgroups: boolean
  workerFile: string
  /**
   * Send one request to the slot's worker (started if it has none) and wait
   * for its reply. `beforeSend` gets the worker's pid first (to move it into
   * the submission's cgroups). Past timeoutMs the worker is ended.
   */
  ask(slot: number, request: WorkerRequest, timeoutMs: number, beforeSend?: (pid: number) => void): Promise<WorkerAnswer>
  /** End every worker (their stdin closes; they exit). */
  close(): Promise<void>
}

export interface GradingHostOptions {
  /** First uid of the graders (isolated mode); default 1,900,000,000. */
  uidBase?: number
  /** The engine of the lab graded: docker needs root workers (and the image cache, built here first). */
  engine?: Engine
  /** Progress of a first image build (engine: docker). */
  note?: (line: string) => void
}

export const DEFAULT_UID_BASE = 1_900_000_000
/** Replies hold every output of a run (each cut at the output limit). */
const WORKER_MAX_OUTPUT = 1024 * 1024 * 1024
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

interface Worker {
  running: Attached
  lines: string[]
  waiting?: (line: string | undefined) => void
  exited: boolean
}

/** Decide how workers run here, and prove one can (it must read nslab and build a lab host). */
export async function prepareGradingHost(opts: GradingHostOptions = {}): Promise<GradingHost> {
  const workerFile = findWorkerFile()
  const isRoot = process.getuid?.() === 0
  const docker = opts.engine === 'docker'
  const mode: GradingHost['mode'] = isRoot ? (docker ? 'root' : 'isolated') : 'self'
  requirePrograms(['unshare', 'nsenter', ...(mode === 'isolated' ? ['setpriv'] : [])])
  const uidBase = opts.uidBase ?? DEFAULT_UID_BASE
  // NSLAB_FORKER=0: a worker moves into each submission's cgroups and out again, and what it starts must be
  // born inside them; a forker would stay in the cgroups of the submission it was started for.
  const env: NodeJS.ProcessEnv = { PATH: `${PATH}:${process.env.PATH ?? ''}`, LANG: 'C.UTF-8', HOME: '/nonexistent', NODE_OPTIONS: '', NSLAB_FORKER: '0' }
  // A slow machine (a VM under emulation, where grade --kernel runs this) stretches the workers' fixed limits too.
  if (process.env.NSLAB_TIME_SCALE) env.NSLAB_TIME_SCALE = process.env.NSLAB_TIME_SCALE
  if (docker) Object.assign(env, await prepareDocker(opts))
  const workers = new Map<number, Worker>()

  const spawnWorker = (slot: number): Attached => {
    if (mode === 'self') {
      return start({ file: process.execPath, args: [workerFile], env: { ...env, HOME: process.env.HOME ?? '/' }, keepStdin: true, maxOutputBytes: WORKER_MAX_OUTPUT, command: 'nslab grade worker' })
    }
    const uid = mode === 'root' ? '0' : String(uidBase + slot)
    // A private IPC namespace and /dev/shm: what learners' code leaves there is cleared after each job.
    const inner = [
      'mount -t tmpfs -o size=64m,nosuid,nodev,mode=1777 nslab-shm /dev/shm 2>/dev/null || true',
      '[ ! -d /dev/mqueue ] || mount -t mqueue nslab-mqueue /dev/mqueue 2>/dev/null || true',
      'cd /',
      'export NSLAB_GRADE_PRIVATE_IPC=1',
      mode === 'root' ? 'exec "$@"' : 'exec setpriv --reuid="$0" --regid="$0" --clear-groups --no-new-privs -- "$@"',
    ].join('\n')
    return start({
      file: 'unshare',
      args: ['--ipc', '--mount', '--propagation', 'private', '--', 'sh', '-c', inner, uid, process.execPath, workerFile],
      env,
      keepStdin: true,
      maxOutputBytes: WORKER_MAX_OUTPUT,
      command: mode === 'root' ? 'nslab grade worker (root, engine: docker)' : `nslab grade worker (uid ${uid})`,
    })
  }

  const workerOf = (slot: number): Worker => {
    const old = workers.get(slot)
    if (old && !old.exited) return old
    const running = spawnWorker(slot)
    const w: Worker = { running, lines: [], exited: false }
    const out = running.child.stdout
    if (out) {
      createInterface({ input: out }).on('line', (line) => {
        if (w.waiting) {
          const f = w.waiting
          w.waiting = undefined
          f(line)
        } else w.lines.push(line)
      })
    }
    running.done.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      w.exited = true
      w.waiting?.(undefined)
    })
    workers.set(slot, w)
    return w
  }

  const ask: GradingHost['ask'] = async (slot, request, timeoutMs, beforeSend) => {
    let w: Worker
    try {
      w = workerOf(slot)
    } catch (e) {
      return { ok: false, error: (e as Error).message, exitCode: null, timedOut: false, stderr: '' }
    }
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      w.running.kill('SIGKILL', false)
    }, timeoutMs)
    try {
      beforeSend?.(w.running.pid)
      const line = await new Promise<string | undefined>((resolve) => {
        const queued = w.lines.shift()
        if (queued !== undefined) return resolve(queued)
        if (w.exited) return resolve(undefined)
        w.waiting = resolve
        w.running.child.stdin?.write(`${JSON.stringify(request)}\n`)
      })
      if (line !== undefined && line.startsWith('{')) {
        try {
          return { ok: true, reply: JSON.parse(line) as WorkerReply }
        } catch {
          // not a reply: the worker is broken
        }
      }
      // No reply: the worker died (or was ended). Say why, from what it left.
      w.running.kill('SIGKILL', false)
      const r = await w.running.done.catch((e: unknown) => ({ exitCode: null, signal: undefined, stderr: String(e) }))
      // The worker's own sentence (its error's first line) says more than the stack after it.
      const lines = r.stderr.trim().split('\n').filter(Boolean)
      const own = lines.findIndex((l) => l.startsWith('nslab grade worker:'))
      const error = (own >= 0 ? lines.slice(own, own + 2) : lines.slice(-3)).join(' / ') || (r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`)
      return { ok: false, error, exitCode: r.exitCode, ...(r.signal ? { signal: r.signal } : {}), timedOut, stderr: r.stderr }
    } finally {
      clearTimeout(timer)
    }
  }

  const host: GradingHost = {
    mode,
    uidBase,
    cgroups: isRoot,
    workerFile,
    ask,
    async close() {
      await Promise.all(
        [...workers.values()].map(async (w) => {
          w.running.child.stdin?.end()
          const done = await within(w.running.done.then(() => true, () => true), 5000)
          if (!done) w.running.kill('SIGKILL', false)
        }),
      )
      workers.clear()
    },
  }
  const reply = await ask(0, { ping: true }, 60_000)
  if (!reply.ok || !('pong' in reply.reply) || !reply.reply.sandbox.ok) {
    await host.close()
    const why = !reply.ok ? reply.error : 'pong' in reply.reply ? reply.reply.sandbox.message : 'it answered something else'
    throw new NslabError({
      code: 'PREREQUISITE',
      message: `the grader${mode === 'isolated' ? `, running as the unused uid ${uidBase},` : ''} cannot build a lab host: ${why}`,
      ...(mode === 'isolated' && /EACCES|permission denied/i.test(why ?? '') && !reply.ok
        ? { fix: `nslab's files (${dirname(dirname(workerFile))}) must be readable by every user: the grader runs as an unused uid` }
        : {}),
    })
  }
  return host
}

/**
 * engine: docker: root only (one line, exit 3, before any worker starts), docker.io
 * installed, and the images built now — once, outside every submission's time
 * limit. What the workers need to find them: the cache, the lab hosts' owner.
 */
export async function prepareDocker(opts: Pick<GradingHostOptions, 'note'>): Promise<NodeJS.ProcessEnv> {
  const { DOCKER_PROGRAMS } = await import('../host/docker/docker-engine.js')
  const { NEEDS_ROOT } = await import('../host/docker/create-docker-sandbox.js')
  const { ensureImages } = await import('../host/docker/build-images.js')
  const { nslabCacheDir } = await import('../host/docker/image-cache.js')
  const owner = sandboxOwner()
  if (owner === undefined) throw new NslabError({ code: 'PREREQUISITE', message: NEEDS_ROOT })
  requirePrograms(DOCKER_PROGRAMS)
  await ensureImages(opts.note ? { note: opts.note } : {})
  return { NSLAB_CACHE: nslabCacheDir(), NSLAB_SANDBOX_UID: String(owner) }
}

/**
 * The worker's compiled module. Workers always run the built JavaScript
 * (dist/runner/grade/grade-worker.js), also when nslab runs from its sources in
 * tests: a TypeScript loader in each worker would cost seconds.
 */
export function findWorkerFile(): string {
  const found = [join(packageRoot(), 'dist', 'bin', 'grade-worker.js')].find((f) => existsSync(f))
  if (!found) {
    throw new NslabError({ code: 'PREREQUISITE', message: 'nslab is not built: dist/bin/grade-worker.js is missing', fix: 'npm run build' })
  }
  return found
}
