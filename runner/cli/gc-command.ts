import { existsSync, rmSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { sessionState } from '../learn/learner-session.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { leftoverSessionFiles, listSessions } from '../learn/session-store.js'
import { takeDown } from './up-command.js'
import { stopSessionAgent } from './stop-session-agent.js'
import { agentSocketPath, answers } from './agent-socket.js'
import { sweepDockerCgroups } from '../host/docker/docker-cgroups.js'
import { removeStaleCgroups } from '../host/cgroup-limits.js'

export const GC_HELP = `Usage: nslab gc

Removes what killed runs left behind: labs whose lab host is gone, labs
whose nslab up was killed before its setup ended (their lab host is ended),
and, as root, the cgroups of lab hosts whose nslab was killed. Labs that are
up, or still starting, are left alone.

${COMMON_OPTIONS_HELP}`

export const GC_OPTIONS = {} as const

/** Files a save in progress may still need: younger than this are left alone. */
const TMP_GRACE_MS = 60_000

export async function gcCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab gc', usage: 'nslab gc', options: GC_OPTIONS })
  if (v.values.help) {
    process.stdout.write(GC_HELP)
    return 0
  }
  if (v.positionals.length) throw new UsageError('nslab gc', 'takes no arguments')
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
  await stopSessionAgent()
  const agent = agentSocketPath()
  if (existsSync(agent) && !(await answers(agent))) {
    rmSync(agent, { force: true })
    removed.push(`removed ${basename(agent)}: its session agent was gone`)
  }
  for (const d of removeStaleCgroups()) removed.push(`removed the cgroup ${d}: its nslab was gone`)
  // The cgroup trees of docker-engine lab hosts whose nslab was killed before its teardown.
  removed.push(...(await sweepDockerCgroups()))
  process.stdout.write(removed.length ? `${removed.join('\n')}\n` : 'Nothing to clean up.\n')
  return 0
}
