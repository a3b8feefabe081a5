import type { Check } from '../runner/lab/lab.js'
import type { CheckContext, Probe } from './check-context.js'

export interface ProbeOptions {
  /** How long this one attempt may take, its commands included (run-check's budget). */
  timeoutMs: number
}

/** One attempt of a check kind; run-check applies negation and the retry window. */
export type ProbeFn = (check: Check, ctx: CheckContext, opts?: ProbeOptions) => Promise<Probe>
