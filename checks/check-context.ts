import type { ExecResult } from '../runner/host/exec-result.js'
import type { Lab } from '../runner/lab/lab.js'

/** What a check may use: the sandbox's exec API and what the lab knows. */
export interface CheckContext {
  lab: Lab
  /**
   * Run a bash script of the lab's (an `sh` check's command) on a machine of the lab host
   * ('host', a container, 'internet'), inside the lab host, as its steps run.
   */
  exec(opts: { machine: string; script: string; timeoutMs?: number }): Promise<ExecResult>
  /**
   * Run one of nslab's own commands to look at a machine: in the machine's network namespace
   * (and `also` the uts and ipc ones), with the programs of the machine nslab runs on, outside
   * the lab host's files: what a lab or an answer did to its files, mounts or PATH cannot
   * change what a check sees, only the network state it looks at. sh unless `shell` says bash.
   * `quick`: a short read of state (no packets, no waiting), which may share one process with
   * the other quick looks at the machine asked for at the same moment.
   */
  look(opts: { machine: string; script: string; timeoutMs?: number; also?: ('uts' | 'ipc')[]; shell?: 'sh' | 'bash'; quick?: boolean; interruptAfterMs?: number }): Promise<ExecResult>
  /**
   * The IPv4 address a name that is not a machine has on machine FROM of the lab host (its own
   * /etc/hosts), for checks that run outside the lab host's files; absent where the checks'
   * commands resolve names themselves (a learner's own machine over SSH).
   */
  resolveName?(name: string, from: string): Promise<string | undefined>
  /** The iptables back end the lab host was given, when one was (see iptablesTool). */
  iptables?: 'nft' | 'legacy'
  /** The network namespaces the lab host has (`ip netns list`), with what shows them. */
  netnsNames(opts: { timeoutMs: number }): Promise<{ names: string[]; exec: ExecResult }>
  /**
   * The address a machine name stands for (container ip, internet 203.0.113.10, host …), if it is a
   * name; as machine FROM reaches it, and as a next hop for `as: 'gateway'` (see addressFrom).
   */
  addressOf(name: string, from?: string, as?: 'target' | 'gateway'): string | undefined
  /**
   * The IPv4 addresses a machine has now (a machine of the topology, or a network namespace the
   * lab made), loopback included; undefined when there is no such machine now. Absent where the
   * checks see only machines the lab declares (a learner's machine over SSH).
   */
  addressesOf?(machine: string): Promise<{ ip: string; prefix: number }[] | undefined>
  /** Pause between attempts of a check that does not hold yet (default RETRY_PAUSE_MS). */
  retryPauseMs?: number
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
