// Grading a class: every submission, jobs at a time, each in a worker of its
// own. Apart from `nslab grade` (grade-command.ts) because a VM's guest runs
// it too (grade-in-vm.ts), and the guest's one bundled program should not
// carry the reports' writers.
import { setMaxListeners } from 'node:events'
import type { Grade, GradeLimits, Submission } from './grade.js'
import { gradeSubmission } from './grade-submission.js'
import type { GradingHost } from './grading-host.js'
import type { Lab } from '../lab/lab.js'
import { labExercises } from '../lab/lab-exercises.js'
import { formatBytes } from './load-submission.js'
import { NslabError } from '../util/nslab-error.js'
import { sandboxOwner } from '../host/sandbox.js'

/** What gradeAll takes of grade's options. */
export interface GradeAllFlags {
  jobs: number
  limits: GradeLimits
  walkthrough: boolean
  iptables?: 'nft' | 'legacy'
}

export interface GradeAllResult {
  grades: Grade[]
  durationMs: number
  startTime: number
  enforcedBy: string[]
}

/** Grade every submission, jobs at a time; each in a worker of its own (a slot: its uid). */
export async function gradeAll(opts: {
  lab: Lab
  submissions: Submission[]
  flags: GradeAllFlags
  host: GradingHost
  /** A submission is graded; index: its place in submissions. */
  onGrade?: (g: Grade, index: number) => void
  /** A submission's grading begins. */
  onStart?: (index: number) => void
  /** Ctrl-C: no new submission starts, running ones are ended and reported as not graded. */
  signal?: AbortSignal
}): Promise<GradeAllResult> {
  const { lab, submissions, flags, host } = opts
  const startTime = Date.now()
  const t0 = performance.now()
  const signal = opts.signal ?? new AbortController().signal
  // Each running submission listens for Ctrl-C on it.
  setMaxListeners(Math.max(10, flags.jobs * 2 + 10), signal)
  const free = Array.from({ length: Math.max(1, Math.min(flags.jobs, submissions.length)) }, (_, i) => i)
  const grades: Grade[] = new Array(submissions.length)
  let next = 0
  const hows = new Set<string>()
  const worker = async () => {
    while (next < submissions.length && !signal.aborted) {
      const i = next++
      const slot = free.shift() ?? 0
      try {
        opts.onStart?.(i)
        const g = await gradeSubmission({
          lab,
          submission: submissions[i]!,
          limits: flags.limits,
          host,
          slot,
          jobs: flags.jobs,
          walkthroughChecks: flags.walkthrough,
          signal,
          ...(flags.iptables ? { iptables: flags.iptables } : {}),
        })
        hows.add(g.limitsBy)
        grades[i] = g
        opts.onGrade?.(g, i)
      } catch (e) {
        if (e instanceof NslabError && e.exitCode === 3) throw e
        // A bug of nslab's on one submission: it is not graded, the others are.
        const g = notGraded(lab, submissions[i]!, `nslab failed (${e instanceof Error ? e.message : String(e)})`, String(e))
        grades[i] = g
        opts.onGrade?.(g, i)
      } finally {
        free.push(slot)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(flags.jobs, submissions.length)) }, worker))
  const done = grades.filter((g): g is Grade => g !== undefined)
  return { grades: done, durationMs: performance.now() - t0, startTime, enforcedBy: enforcedBy(host, flags.limits, [...hows]) }
}

/** The grade of a submission that could not be graded (not the learner's doing): no points, the reason. */
export function notGraded(lab: Lab, sub: Submission, why: string, error = why): Grade {
  return {
    name: sub.name,
    path: sub.path,
    points: 0,
    max: labExercises(lab).reduce((n, x) => n + x.max, 0),
    status: 'error',
    reason: `not graded: ${why}`,
    exercises: [],
    result: { file: lab.file, title: lab.title, status: 'error', durationMs: 0, blocks: [], error, cell: sub.name },
    limitsHit: [],
    limitsBy: 'none',
    notes: [],
    durationMs: 0,
  }
}

/** How each limit is enforced on this machine, as the reports say it. */
export function enforcedBy(host: Pick<GradingHost, 'mode' | 'uidBase'>, limits: GradeLimits, limitsBy: string[] = []): string[] {
  const s: string[] = []
  s.push(
    host.mode === 'isolated'
      ? `answers run as an unused uid (${host.uidBase}+slot) inside their sandbox: the machine's files are out of their reach`
      : host.mode === 'root'
        ? `answers run inside a docker-engine lab host as its root, an unused uid (${sandboxOwner() ?? '?'} and the 65535 after it): the machine's files are out of their reach; the grader itself runs as root, which dockerd needs`
        : "answers run as the user who ran nslab grade: that user's own files are within their reach (run nslab grade as root to isolate them)",
  )
  s.push(`time: each script its block's timeout, the whole submission ${Math.round(limits.timeoutMs / 1000)} s`)
  s.push(`output: ${formatBytes(limits.maxOutputBytes)} per script, then it is stopped`)
  const what = `processes (${limits.maxProcs}), memory (${formatBytes(limits.memoryBytes)})${limits.cpus ? `, CPU (${limits.cpus})` : ''}`
  for (const by of limitsBy.length ? limitsBy : ['rlimits']) {
    s.push(by.startsWith('cgroup') ? `${what}: a cgroup per submission (${by})` : `processes (${limits.maxProcs}) and memory (${formatBytes(limits.memoryBytes)}): rlimits of each answer (RLIMIT_NPROC, RLIMIT_AS)${by === 'rlimits' ? '' : `, because ${by}`}`)
  }
  s.push(`files: ${formatBytes(limits.fileBytes)} per file (RLIMIT_FSIZE)`)
  return s
}
