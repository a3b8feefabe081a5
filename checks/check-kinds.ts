import type { Check, CheckVerb } from '../runner/lab/lab.js'
import { addrProbe } from './addr.js'
import { conntrackProbe } from './conntrack.js'
import { exitProbe } from './exit.js'
import { httpProbe } from './http.js'
import { httpSeriesMs } from './http-backends.js'
import { masterProbe } from './master.js'
import { netnsProbe } from './netns.js'
import { nftProbe } from './nft.js'
import { PING_ATTEMPT_MS, pingProbe, pingSeriesMs } from './ping.js'
import { policyProbe } from './policy.js'
import type { ProbeFn } from './probe-fn.js'
import { routeProbe } from './route.js'
import { ruleProbe } from './rule.js'
import { shProbe } from './sh.js'
import { stdoutProbe } from './stdout.js'
import { sysctlProbe } from './sysctl.js'

export interface CheckKind {
  probe: ProbeFn
  /** Judged once, never retried (exit, stdout: what already happened cannot change). */
  once?: boolean
  /** The longest one attempt may take (its commands bounded to it). */
  attemptMs: number
  /** The longest the single attempt of a `no` check may take, if less. */
  negatedAttemptMs?: number
  /**
   * A check of this kind that takes as long as it takes (a ping of count=N
   * echoes, an http of N requests to backends=): its one attempt's time, unscaled, judged once whatever its window.
   * Undefined: the kind's attemptMs and window apply.
   */
  seriesMs?: (check: Check) => number | undefined
}

/** Every check verb of the lab format and how to judge it. */
export const checkKinds: Record<CheckVerb, CheckKind> = {
  // One echo: a `no ping` answers in about a second.
  ping: { probe: pingProbe, attemptMs: PING_ATTEMPT_MS, seriesMs: pingSeriesMs },
  // backends= sends a series of requests, judged once on who answered them.
  http: { probe: httpProbe, attemptMs: 3000, negatedAttemptMs: 2000, seriesMs: httpSeriesMs },
  rule: { probe: ruleProbe, attemptMs: 3000 },
  nft: { probe: nftProbe, attemptMs: 3000 },
  policy: { probe: policyProbe, attemptMs: 3000 },
  addr: { probe: addrProbe, attemptMs: 3000 },
  master: { probe: masterProbe, attemptMs: 3000 },
  route: { probe: routeProbe, attemptMs: 3000 },
  sysctl: { probe: sysctlProbe, attemptMs: 3000 },
  netns: { probe: netnsProbe, attemptMs: 3000 },
  conntrack: { probe: conntrackProbe, attemptMs: 3000 },
  exit: { probe: exitProbe, once: true, attemptMs: 0 },
  stdout: { probe: stdoutProbe, once: true, attemptMs: 0 },
  // The learner's own command: as long as the window allows.
  sh: { probe: shProbe, attemptMs: Number.POSITIVE_INFINITY },
}
