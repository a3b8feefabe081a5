import { processInfo } from '../host/exec.js'
import { attachSandbox, type Sandbox } from '../host/sandbox.js'
import { sandboxIsOurs } from './learner-session.js'
import { loadSession, removeSession, type Session } from './session-store.js'

/** End a session's lab host (when it is ours and alive) and forget the session. (nslab down's takeDown, for layers below the CLI.) */
export async function takeDownLab(session: Session, sandbox?: Sandbox): Promise<void> {
  if (sandboxIsOurs(session)) {
    await (sandbox ?? attachSandbox(session.sandbox)).stop()
    // stop() sends TERM, then KILL after a grace: wait until the process is really gone.
    const until = Date.now() + 3000
    while (Date.now() < until) {
      const p = processInfo(session.sandbox.pid)
      if (!p || p.zombie || p.startTime !== session.sandboxStart) break
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
