import { childProcesses, processInfo, type ProcessInfo } from '../host/exec.js'
import { attachSandbox, type Sandbox } from '../host/sandbox.js'
import { sandboxIsOurs } from './learner-session.js'
import { loadSession, removeSession, type Session } from './session-store.js'

/** End a session's lab host (when it is ours and alive) and forget the session. (nslab down's takeDown, for layers below the CLI.) */
export async function takeDownLab(session: Session, sandbox?: Sandbox): Promise<void> {
  if (sandboxIsOurs(session)) {
    // The lab host's pid 1 becomes a zombie only once every process of its
    // namespace is reaped; unshare, killed when pid 1 is slow to end (a busy
    // machine), may be gone long before it.
    const inits = childProcesses(session.sandbox.pid)
    await (sandbox ?? attachSandbox(session.sandbox)).stop()
    const gone = (pid: number, start: number | undefined) => {
      const p = processInfo(pid)
      return !p || p.zombie === true || p.startTime !== start
    }
    const until = Date.now() + 15_000
    while (Date.now() < until) {
      if (gone(session.sandbox.pid, session.sandboxStart) && inits.every((p: ProcessInfo) => gone(p.pid, p.startTime))) break
      await new Promise((r) => setTimeout(r, 10))
    }
  } else if (sandbox) {
    // Not ours to find by pid any more (its record changed), yet this process holds it: end it.
    await sandbox.stop()
  }
  // A session of that name made meanwhile (nslab reset elsewhere) is not this one's to remove.
  const now = loadSession(session.name)
  if (!now || (now.createdAt === session.createdAt && now.sandbox.pid === session.sandbox.pid)) removeSession(session.name)
}
