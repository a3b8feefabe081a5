// Where a step stopped, from the reports its ERR trap wrote on stderr
// (sandbox.ts stepFailureTrap), and the step's output without them.

import type { ExecResult } from '../host/exec-result.js'
import { FAILURE_MARK } from '../host/sandbox.js'
import type { ScriptBlock } from '../lab/lab.js'
import { shellCommands } from '../lab/shell-commands.js'

export interface StoppedAt {
  /** The line of the lab file of the command that failed. */
  line: number
  /** The command as bash ran it (its expansions done), on one line. */
  command: string
  status: number
  /** The line of the lab file of the step's last command: past `line`, some did not run. */
  lastLine: number
}

/** The step's run without the trap's reports, and where it stopped, when a failing command ended it. */
export function takeStepFailure(exec: ExecResult, trace: string, block: Pick<ScriptBlock, 'content' | 'contentLine'>): { exec: ExecResult; stoppedAt?: StoppedAt } {
  const mark = FAILURE_MARK + trace
  if (!exec.stderr.includes(mark)) return { exec }
  const re = new RegExp(`${escape(mark)} (\\d+) (\\d+) (\\d+) ([^\\n]*)\\n?`, 'g')
  const reports: { status: number; depth: number; line: number; command: string }[] = []
  for (const m of exec.stderr.matchAll(re)) reports.push({ status: Number(m[1]), depth: Number(m[2]), line: Number(m[3]), command: m[4]! })
  const clean: ExecResult = { ...exec, stderr: exec.stderr.replace(re, ''), output: exec.output.replace(re, '') }
  // The last report of the step's own shell is where it ended, if it ended with that status; a
  // report just before it from inside a subshell of the same status says more precisely where.
  let at = -1
  for (let i = reports.length - 1; i >= 0; i--) if (reports[i]!.depth === 0) {
    at = i
    break
  }
  if (at < 0 || reports[at]!.status !== exec.exitCode || exec.timedOut) return { exec: clean }
  const inner = reports[at - 1]
  const r = inner && inner.depth > 0 && inner.status === reports[at]!.status ? inner : reports[at]!
  const commands = shellCommands(block.content).commands
  const last = commands[commands.length - 1]?.line ?? r.line
  return {
    exec: clean,
    stoppedAt: { line: block.contentLine + r.line - 1, command: r.command, status: r.status, lastLine: block.contentLine + Math.max(last, r.line) - 1 },
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
