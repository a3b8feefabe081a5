import type { ExecResult } from '../runner/exec-result.js'
import type { Lab } from '../runner/lab.js'

/** What a check may use: the sandbox's exec API and what the lab knows. */
export interface CheckContext {
  lab: Lab
  /**
   * Run a bash script on a machine of the lab host ('host', a container, 'internet');
   * shell 'sh' for a plain command of nslab's own (no bash features), which starts faster.
   */
  exec(opts: { machine: string; script: string; timeoutMs?: number; shell?: 'sh' }): Promise<ExecResult>
  /**
   * The address a machine name stands for (container ip, internet 203.0.113.10, host …), if it is a
   * name; as machine FROM reaches it, and as a next hop for `as: 'gateway'` (see addressFrom).
   */
  addressOf(name: string, from?: string, as?: 'target' | 'gateway'): string | undefined
  /** The result of the script block run just before the check block (for exit/stdout checks). */
  previous?: ExecResult
  /** Stop early (Ctrl-C, lab timeout). */
  signal?: AbortSignal
}

/**
 * One attempt of a check: does the thing it asserts hold right now?
 * The retry window and negation are applied by run-check, not by each kind.
 */
export interface Probe {
  holds: boolean
  /** One plain sentence of what was seen, true whichever way the check is negated:
   *  "box1 got no reply from 203.0.113.10 (3 sent, 0 received)". */
  sentence: string
  expected?: string
  got?: string
  evidence: import('./check-result.js').Evidence[]
  /** The check cannot be judged as written (iptables rejects its rule, a bad
   *  CIDR, no step before an `exit` check …): it fails even when negated. */
  invalid?: boolean
}
