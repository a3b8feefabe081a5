import type { ExecResult } from '../runner/host/exec-result.js'

/** How a sentence names the block run just before a check block. */
export function previousStep(p: ExecResult): string {
  const first = p.command.trim().split('\n')[0] ?? ''
  const short = first.length > 60 ? `${first.slice(0, 57)}…` : first
  return `the step before ("${short}${p.command.trim().includes('\n') ? ' …' : ''}")`
}
