import { allPassed, nextText } from './check-command.js'
import { colorEnabled, createColors } from '../util/colors.js'
import { formatFailure, formatPass } from '../learn/format-verdict.js'
import { judgeTask } from '../learn/judge-task.js'
import { labTasks } from '../lab/lab-tasks.js'
import { learnerWords } from '../learn/learner-words.js'
import { commandLines } from '../learn/render-task.js'
import { attachSession, latchTask, resolveSession, sessionLab, writeProgress, type LearnerContext } from '../learn/learner-session.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { plainText } from '../util/plain-text.js'
import { runLearnerStep } from '../learn/run-learner-step.js'
import { safeTerminal } from '../util/safe-text.js'

export const SOLVE_HELP = `Usage: nslab solve [NAME] [--all]

Runs the reference solution of the task you are on: the lab's own commands for
it (its steps and its solution), on the lab host, then checks the task. A task
done this way counts as "solved with help".

  NAME                      the lab (default: the only one up)
  --all                     every task not yet done, in order
${COMMON_OPTIONS_HELP}
Exit: 0 when the tasks it solved pass, 1 when one does not.
`

export const SOLVE_OPTIONS = { all: { type: 'boolean' } } as const

/** Lines of a command's output shown while solving. */
const OUTPUT_LINES = 15

export async function solveCommand(argv: string[], ctx: LearnerContext = {}): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab solve', usage: 'nslab solve [--all] -- NAME', options: SOLVE_OPTIONS })
  if (v.values.help) {
    process.stdout.write(SOLVE_HELP)
    return 0
  }
  if (v.positionals.length > 1) throw new UsageError('nslab solve', `takes one lab name, not ${v.positionals.length}`)
  let s = resolveSession(v.positionals[0] ?? ctx.session)
  const sandbox = attachSession(s)
  const lab = await sessionLab(s)
  const color = colorEnabled(process.stdout)
  const c = createColors(color)
  const width = Math.min(process.stdout.columns ?? 80, 100)
  const tasks = labTasks(lab)
  const total = tasks.tasks.length
  const todo = tasks.tasks.filter((t) => !s.passed.includes(t.index))
  const w = learnerWords(lab.lang)
  if (todo.length === 0) {
    process.stdout.write(`${w.nothingToSolve(total)}\n`)
    return 0
  }
  // Steps' output and the lab's text: controls as escapes (safeTerminal), our colors kept.
  const out = (lines: string[]) => process.stdout.write(safeTerminal(lines.join('\n') + '\n'))
  for (const task of v.values.all ? todo : todo.slice(0, 1)) {
    out([c.yellow(w.solving(w.task(task.index + 1, total, task.title)))])
    for (const i of task.blocks) {
      const b = lab.blocks[i]
      if (b?.kind !== 'script' || b.role === 'setup') continue
      out(commandLines(b, c))
      const r = await runLearnerStep(sandbox, b)
      const lines = plainText(r.exec.output).replace(/\s+$/, '').split('\n').filter((l) => l !== '')
      const shown = lines.slice(-OUTPUT_LINES)
      if (lines.length > shown.length) out([c.dim(`      ${w.linesBefore(lines.length - shown.length)}`)])
      if (shown.length) out(shown.map((l) => c.dim(`      ${l}`)))
      if (!r.ok) {
        out([`${c.red('✗')} ${w.ownCommandFailed(r.message ?? '')}`, c.dim(`  ${w.unexpectedState}`)])
        return 1
      }
    }
    const verdict = await judgeTask(lab, task, sandbox)
    if (!verdict.ok) {
      out(['', ...formatFailure(lab, task, total, verdict, c, { hint: false }), c.dim(`  ${w.solutionRanYetFails}`)])
      return 1
    }
    s = latchTask(s, task.index, true)
    await writeProgress(s, sandbox)
    out(formatPass(task, total, verdict, c, true, w))
  }
  out(['', ...(await nextText(s, lab, tasks, { color, width }, c))])
  return allPassed(s, tasks) || !v.values.all ? 0 : 1
}
