import { parseArgs } from 'node:util'
import { resolveSession, type LearnerContext } from '../learn/learner-session.js'
import { NslabError } from '../util/nslab-error.js'
import { listSessions } from '../learn/session-store.js'
import { learnerWords } from '../learn/learner-words.js'
import { takeDown } from './up-command.js'

export const DOWN_HELP = `Usage: nslab down [NAME | --all]

Takes a lab down: every process of its lab host ends, its namespaces and
files go, and its progress is forgotten. NAME defaults to the only lab up.
`

export async function downCommand(argv: string[], _ctx: LearnerContext = {}): Promise<number> {
  let v
  try {
    v = parseArgs({ args: argv, allowPositionals: true, options: { all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (e) {
    throw new NslabError({ code: 'USAGE', message: `${(e as Error).message}\n\n${DOWN_HELP}` })
  }
  if (v.values.help) {
    process.stdout.write(DOWN_HELP)
    return 0
  }
  if (v.positionals.length > 1 || (v.values.all && v.positionals.length)) {
    throw new NslabError({ code: 'USAGE', message: `nslab down takes one lab name, or --all\n\n${DOWN_HELP}` })
  }
  const sessions = v.values.all ? listSessions() : [resolveSession(v.positionals[0])]
  if (sessions.length === 0) {
    process.stdout.write('No labs are up.\n')
    return 0
  }
  for (const s of sessions) {
    await takeDown(s)
    process.stdout.write(`${learnerWords(s.lang).isDown(s.name)}\n`)
  }
  return 0
}
