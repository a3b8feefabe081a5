import type { Check } from '../runner/lab/lab.js'

/** One command a check ran and what it printed (trimmed), for the evidence. */
export interface Evidence {
  machine: string
  command: string
  exitCode: number | null
  output: string
}

/**
 * The verdict of one check line. A failed check is this, with its evidence,
 * never an exception.
 */
export interface CheckResult {
  check: Check
  ok: boolean
  /** One sentence a learner understands: what was seen. */
  sentence: string
  expected?: string
  got?: string
  evidence: Evidence[]
  durationMs: number
  attempts: number
  /** The check could not be judged as written (the lab is wrong or the machine
   *  lacks a command); it failed whatever its negation. */
  invalid?: boolean
}
