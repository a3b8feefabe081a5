import { rmSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { sessionState } from '../learn/learner-session.js'
import { NslabError } from '../util/nslab-error.js'
import { leftoverSessionFiles, listSessions } from '../learn/session-store.js'
import { takeDown } from './up-command.js'
import { removeStaleCgroups } from '../host/cgroup-limits.js'

export const GC_HELP = `Usage: nslab gc

Removes what killed runs left behind: labs whose lab host is gone, labs
whose nslab up was killed before its setup ended (their lab host is ended),
and, as root, the cgroups of lab hosts whose nslab was killed. Labs that are
up, or still starting, are left alone.
`

/** Files a save in progress may still need: younger than this are left alone. */
const TMP_GRACE_MS = 60_000

export async function gcCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(GC_HELP)
    return 0
  }
  if (argv.length) throw new NslabError({ code: 'USAGE', message: `nslab gc takes no arguments\n\n${GC_HELP}` })
  const removed: string[] = []
  for (const s of listSessions()) {
    const state = sessionState(s)
    if (state === 'up' || state === 'starting') continue
    await takeDown(s)
    removed.push(
      state === 'gone'
        ? `removed ${s.name}: its lab host was gone (pid ${s.sandbox.pid})`
        : `removed ${s.name}: its setup was cut short; ended its lab host (pid ${s.sandbox.pid})`,
    )
  }
  for (const f of leftoverSessionFiles()) {
    try {
      if (Date.now() - statSync(f).mtimeMs < TMP_GRACE_MS) continue
      rmSync(f, { force: true })
      removed.push(`removed ${basename(f)}: a half-written session file`)
    } catch {
      // gone meanwhile
    }
  }
  for (const d of removeStaleCgroups()) removed.push(`removed the cgroup ${d}: its nslab was gone`)
  process.stdout.write(removed.length ? `${removed.join('\n')}\n` : 'Nothing to clean up.\n')
  return 0
}
