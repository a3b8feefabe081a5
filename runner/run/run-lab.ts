import { runCheckBlock } from '../../checks/run-check-block.js'
import type { ExecResult } from '../host/exec-result.js'
import type { Block, CheckBlock, Lab, OutputBlock, ScriptBlock } from '../lab/lab.js'
import type { LabLimits } from '../host/lab-limits.js'
import { matchOutput } from './match-output.js'
import { NslabError } from '../util/nslab-error.js'
import { randomHex } from '../util/random-hex.js'
import type { BlockResult, LabResult, RunEvent } from './run-event.js'
import type { Sandbox } from '../host/sandbox.js'
import type { Running } from '../host/exec.js'
import { existsSync } from 'node:fs'
import { takeStepFailure } from './step-failure.js'
import { interruptStep } from './interrupt-step.js'
import { addressIn, changesAddresses, readAddressBook, writeHosts, type AddressBook } from './machine-addresses.js'
import { createLabHost as hostOfEngine } from './create-lab-host.js'
import { sandboxCheckContext } from './sandbox-check-context.js'
import { programsOfLab } from './programs-of-lab.js'
import { requirePrograms } from '../host/require-programs.js'
import { within } from '../util/within.js'
import { kernelLacks, requireKernel } from '../host/kernel-features.js'

export interface RunLabOptions {
  lab: Lab
  emit: (event: RunEvent) => void
  /** Ends the lab early (Ctrl-C, SIGTERM, a lab time limit). */
  signal?: AbortSignal
  iptables?: 'nft' | 'legacy'
  /** Run without this block (nslab prove): it is skipped silently. */
  omit?: number
  /** Stop after this block (nslab prove). */
  stopAfter?: number
  /** Grading: a learner's answer in place of the solution with this id. */
  answers?: Map<string, string>
  /** Leave the sandbox up when the lab fails; called with it instead of stopping it. */
  keep?: (sandbox: Sandbox, result: LabResult) => Promise<string | undefined>
  /** Run blocks on an existing sandbox (learner mode) instead of building one. */
  sandbox?: Sandbox
  /** A label for reports (a kernel/back end cell). */
  cell?: string
  /** Cap of what one script may print. */
  maxOutputBytes?: number
  /** Processes, memory and CPU of the lab host (nslab run's defaults, or its options). */
  limits?: LabLimits
  /** Lab hosts running at once (the share of a user's RLIMIT_NPROC each gets). */
  parallel?: number
}

/** How long a background step must survive to count as started. */
const BACKGROUND_SETTLE_MS = 150

/** Run one lab: a sandbox, every block in document order, then teardown (always). */
export async function runLab(opts: RunLabOptions): Promise<LabResult> {
  const { lab, emit } = opts
  const t0 = performance.now()
  emit({ type: 'lab-start', file: lab.file, lab, time: Date.now() })
  const results: BlockResult[] = []
  const finish = (status: LabResult['status'], error?: string): LabResult => {
    const r: LabResult = { file: lab.file, title: lab.title, status, durationMs: performance.now() - t0, blocks: results }
    if (error) r.error = error
    if (opts.cell) r.cell = opts.cell
    return r
  }

  // A kernel without a module the lab needs: the lab is not run here, which is no failure of it.
  const lacks = opts.sandbox ? undefined : kernelLacks(lab)
  if (lacks) {
    const result = finish('skip')
    result.skipped = lacks
    emit({ type: 'lab-end', result })
    return result
  }

  let sandbox: Sandbox
  try {
    sandbox = opts.sandbox ?? (await createLabHost(lab, { ...opts, persistent: opts.keep !== undefined }))
  } catch (e) {
    const result = finish('error', e instanceof NslabError ? e.toString() : String(e))
    emit({ type: 'lab-end', result })
    if (e instanceof NslabError && e.exitCode === 3) throw e
    return result
  }
  if (!opts.sandbox) emit({ type: 'sandbox-up', file: lab.file, durationMs: sandbox.upMs })

  let result: LabResult | undefined
  try {
    const blocks = blockRunner(sandbox, lab, opts)
    let stopped: string | undefined
    let previous: ExecResult | undefined
    let previousSkipped = false
    for (let i = 0; i < lab.blocks.length; i++) {
      if (opts.stopAfter !== undefined && i > opts.stopAfter) break
      const block = lab.blocks[i]!
      if (block.kind === 'shown' || i === opts.omit) continue
      if (opts.signal?.aborted) stopped ??= 'the run was interrupted'
      emit({ type: 'block-start', file: lab.file, index: i, block })
      let r: BlockResult
      if (stopped) {
        r = { index: i, block, status: 'skip', durationMs: 0, message: stopped }
      } else if (block.kind === 'script') {
        r = await blocks.script(block, i)
        previous = r.exec
        previousSkipped = false
        if (r.status === 'fail') stopped = `skipped: the ${block.role} at line ${block.line} failed`
      } else if (block.kind === 'output') {
        r = judgeOutput(block, i, previous, previousSkipped)
      } else {
        r = await blocks.checks(block, i, previous)
      }
      if (r.status === 'skip' && block.kind === 'script') previousSkipped = true
      results.push(r)
      emit({ type: 'block-end', file: lab.file, result: r })
    }
    const failed = results.some((r) => r.status === 'fail')
    result = finish(opts.signal?.aborted ? 'error' : failed ? 'fail' : 'pass', opts.signal?.aborted ? `interrupted (${String(opts.signal.reason ?? 'aborted')})` : undefined)
    return result
  } finally {
    // Teardown always happens, whatever happened above.
    if (!opts.sandbox) {
      let kept: string | undefined
      if (opts.keep && result && result.status !== 'pass' && !opts.signal?.aborted) {
        kept = await opts.keep(sandbox, result).catch(() => undefined)
      }
      if (kept && result) result.kept = kept
      else await sandbox.stop()
    }
    if (result) emit({ type: 'lab-end', result })
  }
}

/** A lab host for a lab: its topology and settings, the run's back end and limits. */
export async function createLabHost(
  lab: Lab,
  opts: Pick<RunLabOptions, 'iptables' | 'limits' | 'parallel'> & { persistent?: boolean; name?: string },
): Promise<Sandbox> {
  requirePrograms(programsOfLab(lab))
  requireKernel(lab)
  return await hostOfEngine(lab.engine, {
    topology: lab.topology,
    name: opts.name ?? lab.file.replace(/^.*\//, '').replace(/\.md$/, ''),
    // A kept host must outlive this process.
    persistent: opts.persistent ?? false,
    ...(opts.iptables ? { iptables: opts.iptables } : {}),
    ...(opts.limits ? { limits: opts.limits, parallel: opts.parallel ?? 1 } : {}),
  })
}

export interface BlockRunner {
  /** Run a step, setup or solution; afterwards, machine names follow any address it changed. */
  script(block: ScriptBlock, index: number): Promise<BlockResult>
  /** Judge a check block (see runCheckBlock); with firstFailure, stop at its first check that fails (nslab prove). */
  checks(block: CheckBlock, index: number, previous: ExecResult | undefined, o?: { firstFailure?: boolean }): Promise<BlockResult>
}

/** Runs blocks of a lab on its lab host, one after another, keeping what they leave behind (machine addresses). */
export function blockRunner(sandbox: Sandbox, lab: Lab, opts: Pick<RunLabOptions, 'signal' | 'answers' | 'maxOutputBytes'> & { retryPauseMs?: number } = {}): BlockRunner {
  let book: AddressBook | undefined
  return {
    async script(block, index) {
      const r = await runScript(sandbox, block, index, opts)
      if (r.status !== 'skip' && changesAddresses(r.exec?.command ?? block.content)) {
        const next = await readAddressBook(sandbox, lab.topology)
        await writeHosts(sandbox, next).catch(() => undefined)
        book = next
      }
      return r
    },
    checks(block, index, previous, o = {}) {
      return runChecks(sandbox, lab, block, index, previous, opts.signal, { ...o, ...(book ? { book } : {}), ...(opts.retryPauseMs ? { retryPauseMs: opts.retryPauseMs } : {}) })
    },
  }
}

/** Programs' stdout is line-buffered in a step, as at a terminal: what a timed-out pipeline printed is not lost in a buffer. */
const STDBUF = '/usr/libexec/coreutils/libstdbuf.so'
let lineBuffered: Record<string, string> | undefined

/** How long an interrupted step (a timeout) has to end before it is killed. */
const INTERRUPT_GRACE_MS = 1000

async function runScript(sandbox: Sandbox, block: ScriptBlock, index: number, opts: Pick<RunLabOptions, 'signal' | 'answers' | 'maxOutputBytes'>): Promise<BlockResult> {
  const t0 = performance.now()
  const script = block.role === 'solution' && block.id && opts.answers?.has(block.id) ? opts.answers.get(block.id)! : block.content
  lineBuffered ??= existsSync(STDBUF) ? { LD_PRELOAD: STDBUF, _STDBUF_O: 'L' } : {}
  const trace = randomHex(6)
  const base = { machine: block.on, script, env: lineBuffered, ...(opts.maxOutputBytes ? { maxOutputBytes: opts.maxOutputBytes } : {}) }
  const noMachine = (e: unknown): BlockResult => {
    if (!(e instanceof NslabError && e.code === 'USAGE')) throw e
    // A namespace the lab makes, named before it exists (or after it is gone).
    return { index, block, status: 'fail', durationMs: performance.now() - t0, message: `it could not run on ${block.on}: ${e.message}` }
  }
  let exec: ExecResult
  if (block.background) {
    let running: Running
    try {
      running = sandbox.spawn(base)
    } catch (e) {
      return noMachine(e)
    }
    const early = await within(running.done, BACKGROUND_SETTLE_MS)
    if (early === undefined) {
      // Still running: it passes, and goes on until the lab ends.
      running.done.catch(() => undefined)
      exec = { machine: block.on, command: script, exitCode: null, stdout: '', stderr: '', output: '', durationMs: performance.now() - t0, timedOut: false }
      return { index, block, status: 'pass', durationMs: exec.durationMs, exec }
    }
    exec = early
    const ok = exec.exitCode === 0
    return { index, block, status: ok ? 'pass' : 'fail', durationMs: exec.durationMs, exec, ...(ok ? {} : { message: `it exited at once with status ${exec.exitCode}` }) }
  }
  let running: Running
  try {
    running = sandbox.spawn({ ...base, trace })
  } catch (e) {
    return noMachine(e)
  }
  let timedOut = false
  const abort = () => running.kill('SIGKILL')
  // Its own timeout: interrupted first (Ctrl-C), so that it still says what it was doing.
  const timer = setTimeout(() => {
    timedOut = true
    void interruptStep(running, INTERRUPT_GRACE_MS)
  }, block.timeoutMs)
  opts.signal?.addEventListener('abort', abort, { once: true })
  try {
    exec = await running.done
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', abort)
  }
  if (timedOut) exec = { ...exec, timedOut: true }
  const taken = takeStepFailure(exec, trace, block)
  exec = taken.exec
  const stoppedAt = taken.stoppedAt
  const r: BlockResult = { index, block, status: 'pass', durationMs: exec.durationMs, exec }
  if (stoppedAt) r.stoppedAt = stoppedAt
  const skipped = stoppedAt ? linesAfter(stoppedAt) : ''
  const where = stoppedAt ? `: line ${stoppedAt.line} (${stoppedAt.command}) failed${skipped ? `, and bash -e ended the ${block.role} there (${skipped} did not run)` : ''}` : ''
  if (exec.timedOut) {
    r.status = 'fail'
    r.message = `it did not finish within ${formatMs(block.timeoutMs)} (timeout)`
  } else if (exec.truncated) {
    r.status = 'fail'
    r.message = 'it printed more than the output limit and was stopped'
  } else if (block.exit !== 'any' && exec.exitCode !== block.exit) {
    r.status = 'fail'
    r.message =
      exec.exitCode === null
        ? `it was killed by ${exec.signal ?? 'a signal'}`
        : `it exited with status ${exec.exitCode}, expected ${block.exit}${where}`
  } else if (stoppedAt && skipped) {
    // The status it was to end with, but from a line before its last: the lines after it never ran.
    const lines = `${skipped} did not run`
    if (block.exit === 'any') r.message = `note: line ${stoppedAt.line} (${stoppedAt.command}) failed with status ${stoppedAt.status} and bash -e ended the ${block.role} there: ${lines}`
    else {
      r.status = 'fail'
      r.message = `it exited with status ${exec.exitCode} as expected, but at line ${stoppedAt.line} (${stoppedAt.command}), before its last line: bash -e ended it there and ${lines}; put the command that fails last, or end the others that may fail with || true`
    }
  }
  return r
}
export function judgeOutput(block: OutputBlock, index: number, previous: ExecResult | undefined, previousSkipped: boolean): BlockResult {
  if (!previous || previousSkipped) {
    return { index, block, status: 'skip', durationMs: 0, message: 'skipped: the step before it did not run' }
  }
  const m = matchOutput(block.lines, previous.output)
  const r: BlockResult = { index, block, status: m.ok ? 'pass' : 'fail', durationMs: 0, exec: previous }
  if (m.message) r.message = m.message
  return r
}

async function runChecks(
  sandbox: Sandbox,
  lab: Lab,
  block: CheckBlock,
  index: number,
  previous: ExecResult | undefined,
  signal: AbortSignal | undefined,
  o: { firstFailure?: boolean; book?: AddressBook; retryPauseMs?: number } = {},
): Promise<BlockResult> {
  const t0 = performance.now()
  const ctx = sandboxCheckContext(sandbox, lab, {
    ...(previous ? { previous } : {}),
    ...(signal ? { signal } : {}),
    ...(o.book ? { addressOf: (name: string, from?: string, as?: 'target' | 'gateway') => addressIn(o.book, sandbox, name, from, as) } : {}),
    ...(o.retryPauseMs ? { retryPauseMs: o.retryPauseMs } : {}),
  })
  // Side by side where the lines cannot see each other's doing; results in the block's order.
  const checks = await runCheckBlock(block.checks, ctx, o.firstFailure ? { firstFailure: true } : {})
  const failed = checks.filter((c) => !c.ok)
  const r: BlockResult = { index, block, status: failed.length ? 'fail' : 'pass', durationMs: performance.now() - t0, checks }
  if (failed.length) r.message = failed.map((c) => c.sentence).join('; ')
  if (block.hint) r.hint = block.hint
  return r
}

/** The lines of a step after the one that ended it: "line 34", "lines 34–40", or '' when it was the last. */
function linesAfter(s: { line: number; lastLine: number }): string {
  if (s.lastLine <= s.line) return ''
  return s.lastLine === s.line + 1 ? `line ${s.lastLine}` : `lines ${s.line + 1}–${s.lastLine}`
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

export type { Block }
