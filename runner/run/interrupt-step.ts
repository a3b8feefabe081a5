// A step that runs past its timeout is interrupted as Ctrl-C would: SIGINT
// to every process it started (not to nsenter, which leads the group and
// would die of it before its child, leaving nothing to kill the rest by), so
// that ping prints its statistics and programs flush what they printed; what
// is still running a moment later is killed with the group.
import { readdirSync, readFileSync } from 'node:fs'
import type { Running } from '../host/exec.js'
import { within } from '../util/within.js'

/** SIGINT to the group's members but its leader; SIGKILL to the whole group if it has not ended after graceMs. */
export async function interruptStep(running: Running, graceMs: number): Promise<void> {
  for (const pid of groupMembers(running.pid)) {
    try {
      process.kill(pid, 'SIGINT')
    } catch {
      // ended meanwhile
    }
  }
  const ended = await within(running.done.then(() => true), graceMs)
  if (!ended) running.kill('SIGKILL')
}

/** The processes of a process group but its leader (field 5 of /proc/PID/stat is the group). */
function groupMembers(pgid: number): number[] {
  const found: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === pgid) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(f[2]) === pgid && f[0] !== 'Z') found.push(Number(d))
    } catch {
      // gone meanwhile
    }
  }
  return found
}
