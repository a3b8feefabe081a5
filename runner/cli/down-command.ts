import { resolveSession, type LearnerContext } from '../learn/learner-session.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { listSessions } from '../learn/session-store.js'
import { learnerWords } from '../learn/learner-words.js'
import { takeDown } from './up-command.js'
import { stopSessionAgent } from './stop-session-agent.js'

export const DOWN_HELP = `Usage: nslab down [NAME | --all]

Takes a lab down: every process of its lab host ends, its namespaces and
files go, and its progress is forgotten. NAME defaults to the only lab up.

  --all                     every lab that is up
${COMMON_OPTIONS_HELP}`

export const DOWN_OPTIONS = { all: { type: 'boolean' } } as const

export async function downCommand(argv: string[], _ctx: LearnerContext = {}): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab down', usage: 'nslab down -- NAME', options: DOWN_OPTIONS })
  if (v.values.help) {
    process.stdout.write(DOWN_HELP)
    return 0
  }
  if (v.positionals.length > 1 || (v.values.all && v.positionals.length)) throw new UsageError('nslab down', 'takes one lab name, or --all')
  const sessions = v.values.all ? listSessions() : [resolveSession(v.positionals[0])]
  if (sessions.length === 0) {
    process.stdout.write('No labs are up.\n')
    return 0
  }
  for (const s of sessions) {
    await takeDown(s)
    process.stdout.write(`${learnerWords(s.lang).isDown(s.name)}\n`)
  }
  await stopSessionAgent()
  return 0
}
