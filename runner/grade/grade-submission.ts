import { createCgroupLimits, type CgroupLimits, type LimitCounters } from '../host/cgroup-limits.js'
import type { Grade, GradeLimits, Submission } from './grade.js'
import type { GradeJob } from './grade-worker.js'
import type { GradingHost, WorkerAnswer } from './grading-host.js'
import { processCountOf } from '../host/process-count-of.js'
import type { Block, Lab } from '../lab/lab.js'
import { labExercises, type Exercise } from '../lab/lab-exercises.js'
import { formatBytes } from './load-submission.js'
import type { LabResult } from '../run/run-event.js'
import { scoreResult } from './score-result.js'
import { releaseWorkerCgroups } from './release-worker-cgroups.js'
import { sandboxOwner } from '../host/sandbox.js'

export interface GradeSubmissionOptions {
  lab: Lab
  submission: Submission
  limits: GradeLimits
  host: GradingHost
  /** The parallel slot it runs in (isolated mode: its uid). */
  slot?: number
  /** Parallel submissions (the rlimit fallback shares one user's process count). */
  jobs?: number
  iptables?: 'nft' | 'legacy'
  /** Also run the checks before the first exercise (the walkthrough's; they earn no points). */
  walkthroughChecks?: boolean
  /** Ctrl-C: the worker is ended, the submission reported as not graded. */
  signal?: AbortSignal
}

/** Extra time the parent gives a worker beyond the submission's limit before it ends it. */
const WORKER_GRACE_MS = 20_000

/**
 * Grade one submission: a worker process, in the submission's own cgroups,
 * runs the lab on a fresh sandbox with the learner's answers in place of the
 * solutions; then the points. Never throws for anything the learner did: a
 * worker that died, hung or was killed is a failing grade with the reason.
 */
export async function gradeSubmission(opts: GradeSubmissionOptions): Promise<Grade> {
  const t0 = performance.now()
  const { lab, submission, limits, host } = opts
  const exercises = labExercises(lab)
  const cg: CgroupLimits | { unavailable: string } = host.cgroups ? createCgroupLimits(limits) : { unavailable: 'not run as root' }
  const cgroup = 'unavailable' in cg ? undefined : cg
  const notes: string[] = []
  const limitsBy = cgroup ? cgroup.how : host.cgroups ? `no cgroup could be made (${'unavailable' in cg ? cg.unavailable : ''})` : 'rlimits'
  const job = gradeJob({ ...opts, exercises, prefix: answerPrefix(limits, cgroup, opts) })
  if (cgroup) job.cgroups = cgroup.dirs
  let workerPid: number | undefined
  const abort = () => {
    // Ctrl-C: the worker goes, and its sandbox with it.
    if (workerPid) {
      try {
        process.kill(workerPid, 'SIGKILL')
      } catch {
        // gone
      }
    }
  }
  opts.signal?.addEventListener('abort', abort, { once: true })
  let reply: WorkerAnswer
  try {
    reply = await host.ask(opts.slot ?? 0, { job }, limits.timeoutMs + WORKER_GRACE_MS, (pid) => {
      workerPid = pid
      // Into the cgroups before it has the job: everything it starts for it is born inside.
      if (cgroup) {
        try {
          cgroup.join(pid)
        } catch (e) {
          notes.push(`the cgroup limits could not be applied: ${(e as Error).message}`)
        }
      }
    })
  } finally {
    opts.signal?.removeEventListener('abort', abort)
  }
  // The worker stays for the next submission: out of this one's cgroups before they are emptied.
  if (cgroup && workerPid && reply.ok) cgroup.leave(workerPid)
  const counters: LimitCounters = cgroup ? cgroup.counters() : { procsRefused: 0, oomKills: 0 }
  // A worker ended mid-run leaves its docker-engine lab host's cgroups, inside the submission's.
  if (lab.engine === 'docker' && workerPid) await releaseWorkerCgroups(workerPid, cgroup ? Object.values(cgroup.dirs).filter((d): d is string => typeof d === 'string') : [])
  await cgroup?.release()
  const limitsHit = limitSentences(counters, limits)

  let result: LabResult
  if (reply.ok && 'result' in reply.reply) {
    result = reply.reply.result
  } else {
    const why = reply.ok
      ? 'the grader gave no result'
      : opts.signal?.aborted
        ? 'grading was interrupted'
        : reply.timedOut
          ? `the grader did not finish within the submission's time limit (${Math.round(limits.timeoutMs / 1000)} s) and was stopped`
          : limitsHit.length
            ? `the grader was ended by the limits (${reply.error})`
            : `the grader failed: ${reply.error}`
    result = { file: lab.file, title: lab.title, status: 'error', durationMs: performance.now() - t0, blocks: [], error: why, cell: submission.name }
  }
  result.cell = submission.name
  const grade = scoreResult({ exercises, submission, result, limitsHit, limitsBy, notes, durationMs: performance.now() - t0 })
  if (opts.signal?.aborted && !(reply.ok && 'result' in reply.reply)) {
    grade.status = 'error'
    grade.reason = 'not graded: grading was interrupted'
  }
  return grade
}

/** What the worker is asked to run: the lab with the learner's answers in it. */
export function gradeJob(opts: GradeSubmissionOptions & { exercises: Exercise[]; prefix: string }): GradeJob {
  const { lab, submission, exercises } = opts
  const answers: Record<string, string> = {}
  const expectedExit: Record<string, number | 'any'> = {}
  const unusable: Record<string, string> = {}
  const firstSolution = exercises[0]?.block ?? lab.blocks.length
  const blocks = lab.blocks.map((b, i): Block => {
    if (b.kind === 'script' && b.role === 'solution') {
      const ex = exercises.find((e) => e.block === i)
      if (!ex) return b
      const answer = submission.answers.find((a) => a.id === ex.id)
      expectedExit[ex.id] = b.exit
      if (answer?.script !== undefined) {
        answers[ex.id] = opts.prefix + answer.script
      } else {
        // Nothing of the learner's runs; the lab goes on to the next exercise.
        answers[ex.id] = ':'
        unusable[ex.id] = answer?.problem ?? `no answer for ${ex.id}`
      }
      // The learner's script, not the lab's, is what every report shows; exit=any so that
      // a failing answer does not stop the lab (the worker judges its exit itself).
      return { ...b, id: ex.id, content: answer?.script ?? '', exit: 'any' }
    }
    if (b.kind === 'check' && i < firstSolution && !opts.walkthroughChecks) {
      // Judged before any answer ran, the same for everyone: no points, only time.
      return { kind: 'shown', lang: '', line: b.line, contentLine: b.contentLine, info: b.info, content: b.content, prose: b.prose }
    }
    return b
  })
  const job: GradeJob = {
    lab: { ...lab, blocks },
    answers,
    expectedExit,
    unusable,
    limits: opts.limits,
    cell: submission.name,
  }
  if (opts.iptables) job.iptables = opts.iptables
  return job
}

/**
 * rlimits set at the start of each answer (same line: the learner's line
 * numbers stay right), hard, so the answer cannot raise them again: no core
 * files, no file past the size limit, and where there is no cgroup, memory
 * and processes too. RLIMIT_NPROC counts every process of the real user, so
 * it is set above what that user already runs.
 */
export function answerPrefix(limits: GradeLimits, cgroup: CgroupLimits | undefined, opts: { host: GradingHost; slot?: number; jobs?: number }): string {
  const set = (flag: string, value: number) => `ulimit -H -S ${flag} ${value} 2>/dev/null || :; `
  let s = set('-c', 0) + set('-f', Math.max(1, Math.floor(limits.fileBytes / 1024)))
  if (!cgroup?.dirs.memory) s += set('-v', Math.floor(limits.memoryBytes / 1024))
  if (!cgroup?.dirs.pids) {
    // (root: answers run as the lab host's root, the unused owner every such lab host shares.)
    const uid = opts.host.mode === 'isolated' ? opts.host.uidBase + (opts.slot ?? 0) : opts.host.mode === 'root' ? (sandboxOwner() ?? 0) : (process.getuid?.() ?? 0)
    // An isolated slot's uid runs only this submission; a user's own count includes all they run.
    const base = opts.host.mode === 'isolated' ? 0 : processCountOf(uid) + limits.maxProcs * Math.max(0, (opts.jobs ?? 1) - 1)
    s += set('-u', base + limits.maxProcs)
  }
  return s
}

function limitSentences(c: LimitCounters, limits: GradeLimits): string[] {
  const s: string[] = []
  if (c.procsRefused > 0) s.push(`it hit the limit of ${limits.maxProcs} processes (${c.procsRefused} refused)`)
  if (c.oomKills > 0) s.push(`it used more than ${formatBytes(limits.memoryBytes)} of memory (${c.oomKills} process${c.oomKills === 1 ? '' : 'es'} killed)`)
  return s
}
