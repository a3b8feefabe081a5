import type { CheckResult } from '../../checks/check-result.js'
import type { ExecResult } from '../host/exec-result.js'
import type { Block, Lab } from '../lab/lab.js'

export type BlockStatus = 'pass' | 'fail' | 'skip'

/** What running one block gave. Shown blocks are never reported. */
export interface BlockResult {
  /** Index of the block in lab.blocks. */
  index: number
  block: Block
  status: BlockStatus
  durationMs: number
  /** Why it failed or was skipped, in one sentence. */
  message?: string
  /** Script blocks: the run; output blocks: the run they matched against. */
  exec?: ExecResult
  /** Check blocks: one result per check line. */
  checks?: CheckResult[]
  /** The block's hint (check blocks), shown when it fails. */
  hint?: string
  /** Script blocks that a failing command ended (bash -e): where, and the step's last line. */
  stoppedAt?: { line: number; command: string; status: number; lastLine: number }
}

export interface LabResult {
  file: string
  title: string
  /** skip: not run, because this machine cannot run it (its kernel lacks a module the lab needs): see `skipped`. */
  status: 'pass' | 'fail' | 'error' | 'skip'
  durationMs: number
  blocks: BlockResult[]
  /** A broken lab or machine (status 'error'): the message, with file:line. */
  error?: string
  /** Why the lab was not run (status 'skip'), in one sentence naming what the machine lacks. */
  skipped?: string
  /** Label of where it ran, e.g. a kernel and iptables back end in a matrix. */
  cell?: string
  /** With --keep: how to enter the sandbox that was left up. */
  kept?: string
}

/**
 * The runner emits these; reporters turn them into output. No reporter
 * knows how a lab runs; everything it prints comes from here.
 */
export type RunEvent =
  | { type: 'run-start'; files: string[]; jobs: number; time: number }
  | { type: 'lab-start'; file: string; lab?: Lab; time: number }
  | { type: 'sandbox-up'; file: string; durationMs: number }
  | { type: 'block-start'; file: string; index: number; block: Block }
  | { type: 'block-end'; file: string; result: BlockResult }
  | { type: 'lab-end'; result: LabResult }
  | { type: 'run-end'; results: LabResult[]; durationMs: number }
