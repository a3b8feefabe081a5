// nslab prove: every check block of a lab can fail.
//
// The rule. A check block is proven against the nearest step before it that
// changes what it checks: its checks must fail when the lab runs without that
// step. Steps that only look (`ip route`, `iptables -L`, `cat`; see
// step-effect.ts) are passed over, and so are steps that only send traffic
// (ping, curl), unless the block counts packets (`rule … min-packets=`) or
// runs a command of its own (`sh`). A block with `exit` or `stdout` checks is
// about the step just before it, whatever that step does. `after=STEP-ID` on
// the block names the step instead. A setup ends the search (a setup is not
// proven against); with no step that changes anything since, the nearest step
// is taken, as before.
//
// How it runs. Without step S, everything before S has run and, when only
// looking steps lie between S and the block, nothing else has changed the lab
// host: that is the state just before S in a run of the whole lab. So one lab
// host runs the lab's steps in order, and before each step S it judges the
// blocks proven against S — they must fail — then runs S; the lab's check
// blocks run where they stand, as in a run (a check waits for a server a step
// started, and the steps after it count on that). That pass is cut
// into stretches run side by side, each on its own lab host that first runs
// the steps before its stretch; a block whose `after=` skips a step that
// changes something gets a lab host of its own that runs everything but that
// step. A block judged to fail stops at its first failing check.

import type { CheckBlock, Lab, ScriptBlock } from '../lab/lab.js'
import type { LabLimits } from '../host/lab-limits.js'
import type { ExecResult } from '../host/exec-result.js'
import type { Sandbox } from '../host/sandbox.js'
import { stepEffect, type StepEffect } from '../lab/step-effect.js'
import { shellCommands } from '../lab/shell-commands.js'
import { blockRunner, createLabHost } from './run-lab.js'
import { runPool } from './run-pool.js'
import { NslabError } from '../util/nslab-error.js'

export interface ProveTrial {
  lab: Lab
  /** Index of the check block in lab.blocks. */
  check: number
  /** Index of the step it is proven against; undefined when nothing before it can be left out. */
  omitted?: number
  /** How the step was chosen: 'after' (after=), 'changes' (the nearest step that changes what it checks), 'previous' (exit/stdout), 'nearest' (none changes anything). */
  by?: 'after' | 'changes' | 'previous' | 'nearest'
  /** Only looking steps between the step and the block: judged in the lab's one pass. */
  inline: boolean
}

export type ProveStatus = 'can-fail' | 'still-passes' | 'not-tried' | 'error'

export interface ProveOutcome {
  trial: ProveTrial
  status: ProveStatus
  /** Why, in a few words: the failing check's sentence, or what went wrong. */
  detail?: string
}

export interface ProveOptions {
  /** Lab hosts at once. */
  jobs: number
  iptables?: 'nft' | 'legacy'
  limits?: LabLimits
  signal?: AbortSignal
  /** Each outcome as it is known (any order); `index` is its place in trialsOf's order over all labs. */
  onOutcome?: (index: number, outcome: ProveOutcome) => void
}

/** How long a step takes when its text does not say (a process or two in the lab host). */
const STEP_MS = 80
/** Making a lab host and taking it down. */
const HOST_MS = 400
/** Pause between attempts of a check that must fail: the last attempt, at the window's end, decides. */
const PROVE_RETRY_MS = 250

/** The check blocks of a lab and the step each is proven against (the rule above). */
export function trialsOf(lab: Lab): ProveTrial[] {
  const trials: ProveTrial[] = []
  const effects = new Map<number, StepEffect>()
  const effectOf = (i: number): StepEffect => {
    let e = effects.get(i)
    if (e === undefined) {
      const b = lab.blocks[i] as ScriptBlock
      e = b.background ? 'changes' : stepEffect(b.content).effect
      effects.set(i, e)
    }
    return e
  }
  lab.blocks.forEach((b, ci) => {
    if (b.kind !== 'check') return
    // Traffic makes what these look at: counters, conntrack's entries, whatever an sh command reads.
    const counts = b.checks.some((c) => c.verb === 'sh' || c.verb === 'conntrack' || c.options['min-packets'] !== undefined)
    const changes = (i: number) => effectOf(i) === 'changes' || (counts && effectOf(i) === 'traffic')
    // Scripts before the block, back to the last setup (which ends the search).
    const before: number[] = []
    for (let i = ci - 1; i >= 0; i--) {
      const x = lab.blocks[i]!
      if (x.kind !== 'script') continue
      if (x.role === 'setup') break
      before.push(i)
    }
    let omitted: number | undefined
    let by: ProveTrial['by']
    if (b.after !== undefined) {
      omitted = lab.blocks.findIndex((x, i) => i < ci && x.kind === 'script' && x.id === b.after)
      by = 'after'
      if (omitted < 0) omitted = undefined
    } else if (b.checks.some((c) => c.verb === 'exit' || c.verb === 'stdout')) {
      omitted = before[0]
      by = 'previous'
    } else {
      omitted = before.find(changes)
      by = 'changes'
      if (omitted === undefined && before.length) {
        omitted = before[0]
        by = 'nearest'
      }
    }
    if (omitted === undefined) {
      trials.push({ lab, check: ci, inline: false })
      return
    }
    const o = omitted
    const between = lab.blocks.slice(o + 1, ci).map((x, k) => [x, o + 1 + k] as const)
    const inline = between.every(([x, i]) => x.kind !== 'script' || (!changes(i) && !(x as ScriptBlock).background))
    trials.push({ lab, check: ci, omitted: o, by, inline })
  })
  return trials
}

/** One lab host's work: a stretch of the one pass, or a run without one step for blocks after= names across others. */
export type ProveJob =
  | { kind: 'pass'; lab: Lab; /** Steps (indexes) before which blocks are judged, in order. */ points: number[]; trials: Map<number, number[]>; cost: number }
  | { kind: 'without'; lab: Lab; omitted: number; trials: number[]; cost: number }

/** Estimated time of a step (ms), from what it says: pings, sleeps, timeouts. */
export function stepCost(block: ScriptBlock): number {
  if (block.background) return 200
  let ms = STEP_MS
  for (const c of shellCommands(block.content).commands) {
    const w = c.words
    const cmd = w[0]?.replace(/^.*\//, '')
    const arg = (flag: string) => {
      const i = w.indexOf(flag)
      return i >= 0 ? Number(w[i + 1]) : NaN
    }
    if (cmd === 'sleep') ms += (Number(w[1]) || 0) * 1000
    const pingAt = w.findIndex((x) => x === 'ping' || x === 'ping6')
    if (pingAt >= 0) {
      const count = arg('-c')
      const interval = arg('-i')
      ms += ((Number.isFinite(count) ? count : 1) - 1) * (Number.isFinite(interval) ? interval : 1) * 1000 + 50
    }
  }
  return Math.min(ms, block.timeoutMs)
}

/** Estimated time of judging a check block that fails: its longest window, stopping at the first that fails. */
export function failingCost(block: CheckBlock): number {
  let ms = 100
  for (const c of block.checks) ms = Math.max(ms, c.verb === 'exit' || c.verb === 'stdout' ? 10 : c.negated ? 1100 : c.withinMs + 300)
  return ms
}

/** The lab hosts prove needs for the trials of one lab, at most `jobs` for its pass. */
export function proveJobs(lab: Lab, trials: ProveTrial[], indexOf: (t: ProveTrial) => number, jobs: number): ProveJob[] {
  const out: ProveJob[] = []
  const byPoint = new Map<number, number[]>()
  const without = new Map<number, number[]>()
  for (const t of trials) {
    if (t.omitted === undefined) continue
    const into = t.inline ? byPoint : without
    into.set(t.omitted, [...(into.get(t.omitted) ?? []), indexOf(t)])
  }
  const scripts = lab.blocks.map((b) => (b.kind === 'script' ? stepCost(b) : 0))
  const prefix: number[] = [0]
  for (const c of scripts) prefix.push(prefix[prefix.length - 1]! + c)
  const trialCost = (ids: number[]) => ids.reduce((s, id) => s + failingCost(lab.blocks[trials.find((t) => indexOf(t) === id)!.check] as CheckBlock), 0)
  const points = [...byPoint.keys()].sort((a, b) => a - b)
  if (points.length) {
    // Contiguous stretches of points; a stretch costs the steps up to its last point, and its judging.
    const costOf = (from: number, to: number) => HOST_MS + prefix[points[to]!]! + points.slice(from, to + 1).reduce((s, p) => s + trialCost(byPoint.get(p)!), 0)
    const split = (limit: number): [number, number][] | undefined => {
      const parts: [number, number][] = []
      let from = 0
      for (let i = 0; i < points.length; i++) {
        if (costOf(from, i) > limit) {
          if (i === from) return undefined
          parts.push([from, i - 1])
          from = i
          if (costOf(from, i) > limit) return undefined
        }
      }
      parts.push([from, points.length - 1])
      return parts
    }
    let lo = 0
    let hi = costOf(0, points.length - 1)
    let best = split(hi)!
    for (let round = 0; round < 30 && hi - lo > 50; round++) {
      const mid = (lo + hi) / 2
      const parts = split(mid)
      if (parts && parts.length <= Math.max(1, jobs)) {
        best = parts
        hi = mid
      } else lo = mid
    }
    for (const [from, to] of best) {
      const ps = points.slice(from, to + 1)
      out.push({ kind: 'pass', lab, points: ps, trials: new Map(ps.map((p) => [p, byPoint.get(p)!])), cost: costOf(from, to) })
    }
  }
  for (const [omitted, ids] of without) {
    const last = Math.max(...ids.map((id) => trials.find((t) => indexOf(t) === id)!.check))
    out.push({ kind: 'without', lab, omitted, trials: ids, cost: HOST_MS + prefix[last]! - scripts[omitted]! + trialCost(ids) })
  }
  return out
}

/**
 * Prove labs: every trial's outcome, in trialsOf's order over the labs. Lab
 * hosts run side by side, the longest work first.
 */
export async function proveLabs(labs: Lab[], opts: ProveOptions): Promise<ProveOutcome[]> {
  const trials = labs.flatMap(trialsOf)
  const indexes = new Map(trials.map((t, i) => [t, i]))
  const indexOf = (t: ProveTrial) => indexes.get(t)!
  const outcomes: (ProveOutcome | undefined)[] = new Array(trials.length).fill(undefined)
  const settle = (i: number, o: Omit<ProveOutcome, 'trial'>) => {
    if (outcomes[i]) return
    const outcome = { trial: trials[i]!, ...o }
    outcomes[i] = outcome
    opts.onOutcome?.(i, outcome)
  }
  trials.forEach((t, i) => {
    if (t.omitted === undefined) settle(i, { status: 'not-tried', detail: 'no step before it to leave out' })
  })
  const jobs = labs.flatMap((lab) => proveJobs(lab, trials.filter((t) => t.lab === lab), indexOf, opts.jobs)).sort((a, b) => b.cost - a.cost)
  await runPool(
    jobs,
    Math.max(1, opts.jobs),
    async (job) => {
      try {
        await runJob(job, trials, opts, settle)
      } catch (e) {
        if (e instanceof NslabError && e.exitCode === 3) throw e
        const why = e instanceof NslabError ? e.message : String(e)
        for (const id of job.kind === 'pass' ? [...job.trials.values()].flat() : job.trials) settle(id, { status: 'error', detail: why })
      }
    },
    () => opts.signal?.aborted === true,
  )
  return trials.map((t, i) => outcomes[i] ?? { trial: t, status: 'error', detail: 'interrupted' })
}

async function runJob(job: ProveJob, trials: ProveTrial[], opts: ProveOptions, settle: (i: number, o: Omit<ProveOutcome, 'trial'>) => void): Promise<void> {
  const lab = job.lab
  const host = await createLabHost(lab, { ...(opts.iptables ? { iptables: opts.iptables } : {}), ...(opts.limits ? { limits: opts.limits, parallel: opts.jobs } : {}) })
  try {
    const run = blockRunner(host, lab, { ...(opts.signal ? { signal: opts.signal } : {}), retryPauseMs: PROVE_RETRY_MS })
    const judge = async (id: number, previous: ExecResult | undefined) => {
      const t = trials[id]!
      const r = await run.checks(lab.blocks[t.check] as CheckBlock, t.check, previous, { firstFailure: true })
      const failed = r.checks?.find((c) => !c.ok)
      settle(id, r.status === 'pass' ? { status: 'still-passes' } : { status: 'can-fail', ...(failed ? { detail: failed.sentence } : {}) })
    }
    let previous: ExecResult | undefined
    if (job.kind === 'pass') {
      const last = job.points[job.points.length - 1]!
      const left = () => job.points.flatMap((p) => job.trials.get(p)!)
      for (let i = 0; i <= last; i++) {
        const b = lab.blocks[i]!
        if (b.kind === 'check') {
          // Judged as a run judges it (the result is run's business): a check waits for what the
          // steps before it started (a server), and the steps after it count on that.
          await run.checks(b, i, previous)
          continue
        }
        if (b.kind !== 'script') continue
        for (const id of job.trials.get(i) ?? []) {
          if (opts.signal?.aborted) return
          await judgeInline(host, id, i, previous)
        }
        if (i === last) break
        const r = await run.script(b, i)
        previous = r.exec
        if (r.status === 'fail') {
          for (const id of left()) settle(id, { status: 'error', detail: `the ${b.role} at line ${b.line} fails with every step before it run (${r.message ?? 'it failed'}): see nslab run` })
          return
        }
      }
      return
    }
    // Everything but one step, the blocks judged where they stand.
    const last = Math.max(...job.trials.map((id) => trials[id]!.check))
    for (let i = 0; i <= last && !opts.signal?.aborted; i++) {
      const b = lab.blocks[i]!
      if (b.kind === 'script' && i !== job.omitted) {
        const r = await run.script(b, i)
        previous = r.exec
        if (r.status === 'fail') {
          for (const id of job.trials) {
            if (i < job.omitted) settle(id, { status: 'error', detail: `the ${b.role} at line ${b.line} fails with every step before it run: see nslab run` })
            else settle(id, { status: 'can-fail', detail: `without it, the ${b.role} at line ${b.line} fails` })
          }
          return
        }
      } else if (b.kind === 'check') {
        const mine = job.trials.filter((id) => trials[id]!.check === i)
        for (const id of mine) await judge(id, previous)
        // Before the step left out, a check waits as in a run; after it, the lab is not the run's.
        if (!mine.length && i < job.omitted) await run.checks(b, i, previous)
      }
    }

    /** A block judged before step `at`, after the looking steps between them that its exit/stdout checks are about. */
    async function judgeInline(_host: Sandbox, id: number, at: number, before: ExecResult | undefined): Promise<void> {
      const t = trials[id]!
      const block = lab.blocks[t.check] as CheckBlock
      let prev = before
      if (block.checks.some((c) => c.verb === 'exit' || c.verb === 'stdout')) {
        for (let j = at + 1; j < t.check; j++) {
          const x = lab.blocks[j]!
          if (x.kind !== 'script') continue
          const r = await run.script(x, j)
          prev = r.exec
          if (r.status === 'fail') return settle(id, { status: 'can-fail', detail: `without it, the ${x.role} at line ${x.line} fails` })
        }
      }
      await judge(id, prev)
    }
  } finally {
    await host.stop()
  }
}
