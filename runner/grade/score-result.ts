import type { Exercise } from '../lab/lab-exercises.js'
import type { ExerciseGrade, Grade, GradedCheck, Submission } from './grade.js'
import type { ScriptBlock } from '../lab/lab.js'
import type { BlockResult, LabResult } from '../run/run-event.js'

/**
 * Points from a run: each exercise earns the check lines of its own check
 * blocks that passed. An answer that could not run (missing, empty, binary…)
 * earns nothing, whatever its checks say; an exercise the run never reached
 * (an earlier answer was stopped, the time limit) earns nothing, and says why.
 */
export function scoreResult(opts: {
  exercises: Exercise[]
  submission: Submission
  result: LabResult
  limitsHit?: string[]
  limitsBy?: string
  notes?: string[]
  durationMs?: number
}): Grade {
  const { exercises, submission, result } = opts
  const byIndex = new Map<number, BlockResult>(result.blocks.map((b) => [b.index, b]))
  let stoppedBy: { id: string; why: string } | undefined
  const graded = exercises.map((ex): ExerciseGrade => {
    const answer = submission.answers.find((a) => a.id === ex.id) ?? { id: ex.id, problem: `no answer for ${ex.id}`, notes: [] }
    const run = byIndex.get(ex.block)
    const checks: GradedCheck[] = []
    for (const i of ex.checkBlocks) {
      const b = byIndex.get(i)
      for (const c of b?.checks ?? []) {
        const g: GradedCheck = { result: c }
        if (!c.ok && b?.hint) g.hint = b.hint
        checks.push(g)
      }
    }
    const ran = checks.filter((c) => c.result.ok).length
    const g: ExerciseGrade = {
      id: ex.id,
      line: ex.line,
      points: 0,
      max: ex.max,
      status: 'fail',
      answer: { notes: answer.notes, ...(answer.file ? { file: answer.file } : {}), ...(answer.problem ? { problem: answer.problem } : {}) },
      checks,
    }
    if (answer.script !== undefined) g.answer.script = answer.script
    if (run?.exec && run.status !== 'skip') {
      const e = run.exec
      Object.assign(g.answer, {
        exitCode: e.exitCode,
        timedOut: e.timedOut,
        output: e.output,
        outputTruncated: e.truncated === true,
        durationMs: e.durationMs,
        ...(e.signal ? { signal: e.signal } : {}),
      })
    }
    if (run?.status === 'fail' && run.message) g.answer.message = run.message

    if (answer.problem) {
      g.reason = answer.problem
      return g
    }
    if (!run || run.status === 'skip') {
      g.status = 'not-run'
      g.reason = stoppedBy
        ? `not graded: the lab stopped at ${stoppedBy.id}'s answer (${stoppedBy.why})`
        : result.error
          ? `not graded: ${result.error}`
          : `not graded: ${run?.message ?? 'the run stopped before it'}`
      return g
    }
    // A solution that stopped the lab (timeout, output limit): what follows is not graded.
    const stoppedRun = run.status === 'fail' && (run.exec?.timedOut || run.exec?.truncated)
    if (stoppedRun) stoppedBy = { id: ex.id, why: run.exec?.timedOut ? 'a timeout' : 'the output limit' }
    g.points = ran
    g.status = ex.max > 0 && ran === ex.max ? 'pass' : ran > 0 ? 'partial' : 'fail'
    if (ex.max === 0) g.status = run.status === 'pass' ? 'pass' : 'fail'
    const failed = checks.filter((c) => !c.result.ok)
    const answerProblem = run.status === 'fail' ? `your answer failed: ${run.message ?? 'it failed'}` : undefined
    if (stoppedRun) {
      g.reason = `your answer was stopped: ${run.message ?? 'it failed'}`
    } else if (answerProblem && g.status === 'pass') {
      g.status = 'partial'
      g.reason = `every check passed, but ${answerProblem}`
    } else if (answerProblem) {
      g.reason = `${answerProblem}; ${failed.length} of ${checks.length} checks failed`
    } else if (failed.length) {
      const first = failed[0]!.result
      g.reason = failed.length === 1 ? `${first.check.source}: ${first.sentence}` : `${failed.length} of ${checks.length} checks failed, first: ${first.check.source}: ${first.sentence}`
    }
    return g
  })

  const points = graded.reduce((n, e) => n + e.points, 0)
  const max = graded.reduce((n, e) => n + e.max, 0)
  const limitsHit = opts.limitsHit ?? []
  const firstBad = graded.find((e) => e.status !== 'pass')
  const grade: Grade = {
    name: submission.name,
    path: submission.path,
    points,
    max,
    status: points === max && !firstBad ? 'pass' : points > 0 ? 'partial' : 'fail',
    exercises: graded,
    result,
    limitsHit,
    limitsBy: opts.limitsBy ?? 'rlimits',
    notes: [...submission.notes, ...(opts.notes ?? [])],
    durationMs: opts.durationMs ?? result.durationMs,
  }
  // A lab that could not run at all is not the learner's failure: it is graded again, not marked down.
  const setupFailed = result.status === 'error' && !result.blocks.some((b) => isSolution(b))
  if (setupFailed && !limitsHit.length && !/time limit/.test(result.error ?? '')) {
    grade.status = 'error'
    grade.reason = `not graded: ${firstLine(result.error ?? 'the lab could not run')}`
    return grade
  }
  const failedStep = result.blocks.find((b) => b.status === 'fail' && b.block.kind === 'script' && b.block.role !== 'solution')
  const firstSolution = exercises[0]?.block ?? Number.POSITIVE_INFINITY
  if (failedStep && failedStep.index < firstSolution && !limitsHit.length) {
    // Before any answer ran, every learner's run is the same: the lab (or this machine) failed.
    grade.status = 'error'
    grade.reason = `not graded: the lab's ${describeRole(failedStep)} at line ${failedStep.block.line} failed before any answer ran: ${failedStep.message ?? ''}`
    return grade
  }
  if (limitsHit.length) grade.reason = limitsHit[0]
  else if (firstBad?.reason) grade.reason = `${firstBad.id}: ${firstBad.reason}`
  else if (failedStep) grade.reason = `the step at line ${failedStep.block.line} failed: ${failedStep.message ?? ''}`
  else if (result.status === 'error' && result.error) grade.reason = firstLine(result.error)
  return grade
}

function isSolution(b: BlockResult): boolean {
  return b.block.kind === 'script' && (b.block as ScriptBlock).role === 'solution' && b.status !== 'skip'
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s
}

function describeRole(b: BlockResult): string {
  return b.block.kind === 'script' ? b.block.role : b.block.kind
}
