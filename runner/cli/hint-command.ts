import { colorEnabled, createColors } from '../util/colors.js'
import { wrapText } from '../learn/format-verdict.js'
import { labProse } from '../learn/lab-prose.js'
import { labTasks } from '../lab/lab-tasks.js'
import { learnerWords } from '../learn/learner-words.js'
import { renderTask } from '../learn/render-task.js'
import { commandFor, resolveSession, sessionLab, type LearnerContext } from '../learn/learner-session.js'
import { NslabError } from '../util/nslab-error.js'
import { safeTerminal } from '../util/safe-text.js'

export const HINT_HELP = `Usage: nslab hint [NAME]

Shows the hint of the task you are on. A task without a hint is shown again.
`

export async function hintCommand(argv: string[], ctx: LearnerContext = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HINT_HELP)
    return 0
  }
  const bad = argv.find((a) => a.startsWith('-'))
  if (bad || argv.length > 1) throw new NslabError({ code: 'USAGE', message: `${bad ? `unknown option ${bad}` : 'nslab hint takes one lab name'}\n\n${HINT_HELP}` })
  const s = resolveSession(argv[0] ?? ctx.session)
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
