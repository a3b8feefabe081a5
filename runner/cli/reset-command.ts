import { colorEnabled, createColors } from '../util/colors.js'
import { labTasks } from '../lab/lab-tasks.js'
import { renderTask } from '../learn/render-task.js'
import { resolveSession, sessionState, type LearnerContext } from '../learn/learner-session.js'
import { NslabError } from '../util/nslab-error.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { learnerWords } from '../learn/learner-words.js'
import { bringUp, takeDown } from './up-command.js'

export const RESET_HELP = `Usage: nslab reset [NAME]

A fresh lab host for a lab that is up (or was: a gone one comes back): the old
one is taken down, a new one is built and set up, progress starts again at the
first task. NAME: the lab (default: the only one up).

${COMMON_OPTIONS_HELP}`

export const RESET_OPTIONS = {} as const

export async function resetCommand(argv: string[], _ctx: LearnerContext = {}): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab reset', usage: 'nslab reset -- NAME', options: RESET_OPTIONS })
  if (v.values.help) {
    process.stdout.write(RESET_HELP)
    return 0
  }
  if (v.positionals.length > 1) throw new UsageError('nslab reset', `takes one lab name, not ${v.positionals.length}`)
  const old = resolveSession(v.positionals[0])
  if (sessionState(old) === 'starting') throw new NslabError({ code: 'USAGE', message: `${old.name} is still starting; reset it once nslab up has finished` })
  await takeDown(old)
  const up = await bringUp({ file: old.lab, name: old.name, ...(old.sandbox.iptables ? { iptables: old.sandbox.iptables } : {}) })
  if ('failed' in up) return up.failed
  const color = colorEnabled(process.stdout)
  const c = createColors(color)
  const tasks = labTasks(up.lab)
  const first = tasks.tasks[0]
  process.stdout.write(
    `${c.green('✓')} ${learnerWords(up.lab.lang).wasReset(c.bold(old.name))}\n` +
      (first ? `\n${renderTask(up.lab, tasks, first, { color, width: Math.min(process.stdout.columns ?? 80, 100), prose: up.prose })}\n` : ''),
  )
  return 0
}
