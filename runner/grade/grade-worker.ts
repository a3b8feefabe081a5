// The process that grades one submission. grade-submission starts it as an
// unprivileged user, inside the submission's cgroups, with its own IPC
// namespace and /dev/shm, and hands it the job on stdin; it runs the lab with
// the learner's answers (runLab: a fresh sandbox, every block, teardown) and
// prints the result as JSON on stdout. Whatever the answers do, they do it
// inside this process's sandbox and limits; if they bring it down, the
// parent sees that and grades the submission as failing.
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { run } from '../host/exec.js'
import { readLimitCounters, type CgroupDirs, type LimitCounters } from '../host/cgroup-limits.js'
import type { GradeLimits } from './grade.js'
import type { Lab, ScriptBlock } from '../lab/lab.js'
import { formatBytes } from './load-submission.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { runLab } from '../run/run-lab.js'
import { createSandbox } from '../host/sandbox.js'
import { NslabError } from '../util/nslab-error.js'

export interface GradeJob {
  /** The lab as graded: solutions hold the learner's answers (grade-submission prepares it). */
  lab: Lab
  /** Exercise id → the script that runs in place of its solution. */
  answers: Record<string, string>
  /** Exercise id → the exit status the lab's solution must end with. */
  expectedExit: Record<string, number | 'any'>
  /** Exercise id → why the learner's answer was not run. */
  unusable: Record<string, string>
  limits: GradeLimits
  cgroups?: CgroupDirs
  iptables?: 'nft' | 'legacy'
  /** The learner, as reports label the run. */
  cell: string
}

export type WorkerRequest = { job: GradeJob } | { ping: true }

export type WorkerReply =
  | { result: LabResult; counters: LimitCounters }
  | { pong: true; uid: number; sandbox: { ok: boolean; message?: string } }

/** Signals a learner's command may die of, and what they mean here. */
const SIGNAL_CAUSES: Record<string, string> = {
  SIGXFSZ: 'it wrote a file larger than the file size limit',
  SIGXCPU: 'it used more CPU time than the limit',
  SIGKILL: 'it was killed',
  SIGSEGV: 'it crashed (segmentation fault)',
}
const SIGNAL_NUMBERS: Record<number, string> = { 9: 'SIGKILL', 11: 'SIGSEGV', 24: 'SIGXCPU', 25: 'SIGXFSZ' }

/** Handle one request; the reply is what goes to stdout. */
export async function gradeWorker(request: WorkerRequest): Promise<WorkerReply> {
  if ('ping' in request) {
    // Can this user build a lab host? (Every submission would fail otherwise, each the same way.)
    let sandbox: { ok: boolean; message?: string } = { ok: true }
    try {
      const sb = await createSandbox({ topology: { docker: false, containers: [], internet: false }, name: 'nslab-grade-check' })
      await sb.stop()
    } catch (e) {
      sandbox = { ok: false, message: e instanceof NslabError ? e.toString() : String(e) }
    }
    return { pong: true, uid: process.getuid?.() ?? -1, sandbox }
  }
  const { job } = request
  const counters = () => (job.cgroups ? readLimitCounters(job.cgroups) : { procsRefused: 0, oomKills: 0 })
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(`the submission's time limit of ${seconds(job.limits.timeoutMs)} was reached`), job.limits.timeoutMs)
  let before = counters()
  const emit = (e: RunEvent): void => {
    if (e.type === 'block-start' && e.block.kind === 'script') before = counters()
    if (e.type === 'block-end' && e.result.block.kind === 'script') annotate(e.result, job, before, counters())
  }
  try {
    const result = await runLab({
      lab: job.lab,
      emit,
      signal: controller.signal,
      answers: new Map(Object.entries(job.answers)),
      maxOutputBytes: job.limits.maxOutputBytes,
      cell: job.cell,
      ...(job.iptables ? { iptables: job.iptables } : {}),
    })
    // runLab judged the lab before the annotations turned some answers into failures.
    if (result.status === 'pass' && result.blocks.some((b) => b.status === 'fail')) result.status = 'fail'
    return { result, counters: counters() }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Say, on a script's result, what the limits and the grading saw: an answer
 * that was not run, one that printed too much, exited wrong or died of a limit.
 * Grading runs solutions with exit=any so that a failing answer does not stop
 * the lab (the exercises after it are still graded); its exit is judged here.
 */
function annotate(r: BlockResult, job: GradeJob, before: LimitCounters, after: LimitCounters): void {
  const block = r.block as ScriptBlock
  const exec = r.exec
  const notes: string[] = []
  const id = block.role === 'solution' ? block.id : undefined
  if (id !== undefined && job.unusable[id] !== undefined) {
    // Nothing of the learner's ran (a no-op stood in): there is no run to show.
    r.status = 'fail'
    r.message = job.unusable[id]
    delete r.exec
    return
  }
  // Reports show the learner's script, not the limits set in front of it.
  if (id !== undefined && exec) exec.command = block.content
  if (exec?.truncated) {
    r.status = 'fail'
    r.message = `it printed more than ${formatBytes(job.limits.maxOutputBytes)} and was stopped (the output limit)`
  } else if (id !== undefined && exec && !exec.timedOut && r.status === 'pass' && !block.background) {
    const expected = job.expectedExit[id] ?? 0
    if (expected !== 'any' && exec.exitCode !== expected) {
      r.status = 'fail'
      if (exec.exitCode === null) {
        const sig = exec.signal ?? 'a signal'
        r.message = `${SIGNAL_CAUSES[sig] ?? `it was killed by ${sig}`}`
      } else {
        r.message = `it exited with status ${exec.exitCode}${expected === 0 ? '' : `, expected ${expected}`}`
        const sig = exec.exitCode > 128 ? SIGNAL_NUMBERS[exec.exitCode - 128] : undefined
        if (sig && sig !== 'SIGKILL') r.message += ` (a command was killed by ${sig}: ${SIGNAL_CAUSES[sig]})`
        else if (exec.exitCode === 2 && /syntax error/.test(exec.output)) r.message += ' (a syntax error)'
        else if (exec.exitCode === 127) r.message += ' (a command was not found)'
      }
    }
  }
  // Without cgroups (an ordinary user) the rlimits speak through what the commands print.
  const said = exec?.output ?? ''
  if (!job.cgroups?.pids && /fork: (retry: )?Resource temporarily unavailable|Cannot fork|fork failed/.test(said)) {
    notes.push(`it could not start more processes (the limit is ${job.limits.maxProcs})`)
  }
  if (!job.cgroups?.memory && /memory exhausted|Cannot allocate memory|cannot allocate \d+ bytes|out of memory/i.test(said)) {
    notes.push(`it ran out of memory (the limit is ${formatBytes(job.limits.memoryBytes)})`)
  }
  if (after.procsRefused > before.procsRefused) {
    notes.push(`it hit the limit of ${job.limits.maxProcs} processes: ${after.procsRefused - before.procsRefused} fork${after.procsRefused - before.procsRefused === 1 ? ' was' : 's were'} refused`)
  }
  if (after.oomKills > before.oomKills) {
    notes.push(`the submission used more than its ${formatBytes(job.limits.memoryBytes)} of memory: ${after.oomKills - before.oomKills} process${after.oomKills - before.oomKills === 1 ? ' was' : 'es were'} killed`)
  }
  if (notes.length) r.message = [r.message, ...notes].filter(Boolean).join('; ')
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`
}

/** One request a line on stdin, one reply a line on stdout, until stdin closes. */
export async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin })
  for await (const line of lines) {
    if (line.trim() === '') continue
    let reply: WorkerReply
    try {
      reply = await gradeWorker(JSON.parse(line) as WorkerRequest)
    } catch (e) {
      process.stderr.write(`nslab grade worker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
      process.exit(1)
    }
    if (process.env.NSLAB_GRADE_PRIVATE_IPC === '1') await clearPrivateIpc()
    await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(reply)}\n`, () => resolve()))
  }
  // Children of the last sandbox may keep handles open; the replies are out, so go.
  process.exit(0)
}

/**
 * What learners' code left in this worker's own /dev/shm, POSIX message
 * queues and System V IPC (all private to the worker: see grading-host)
 * goes before the next learner's job.
 */
async function clearPrivateIpc(): Promise<void> {
  for (const dir of ['/dev/shm', '/dev/mqueue']) {
    let entries: string[] = []
    try {
      entries = readdirSync(dir)
    } catch {
      continue
    }
    for (const e of entries) rmSync(join(dir, e), { recursive: true, force: true })
  }
  await run({ file: 'ipcrm', args: ['--all'], timeoutMs: 5000 }).catch(() => undefined)
}

