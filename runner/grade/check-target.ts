// nslab check LAB --target ssh://USER@HOST: judge a learner's own machine,
// where they typed the lab's steps by hand. No sandbox is built and nothing
// of the lab runs there: only the checks' commands, over SSH; their outputs
// are judged here by the same checks as everywhere else.
import type { CheckContext } from '../../checks/check-context.js'
import { parseNetnsList } from '../../checks/parse-netns-list.js'
import type { CheckResult } from '../../checks/check-result.js'
import { runCheck } from '../../checks/run-check.js'
import type { Block, CheckBlock, Lab } from '../lab/lab.js'
import { labExercises } from '../lab/lab-exercises.js'
import { NslabError } from '../util/nslab-error.js'
import { evidenceOf } from '../../checks/evidence-of.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { machineAddresses } from '../host/sandbox-script.js'
import type { SshTarget } from './ssh-target.js'

export interface CheckTargetOptions {
  lab: Lab
  target: SshTarget
  /** Exercise ids whose checks to judge; default: every exercise's. */
  exercises?: string[]
  /** What machine names stand for; default: the lab's own addresses. */
  addresses?: Record<string, string>
  emit?: (event: RunEvent) => void
  signal?: AbortSignal
}

/** Verbs about a step nslab ran: on a target nothing ran, so they cannot be judged. */
const ABOUT_A_RUN = new Set(['exit', 'stdout'])

/** Judge the target; a target that cannot be reached is a failed result, not an exception. */
export async function checkTarget(opts: CheckTargetOptions): Promise<LabResult> {
  const { target } = opts
  const emit = opts.emit ?? (() => {})
  const t0 = performance.now()
  const chosen = chooseBlocks(opts.lab, opts.exercises)
  // Only the judged blocks are the lab that reporters see (the others are shown ones).
  const lab: Lab = {
    ...opts.lab,
    blocks: opts.lab.blocks.map((b, i): Block => (chosen.includes(i) || b.kind === 'shown' ? b : { kind: 'shown', lang: '', line: b.line, contentLine: b.contentLine, info: b.info, content: b.content, prose: b.prose })),
  }
  emit({ type: 'lab-start', file: lab.file, lab, time: Date.now() })
  const addresses = new Map(machineAddresses(lab.topology))
  for (const [k, v] of Object.entries(opts.addresses ?? {})) addresses.set(k, v)
  const ctx: CheckContext = {
    lab,
    exec: (o) => target.exec(o),
    // The learner's own machine: nslab's commands run there as its own programs are.
    look: (o) => target.exec(o),
    netnsNames: async (o) => {
      const exec = await target.exec({ machine: 'host', script: 'ip netns list', timeoutMs: o.timeoutMs })
      return { names: exec.exitCode === 0 ? parseNetnsList(exec.stdout) : [], exec }
    },
    addressOf: (name) => addresses.get(name),
    ...(opts.signal ? { signal: opts.signal } : {}),
  }
  const blocks: BlockResult[] = []
  const reach = await target.probe()
  for (const index of chosen) {
    const block = lab.blocks[index] as CheckBlock
    emit({ type: 'block-start', file: lab.file, index, block })
    const b0 = performance.now()
    const checks: CheckResult[] = []
    const skipped: string[] = []
    for (const check of block.checks) {
      if (ABOUT_A_RUN.has(check.verb)) {
        skipped.push(check.source)
        continue
      }
      if (!reach.ok) {
        checks.push({ check, ok: false, sentence: `not judged: ${reach.reason}`, evidence: [evidenceOf(reach.evidence)], durationMs: 0, attempts: 0 })
        continue
      }
      const r = await runCheck(check, ctx)
      // A connection lost on the way is said as such, not as what the check would have seen.
      const lost = r.evidence.map((e) => target.transportFailure({ ...e, stdout: '', stderr: e.output, output: e.output, durationMs: 0, timedOut: false })).find(Boolean)
      if (lost && !r.ok) r.sentence = `not judged: ${lost}`
      checks.push(r)
    }
    const failed = checks.filter((c) => !c.ok)
    const r: BlockResult = { index, block, status: checks.length === 0 ? 'skip' : failed.length ? 'fail' : 'pass', durationMs: performance.now() - b0, checks }
    if (checks.length === 0) r.message = `not judged on a target: ${skipped.join(', ')} judge a step that nslab ran, and here nothing ran`
    else if (failed.length) r.message = failed.map((c) => c.sentence).join('; ')
    if (block.hint) r.hint = block.hint
    blocks.push(r)
    emit({ type: 'block-end', file: lab.file, result: r })
  }
  const result: LabResult = {
    file: lab.file,
    title: lab.title,
    status: blocks.some((b) => b.status === 'fail') ? 'fail' : 'pass',
    durationMs: performance.now() - t0,
    blocks,
    cell: target.label,
  }
  if (!reach.ok) result.error = reach.reason
  emit({ type: 'lab-end', result })
  return result
}

/** Indexes of the check blocks to judge. */
export function chooseBlocks(lab: Lab, ids?: string[]): number[] {
  const exercises = labExercises(lab)
  if (ids?.length) {
    const unknown = ids.filter((id) => !exercises.some((e) => e.id === id))
    if (unknown.length) {
      throw new NslabError({
        code: 'USAGE',
        message: `${lab.file} has no exercise ${unknown.join(', ')} (it has: ${exercises.map((e) => e.id).join(', ') || 'none'})`,
      })
    }
    return exercises.filter((e) => ids.includes(e.id)).flatMap((e) => e.checkBlocks)
  }
  if (exercises.length) return exercises.flatMap((e) => e.checkBlocks)
  const last = lab.blocks.map((b, i) => (b.kind === 'check' ? i : -1)).filter((i) => i >= 0).pop()
  return last === undefined ? [] : [last]
}
