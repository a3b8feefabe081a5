// A step that runs past its timeout is interrupted as Ctrl-C would: SIGINT
// to every process it started (not to nsenter, which leads the group and
// would die of it before its child, leaving nothing to kill the rest by), so
// that ping prints its statistics and programs flush what they printed; what
// is still running a moment later is killed with the group.
import { groupMembers, type Running } from '../host/exec.js'
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
