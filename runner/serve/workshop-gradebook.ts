// A workshop's gradebook, from the live progress, in the formats `nslab
// grade` writes (CSV, JSON, JUnit, HTML), by the same writers: each task of
// a lab is an exercise worth one point, earned by doing it; a task done with
// Solve's help is done but earns nothing (its reason says so). One gradebook
// per lab, as nslab grade grades one lab.
import type { LabLimits } from '../host/lab-limits.js'
import type { Exercise } from '../lab/lab-exercises.js'
import { labTasks } from '../lab/lab-tasks.js'
import type { Grade, ExerciseGrade, GradeLimits } from '../grade/grade.js'
import { gradebookCsv } from '../grade/gradebook-csv.js'
import { gradeJsonText } from '../grade/grade-json.js'
import { gradeHtml } from '../grade/grade-html.js'
import { junitXml } from '../report/junit-reporter.js'
import { jsonReport } from '../report/json-reporter.js'
import type { BlockResult, LabResult } from '../run/run-event.js'
import { nslabVersion } from '../util/nslab-version.js'
import type { ServedLab } from './served-labs.js'

export type GradebookFormat = 'csv' | 'json' | 'junit' | 'html' | 'run.json'

export const GRADEBOOK_TYPES: Record<GradebookFormat, { type: string; ext: string }> = {
  csv: { type: 'text/csv; charset=utf-8', ext: 'csv' },
  json: { type: 'application/json; charset=utf-8', ext: 'json' },
  junit: { type: 'application/xml; charset=utf-8', ext: 'xml' },
  html: { type: 'text/html; charset=utf-8', ext: 'html' },
  'run.json': { type: 'application/json; charset=utf-8', ext: 'run.json' },
}

export interface LearnerProgress {
  name: string
  passed: number[]
  solved: number[]
}

export interface WorkshopGradebookOptions {
  lab: ServedLab
  learners: LearnerProgress[]
  limits: LabLimits
  limitsBy: string
  startTime: number
  classFile: string
}

/** The lab's tasks as exercises, and a grade per learner. */
export function workshopGrades(o: WorkshopGradebookOptions): { exercises: Exercise[]; grades: Grade[] } {
  const { lab } = o.lab
  const tasks = labTasks(lab).tasks
  const exercises: Exercise[] = tasks.map((t) => ({
    id: `task-${t.index + 1}`,
    number: t.index + 1,
    block: t.checkBlock,
    line: lab.blocks[t.checkBlock]?.line ?? 0,
    checkBlocks: [t.checkBlock],
    max: 1,
  }))
  const grades = o.learners.map((l): Grade => {
    const exGrades = tasks.map((t, i): ExerciseGrade => {
      const done = l.passed.includes(t.index)
      const helped = l.solved.includes(t.index)
      const points = done && !helped ? 1 : 0
      return {
        id: exercises[i]!.id,
        line: exercises[i]!.line,
        points,
        max: 1,
        status: points ? 'pass' : 'fail',
        ...(points ? {} : { reason: helped ? `task ${t.index + 1} (${t.title}) was solved with Solve's help` : `task ${t.index + 1} (${t.title}) is not done` }),
        answer: { notes: [] },
        checks: [],
      }
    })
    const points = exGrades.reduce((n, e) => n + e.points, 0)
    const max = exGrades.length
    const blocks: BlockResult[] = tasks.map((t, i) => {
      const block = lab.blocks[t.checkBlock]!
      const e = exGrades[i]!
      return { index: t.checkBlock, block, status: e.points ? 'pass' : 'fail', durationMs: 0, ...(e.reason ? { message: e.reason } : {}) }
    })
    const result: LabResult = { file: o.lab.file, title: lab.title, status: points === max ? 'pass' : 'fail', durationMs: 0, blocks, cell: l.name }
    return {
      name: l.name,
      path: `${o.classFile}#${l.name}`,
      points,
      max,
      status: max === 0 ? 'pass' : points === max ? 'pass' : points > 0 ? 'partial' : 'fail',
      ...(points < max ? { reason: exGrades.find((e) => e.reason)?.reason ?? '' } : {}),
      exercises: exGrades,
      result,
      limitsHit: [],
      limitsBy: o.limitsBy,
      notes: l.solved.length ? [`${l.solved.length} task${l.solved.length === 1 ? '' : 's'} solved with help`] : [],
      durationMs: 0,
    }
  })
  return { exercises, grades }
}

/** The gradebook in one format, as nslab grade writes it. */
export function workshopGradebook(format: GradebookFormat, o: WorkshopGradebookOptions): string {
  const { exercises, grades } = workshopGrades(o)
  const durationMs = Date.now() - o.startTime
  const limits: GradeLimits = { timeoutMs: 0, maxOutputBytes: 0, maxProcs: o.limits.maxProcs, memoryBytes: o.limits.memoryBytes, fileBytes: 0, cpus: o.limits.cpus }
  const lab = { file: o.lab.file, title: o.lab.lab.title }
  const version = nslabVersion()
  switch (format) {
    case 'csv':
      return gradebookCsv(grades, exercises)
    case 'json':
      return gradeJsonText({ version, startTime: o.startTime, durationMs, lab, exercises, limits, enforcedBy: [o.limitsBy], grades })
    case 'junit':
      return junitXml(grades.map((g) => g.result), durationMs)
    case 'html':
      return gradeHtml({ lab, exercises, grades, limits, enforcedBy: [o.limitsBy], version, startTime: o.startTime, durationMs })
    case 'run.json':
      // The learners' runs as nslab run --json writes them: nslab report merge joins those of several machines.
      return `${JSON.stringify(jsonReport({ version, startTime: o.startTime, durationMs, complete: true, jobs: null, files: [o.lab.file], results: grades.map((g) => g.result) }), null, 2)}\n`
  }
}
