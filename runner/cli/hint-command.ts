import { colorEnabled, createColors } from '../util/colors.js'
import { wrapText } from '../learn/format-verdict.js'
import { labProse } from '../learn/lab-prose.js'
import { labTasks } from '../lab/lab-tasks.js'
import { learnerWords } from '../learn/learner-words.js'
import { renderTask } from '../learn/render-task.js'
import { commandFor, resolveSession, sessionLab, type LearnerContext } from '../learn/learner-session.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { safeTerminal } from '../util/safe-text.js'

export const HINT_HELP = `Usage: nslab hint [NAME]

Shows the hint of the task you are on. A task without a hint is shown again.
NAME: the lab (default: the only one up).

${COMMON_OPTIONS_HELP}`

export const HINT_OPTIONS = {} as const

export async function hintCommand(argv: string[], ctx: LearnerContext = {}): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab hint', usage: 'nslab hint -- NAME', options: HINT_OPTIONS })
  if (v.values.help) {
    process.stdout.write(HINT_HELP)
    return 0
  }
  if (v.positionals.length > 1) throw new UsageError('nslab hint', `takes one lab name, not ${v.positionals.length}`)
  const s = resolveSession(v.positionals[0] ?? ctx.session)
  const lab = await sessionLab(s)
  const color = colorEnabled(process.stdout)
  const c = createColors(color)
  const tasks = labTasks(lab)
  const current = tasks.tasks.find((t) => !s.passed.includes(t.index))
  const w = learnerWords(lab.lang)
  if (!current) {
    process.stdout.write(`${w.noHintNeeded(tasks.tasks.length)}\n`)
    return 0
  }
  const block = lab.blocks[current.checkBlock]
  const hint = block?.kind === 'check' ? block.hint : undefined
  const hasSolution = current.blocks.some((i) => {
    const b = lab.blocks[i]
    return b?.kind === 'script' && (b.role === 'solution' || b.role === 'step')
  })
  const solve = hasSolution ? c.dim(w.stillStuck(commandFor('solve', s, ctx))) : ''
  if (hint) {
    const width = Math.min(process.stdout.columns ?? 80, 100)
    const lines = [c.yellow(w.hintFor(c.bold(w.task(current.index + 1, tasks.tasks.length, current.title)))), ...wrapText(hint, width, '    ', '    '), ...(solve ? [solve] : [])]
    process.stdout.write(safeTerminal(`${lines.join('\n')}\n`))
  } else {
    const width = Math.min(process.stdout.columns ?? 80, 100)
    const prose = await labProse(lab, s)
    process.stdout.write(`${w.noHintOfItsOwn}\n\n${renderTask(lab, tasks, current, { color, width, prose })}\n${solve ? `${solve}\n` : ''}`)
  }
  return 0
}
