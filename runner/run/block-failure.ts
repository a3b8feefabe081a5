import type { CheckResult, Evidence } from '../../checks/check-result.js'
import { formatDuration } from '../util/format-duration.js'
import { oneLine } from '../util/plain-text.js'
import type { BlockResult } from './run-event.js'

/** What went wrong in a failed block, in the terms every reporter shows. */
export interface BlockFailure {
  /** One sentence: the failed check's sentence, else the block's message. */
  message: string
  /** The line to point at: the first failed check's, else the block's fence. */
  line: number
  expected?: string
  got?: string
  /** Commands run and what they printed: a script's run, or each failed check's evidence. */
  evidence: Evidence[]
  /** Check blocks: the results of the check lines that failed. */
  failedChecks: CheckResult[]
  hint?: string
}

/** Gathers, from the result alone, what a reporter shows of a failed block. */
export function blockFailure(result: BlockResult): BlockFailure {
  const { block, exec } = result
  const hint = result.hint ?? (block.kind === 'check' ? block.hint : undefined)
  const base = { line: block.line, evidence: [] as Evidence[], failedChecks: [] as CheckResult[], ...(hint ? { hint } : {}) }

  if (block.kind === 'check') {
    const checks = result.checks ?? []
    const failed = checks.filter((c) => !c.ok)
    const first = failed[0]
    if (!first) return { ...base, message: result.message ?? 'the check block failed' }
    return {
      ...base,
      message: failed.length === 1 ? first.sentence : (result.message ?? `${failed.length} of ${checks.length} checks failed: ${first.sentence}`),
      line: first.check.line,
      ...(first.expected !== undefined ? { expected: first.expected } : {}),
      ...(first.got !== undefined ? { got: first.got } : {}),
      evidence: failed.flatMap((c) => c.evidence),
      failedChecks: failed,
    }
  }

  if (block.kind === 'output') {
    return {
      ...base,
      message: result.message ?? 'the output did not match',
      expected: block.lines.join('\n'),
      ...(exec ? { got: exec.output } : {}),
    }
  }

  if (block.kind === 'script' && exec) {
    const got = exec.timedOut
      ? `timed out after ${formatDuration(exec.durationMs)}`
      : exec.exitCode === null
        ? `killed by ${exec.signal ?? 'a signal'}`
        : `exit ${exec.exitCode}`
    const expected = typeof block.exit === 'number' ? `exit ${block.exit}` : undefined
    return {
      ...base,
      // The command that failed, where a failing command ended the step.
      ...(result.stoppedAt ? { line: result.stoppedAt.line } : {}),
      message: result.message ?? (expected ? `${got}, expected ${expected}` : got),
      ...(expected !== undefined && expected !== got ? { expected, got } : exec.timedOut || exec.exitCode === null ? { got } : {}),
      evidence: [{ machine: exec.machine, command: exec.command, exitCode: exec.exitCode, output: exec.output }],
    }
  }

  return { ...base, message: result.message ?? 'the block failed' }
}

/** Why a block was skipped, without a leading "skipped:" (the runner's wording has one). */
export function skipReason(result: BlockResult): string {
  return oneLine(result.message ?? '').replace(/^skipped\b:?\s*/i, '')
}
