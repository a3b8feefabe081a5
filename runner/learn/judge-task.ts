import type { CheckResult } from '../../checks/check-result.js'
import { runCheckBlock } from '../../checks/run-check-block.js'
import type { Check, Lab } from '../lab/lab.js'
import type { Task } from '../lab/lab-tasks.js'
import type { Sandbox } from '../host/sandbox.js'
import { sandboxCheckContext } from '../run/sandbox-check-context.js'

export interface TaskVerdict {
  ok: boolean
  /** One per check judged, in order. */
  results: CheckResult[]
  /**
   * exit and stdout checks: they are about nslab's own run of the step before
   * them (nslab run), which learner mode does not make; the learner's typing
   * is not seen. They are not judged here.
   */
  skipped: Check[]
  durationMs: number
}

const ABOUT_THE_RUN = new Set(['exit', 'stdout'])

/** Judge the check block that ends a task, on the lab host as it is now. */
export async function judgeTask(lab: Lab, task: Task, sandbox: Sandbox, signal?: AbortSignal): Promise<TaskVerdict> {
  const t0 = performance.now()
  const block = lab.blocks[task.checkBlock]
  if (!block || block.kind !== 'check') throw new Error(`task ${task.index + 1}: block ${task.checkBlock} is not a check block`)
  const ctx = sandboxCheckContext(sandbox, lab, signal ? { signal } : {})
  const skipped = block.checks.filter((c) => ABOUT_THE_RUN.has(c.verb))
  // Side by side, but a check that counts what earlier ones sent waits for them.
  const results: CheckResult[] = await runCheckBlock(
    block.checks.filter((c) => !ABOUT_THE_RUN.has(c.verb)),
    ctx,
  )
  return { ok: !signal?.aborted && results.every((r) => r.ok), results, skipped, durationMs: performance.now() - t0 }
}
