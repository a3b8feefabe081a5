import { NslabError } from '../util/nslab-error.js'
import { sessionState } from './learner-session.js'
import { createSession, loadSession, type Session } from './session-store.js'
import { takeDownLab } from './take-down-lab.js'

/** Take the name for this session, or say why it cannot be taken. A stale session of that name is cleaned away. */
export async function claimName(session: Session): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createSession(session)) return
    const old = loadSession(session.name)
    if (!old) continue
    const state = sessionState(old)
    if (state === 'up' || state === 'starting') {
      throw new NslabError({
        code: 'USAGE',
        message: `a lab named "${session.name}" is already up (${old.title ?? old.lab})`,
        fix: `nslab shell ${session.name} to work in it, nslab down ${session.name} to end it, or --name OTHER for a second one`,
      })
    }
    // Left behind by a killed run: end what is left of it and take the name.
    await takeDownLab(old)
  }
  throw new NslabError({ code: 'USAGE', message: `the name "${session.name}" is taken; try --name OTHER` })
}
