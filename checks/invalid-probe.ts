import type { Probe } from './check-context.js'
import type { Evidence } from './check-result.js'

/**
 * A check that cannot be judged as written (the lab is wrong, or the machine
 * lacks a command): it fails whether or not it is negated.
 */
export function invalidProbe(sentence: string, evidence: Evidence[] = []): Probe {
  return { holds: false, invalid: true, sentence, evidence }
}
