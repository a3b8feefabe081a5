import type { Grade, GradeLimits } from './grade.js'
import { jsonReport, type JsonLab } from '../report/json-reporter.js'
import type { Exercise } from '../lab/lab-exercises.js'
import { safeJson } from '../util/safe-text.js'

// The shape of `nslab grade --json FILE`, explained in docs/instructors.md.
// Each submission's run is the `labs[]` entry of the JSON report
// (docs/json-report.md), with the learner's name as its cell.

export interface GradeReport {
  gradeReportVersion: 1
  nslabVersion: string
  startedAt: string
  durationMs: number
  lab: { file: string; title: string; exercises: { id: string; line: number; max: number }[]; maxPoints: number }
  limits: GradeLimits & { enforcedBy: string[] }
  summary: { submissions: number; pass: number; partial: number; fail: number; error: number; meanPercent: number | null }
  submissions: GradeReportSubmission[]
}

export interface GradeReportSubmission {
  name: string
  path: string
  points: number
  max: number
  percent: number | null
  status: Grade['status']
  reason: string | null
  limitsHit: string[]
  notes: string[]
  durationMs: number
  exercises: {
    id: string
    line: number
    points: number
    max: number
    status: string
    reason: string | null
    answer: {
      file: string | null
      problem: string | null
      notes: string[]
      exitCode: number | null
      signal: string | null
      timedOut: boolean
      outputTruncated: boolean
      durationMs: number | null
      message: string | null
    }
    checks: { source: string; line: number; ok: boolean; sentence: string; expected: string | null; got: string | null; hint: string | null }[]
  }[]
  run: JsonLab
}

export interface GradeJsonOptions {
  version: string
  startTime: number
  durationMs: number
  lab: { file: string; title: string }
  exercises: Exercise[]
  limits: GradeLimits
  enforcedBy: string[]
  grades: Grade[]
}

/**
 * The report as the file's text: C1 controls and bidi formatting in names and
 * outputs written as \u escapes (JSON.stringify escapes C0 itself), so that a
 * person reading the file sees them; a parser reads the same data.
 */
export function gradeJsonText(opts: GradeJsonOptions): string {
  return `${safeJson(JSON.stringify(gradeJson(opts), null, 2))}\n`
}

export function gradeJson(opts: GradeJsonOptions): GradeReport {
  const { grades } = opts
  const graded = grades.filter((g) => g.status !== 'error' && g.max > 0)
  const count = (s: Grade['status']) => grades.filter((g) => g.status === s).length
  return {
    gradeReportVersion: 1,
    nslabVersion: opts.version,
    startedAt: new Date(opts.startTime).toISOString(),
    durationMs: Math.round(opts.durationMs),
    lab: {
      file: opts.lab.file,
      title: opts.lab.title,
      exercises: opts.exercises.map((e) => ({ id: e.id, line: e.line, max: e.max })),
      maxPoints: opts.exercises.reduce((n, e) => n + e.max, 0),
    },
    limits: { ...opts.limits, enforcedBy: opts.enforcedBy },
    summary: {
      submissions: grades.length,
      pass: count('pass'),
      partial: count('partial'),
      fail: count('fail'),
      error: count('error'),
      meanPercent: graded.length ? round1((graded.reduce((n, g) => n + g.points / g.max, 0) / graded.length) * 100) : null,
    },
    submissions: grades.map((g) => ({
      name: g.name,
      path: g.path,
      points: g.points,
      max: g.max,
      percent: g.max ? round1((g.points / g.max) * 100) : null,
      status: g.status,
      reason: g.reason ?? null,
      limitsHit: g.limitsHit,
      notes: g.notes,
      durationMs: Math.round(g.durationMs),
      exercises: g.exercises.map((e) => ({
        id: e.id,
        line: e.line,
        points: e.points,
        max: e.max,
        status: e.status,
        reason: e.reason ?? null,
        answer: {
          file: e.answer.file ?? null,
          problem: e.answer.problem ?? null,
          notes: e.answer.notes,
          exitCode: e.answer.exitCode ?? null,
          signal: e.answer.signal ?? null,
          timedOut: e.answer.timedOut === true,
          outputTruncated: e.answer.outputTruncated === true,
          durationMs: e.answer.durationMs !== undefined ? Math.round(e.answer.durationMs) : null,
          message: e.answer.message ?? null,
        },
        checks: e.checks.map((c) => ({
          source: c.result.check.source,
          line: c.result.check.line,
          ok: c.result.ok,
          sentence: c.result.sentence,
          expected: c.result.expected ?? null,
          got: c.result.got ?? null,
          hint: c.hint ?? null,
        })),
      })),
      run: jsonReport({ version: opts.version, startTime: opts.startTime, durationMs: g.durationMs, complete: true, jobs: null, files: [g.result.file], results: [g.result] }).labs[0]!,
    })),
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10
}
