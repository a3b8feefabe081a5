import type { ExecResult } from '../runner/host/exec-result.js'
import { truncateOutput } from '../runner/util/truncate-output.js'
import type { Evidence } from './check-result.js'

/** Evidence keeps at most this much of what a command printed. */
export const EVIDENCE_MAX_CHARS = 4000

/** A command a check ran and what it printed, trimmed, for the result. */
export function evidenceOf(r: ExecResult): Evidence {
  return {
    machine: r.machine,
    command: r.command,
    exitCode: r.exitCode,
    output: truncateOutput(r.output.trim(), EVIDENCE_MAX_CHARS).text,
  }
}
