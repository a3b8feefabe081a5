// The typed form of grading: a learner's submission, and what grading it gave.
// load-submission builds submissions; grade-submission and score-result build
// grades; the scoreboard, the gradebook CSV, the JSON and the HTML page read them.
import type { CheckResult } from '../../checks/check-result.js'
import type { LabResult } from '../run/run-event.js'

/** A learner's answer to one exercise, as found in their submission. */
export interface Answer {
  /** The exercise it answers. */
  id: string
  /** The file it came from, when there is one. */
  file?: string
  /** The script to run in place of the solution; absent when there is a problem. */
  script?: string
  /** Why it is not run: missing, empty, not text, too large, not a plain file. */
  problem?: string
  /** What was done to it before it ran, e.g. Windows line ends converted. */
  notes: string[]
}

/** What a learner handed in: one answer per exercise of the lab. */
export interface Submission {
  /** The learner, as the gradebook names them (the folder's or file's name). */
  name: string
  /** The folder or file it came from. */
  path: string
  /** One per exercise of the lab, in the lab's order. */
  answers: Answer[]
  /** Things the instructor should know: files that were ignored, and why. */
  notes: string[]
}

export type ExerciseStatus = 'pass' | 'partial' | 'fail' | 'not-run'

/** One check line as graded. */
export interface GradedCheck {
  result: CheckResult
  /** The hint of its check block, when it failed and there is one. */
  hint?: string
}

/** How one exercise went. */
export interface ExerciseGrade {
  id: string
  /** Line of the lab's solution block. */
  line: number
  /** Checks passed that count: 0 when the answer could not run. */
  points: number
  max: number
  status: ExerciseStatus
  /** One sentence: why it is not a pass (or a warning on a pass). */
  reason?: string
  answer: {
    file?: string
    /** The learner's script as it ran (absent when it did not). */
    script?: string
    problem?: string
    notes: string[]
    exitCode?: number | null
    signal?: string
    timedOut?: boolean
    output?: string
    outputTruncated?: boolean
    durationMs?: number
    /** What runLab (and the limits) said about the run when it failed. */
    message?: string
  }
  checks: GradedCheck[]
}

export type GradeStatus = 'pass' | 'partial' | 'fail' | 'error'

/** A graded submission. */
export interface Grade {
  name: string
  path: string
  points: number
  max: number
  /** pass: every point; partial: some; fail: none; error: it could not be graded (not the learner's doing). */
  status: GradeStatus
  /** One sentence for the gradebook: the first thing that went wrong. */
  reason?: string
  exercises: ExerciseGrade[]
  /** The run as every reporter sees it (cell: the learner's name). */
  result: LabResult
  /** Limits the submission ran into, as sentences. */
  limitsHit: string[]
  /** What enforced its process and memory limits: "cgroup v1: pids, memory, cpu", or "rlimits". */
  limitsBy: string
  /** From the submission and from grading: files ignored, line ends converted, … */
  notes: string[]
  durationMs: number
}

/** What bounds one submission, and how (for reports and docs). */
export interface GradeLimits {
  /** The whole submission, sandbox up to teardown. */
  timeoutMs: number
  /** What one script may print before it is stopped. */
  maxOutputBytes: number
  /** Processes (and threads) at once. */
  maxProcs: number
  /** Memory of the submission's processes together. */
  memoryBytes: number
  /** Largest file one answer's process may write. */
  fileBytes: number
  /** CPUs the submission may use at once (cgroup cpu quota); 0: no limit. */
  cpus: number
}
