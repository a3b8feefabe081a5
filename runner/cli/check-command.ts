// nslab check: the learner's progress. Tasks are judged in order from the
// first one not yet passed; a passed task stays passed. It is fast on
// purpose: no sandbox is built, the lab comes from the session's cache, and
// only the checks of the current task run.
import { colorEnabled, createColors, type Colors } from '../util/colors.js'
import { formatFailure, formatPass } from '../learn/format-verdict.js'
import { judgeTask, type TaskVerdict } from '../learn/judge-task.js'
import type { Lab } from '../lab/lab.js'
import { labProse, type LabProse } from '../learn/lab-prose.js'
import { labTasks, type LabTasks, type Task } from '../lab/lab-tasks.js'
import { attachSession, commandFor, latchTask, progressText, resolveSession, sessionLab, writeProgress, type LearnerContext } from '../learn/learner-session.js'
import { NslabError } from '../util/nslab-error.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import type { Sandbox } from '../host/sandbox.js'
import { warmForker } from '../host/exec.js'
import { safeTerminal } from '../util/safe-text.js'
import { learnerWords } from '../learn/learner-words.js'
import type { Session } from '../learn/session-store.js'

export const CHECK_HELP = `Usage: nslab check [NAME] [--watch] [--verbose]
       nslab check LAB --target ssh://USER@HOST[:PORT] [options]

Checks your progress in a lab that is up: the current task's checks run on the
lab host as it is now. A task that passes stays passed, and the next task is
shown; one that does not shows what was seen, and its hint.

  NAME                      the lab (default: the only one up)
  -w, --watch               check every second and keep a live task list on the screen
  -v, --verbose             show every command the checks ran, not only the first

With --target, it checks a machine of your own instead, where you typed the
lab's steps by hand: the checks' commands run there over SSH (key login, no
password prompt), their outputs are judged here. On the target, \`host\` is the
machine itself and a container NAME is its network namespace NAME (ip netns
exec NAME) or its running Docker container NAME. Which checks: those of the
lab's exercises (a lab without exercises: its last check block).

  --target ssh://USER@HOST[:PORT]  the machine to check
  -i, --identity FILE       the private key to log in with
  --sudo                    run the commands with sudo -n (a user that is not root)
  --exercise ID             only this exercise's checks (repeatable)
  --address NAME=IP         what a machine name stands for (default: the lab's addresses)
  --connect-timeout DURATION  how long to wait for the connection (default 5s)
  --known-hosts FILE        where the target's host key is remembered (default: nowhere)
  --reporter terminal|tap   what goes to stdout (default: terminal)
  --junit FILE, --json FILE also write these reports (- : to stdout)
${COMMON_OPTIONS_HELP}
Exit: 0 when every task of the lab has passed (--target: every check), 1 while
some have not (or the target could not be reached), 2 usage; --watch stopped
by Ctrl-C: 130.
`

export const CHECK_OPTIONS = { watch: { type: 'boolean', short: 'w' }, verbose: { type: 'boolean', short: 'v' } } as const

/**
 * Where a check's verdict goes, and what it knows of it: this process's stdout,
 * or the stdout of a client of the session agent (session-agent.ts), with its
 * own terminal, width and colour settings.
 */
export interface CheckOutput {
  write(text: string): void
  isTTY: boolean
  columns: number | undefined
  env: NodeJS.ProcessEnv
  /** The client went away: the checks stop. */
  signal?: AbortSignal
}

const processOutput = (): CheckOutput => ({
  write: (text) => process.stdout.write(text),
  isTTY: process.stdout.isTTY === true,
  columns: process.stdout.columns,
  env: process.env,
})

export async function checkCommand(argv: string[], ctx: LearnerContext = {}, out: CheckOutput = processOutput()): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab check', usage: 'nslab check [options] -- NAME', options: CHECK_OPTIONS })
  if (v.values.help) {
    process.stdout.write(CHECK_HELP)
    return 0
  }
  if (v.positionals.length > 1) throw new UsageError('nslab check', `takes one lab name, not ${v.positionals.length}`)
  if (v.values.watch && ctx.inside) {
    throw new NslabError({ code: 'USAGE', message: 'nslab check --watch needs a terminal of its own: run it outside the lab shell, next to it' })
  }
  const s = resolveSession(v.positionals[0] ?? ctx.session)
  // The checks' processes start through the forker: its own start (perl's) goes on while the lab is read.
  warmForker()
  const sandbox = attachSession(s)
  const lab = await sessionLab(s)
  const verbose = v.values.verbose === true
  return v.values.watch ? await watch(s, lab, sandbox, verbose) : await checkOnce(s, lab, sandbox, ctx, verbose, out)
}

function outputOptions(out: CheckOutput = processOutput()) {
  const color = colorEnabled(out, out.env)
  return { color, c: createColors(color), width: Math.min(out.columns ?? 80, 100) }
}

async function checkOnce(session: Session, lab: Lab, sandbox: Sandbox, ctx: LearnerContext, verbose: boolean, out: CheckOutput): Promise<number> {
  const { color, c, width } = outputOptions(out)
  const tasks = labTasks(lab)
  const total = tasks.tasks.length
  const current = tasks.tasks.find((t) => !session.passed.includes(t.index))
  const w = learnerWords(lab.lang)
  if (!current) {
    out.write(safeTerminal(`${c.green('✓')} ${w.allTasksDoneOf(total, c.bold(session.name))}${solvedNote(session, c, lab)}\n`))
    return 0
  }
  const v = await judgeTask(lab, current, sandbox, out.signal)
  if (!v.ok) {
    const lines = formatFailure(lab, current, total, v, c, { verbose, width })
    lines.push('', c.dim(`${w.progress(session.passed.length, total)}   ${commandFor('hint', session, ctx)} · ${commandFor('solve', session, ctx)}`))
    out.write(safeTerminal(lines.join('\n') + '\n'))
    return 1
  }
  const s = latchTask(session, current.index, false)
  await writeProgress(s, sandbox)
  // The verdict first; the next task's text needs the Markdown renderer, loaded only now.
  out.write(formatPass(current, total, v, c, false, w).join('\n') + '\n')
  out.write(safeTerminal(['', ...(await nextText(s, lab, tasks, { color, width }, c))].join('\n') + '\n'))
  return allPassed(s, tasks) ? 0 : 1
}

export function allPassed(s: Session, tasks: LabTasks): boolean {
  return tasks.tasks.every((t) => s.passed.includes(t.index))
}

/** After a task passed: the next task to do, or the end of the lab. */
export async function nextText(s: Session, lab: Lab, tasks: LabTasks, opts: { color: boolean; width: number }, c: Colors): Promise<string[]> {
  const { renderEnding, renderTask } = await import('../learn/render-task.js')
  const prose = await labProse(lab, s)
  const next = tasks.tasks.find((t) => !s.passed.includes(t.index))
  if (next) return renderTask(lab, tasks, next, { ...opts, prose }).split('\n')
  const ending = renderEnding(lab, tasks, { ...opts, prose })
  const w = learnerWords(lab.lang)
  return [
    `${c.green('★')} ${c.bold(w.allTasksDone(tasks.tasks.length, lab.title))}${solvedNote(s, c, lab)}`,
    ...(ending ? ['', ending] : []),
    '',
    c.dim(w.whenFinished(commandFor('down', s))),
  ]
}

function solvedNote(s: Session, c: Colors, lab: Lab): string {
  return s.solved.length ? c.dim(learnerWords(lab.lang).solvedWithHelpCount(s.solved.length)) : ''
}

// ── --watch ─────────────────────────────────────────────────────────────────

async function watch(session: Session, lab: Lab, sandbox: Sandbox, verbose: boolean): Promise<number> {
  const { color, c, width } = outputOptions()
  const live = process.stdout.isTTY === true
  const tasks = labTasks(lab)
  const render = await import('../learn/render-task.js')
  const prose = await labProse(lab, session)
  const ending = await nextText({ ...session, passed: tasks.tasks.map((t) => t.index) }, lab, tasks, { color, width }, c)
  const ac = new AbortController()
  // Ctrl-C is how watching ends; the exit status says so, as for any command a signal stops.
  let stoppedBy: NodeJS.Signals | undefined
  const stop = (sig: NodeJS.Signals) => {
    stoppedBy ??= sig
    ac.abort()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  let s = session
  let last: { task?: Task; verdict?: TaskVerdict } = {}
  let printed = ''
  try {
    for (;;) {
      const t0 = Date.now()
      if (!sandbox.alive()) throw new NslabError({ code: 'SANDBOX', message: `the lab host of ${s.name} is gone`, fix: `nslab reset ${s.name}` })
      const current = tasks.tasks.find((t) => !s.passed.includes(t.index))
      if (current) {
        const v = await judgeTask(lab, current, sandbox, ac.signal)
        if (ac.signal.aborted) break
        if (v.ok) {
          s = latchTask(s, current.index, false)
          await writeProgress(s, sandbox)
        }
        last = { task: current, verdict: v }
      }
      const done = allPassed(s, tasks)
      const screen = watchScreen(s, lab, tasks, last, { color, width, verbose, prose }, c, live, render.renderTask, ending)
      // The lab's title and tasks' titles are in it: its controls as escapes, but the screen's own clear.
      if (live) process.stdout.write(`\x1b[H\x1b[2J${safeTerminal(screen)}\n`)
      else if (screen !== printed) process.stdout.write(`${safeTerminal(screen)}\n\n`)
      printed = screen
      if (done) return 0
      if (last.verdict?.ok) continue
      await sleep(Math.max(0, 1000 - (Date.now() - t0)), ac.signal)
      if (ac.signal.aborted) break
      // Another nslab check (the lab shell's) may have latched tasks meanwhile.
      s = { ...s, passed: reloadPassed(s) }
    }
    return stoppedBy === 'SIGINT' ? 130 : stoppedBy === 'SIGTERM' ? 143 : 1
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

function reloadPassed(s: Session): number[] {
  try {
    const fresh = resolveSession(s.name)
    return fresh.createdAt === s.createdAt ? [...new Set([...s.passed, ...fresh.passed])] : s.passed
  } catch {
    return s.passed
  }
}

function watchScreen(
  s: Session,
  lab: Lab,
  tasks: LabTasks,
  last: { task?: Task; verdict?: TaskVerdict },
  opts: { color: boolean; width: number; verbose: boolean; prose: LabProse },
  c: Colors,
  live: boolean,
  renderTask: (typeof import('../learn/render-task.js'))['renderTask'],
  ending: string[],
): string {
  const total = tasks.tasks.length
  const current = tasks.tasks.find((t) => !s.passed.includes(t.index))
  const w = learnerWords(lab.lang)
  const head = [`${c.bold(lab.title)}  ${c.dim(`· ${s.name} · ${progressText(s)}${live ? ` · ${w.checkedAt(new Date().toLocaleTimeString('en-GB'))}` : ''}`)}`, '']
  const line = (t: Task) => {
    const n = String(t.index + 1).padStart(String(total).length)
    if (s.passed.includes(t.index)) return `  ${c.green('✓')} ${n}  ${t.title}${s.solved.includes(t.index) ? c.dim(` ${w.solvedWithHelp}`) : ''}`
    if (t === current) return `  ${c.yellow('▸')} ${n}  ${c.bold(t.title)}`
    return c.dim(`  · ${n}  ${t.title}`)
  }
  const list = tasks.tasks.map(line)
  if (!current) return [...head, ...list, '', ...ending].join('\n')
  const text = renderTask(lab, tasks, current, opts).split('\n')
  const failure = last.task === current && last.verdict && !last.verdict.ok ? ['', ...formatFailure(lab, current, total, last.verdict, c, { verbose: opts.verbose, width: opts.width })] : []
  const foot = live ? ['', c.dim(w.watching)] : []
  let screen = [...head, ...list, '', ...text, ...failure, ...foot]
  // A redrawn screen must fit the terminal, or its top scrolls away: the task's
  // text goes first (the learner has it from nslab check), then tasks far from the current one.
  const rows = live ? Math.max((process.stdout.rows ?? 24) - 1, 10) : Infinity
  if (screen.length > rows) screen = [...head, ...list, '', text[0] ?? '', c.dim(`    ${w.doesNotFit}`), ...failure, ...foot]
  if (screen.length > rows) {
    const at = current.index
    const near = tasks.tasks.filter((t) => Math.abs(t.index - at) <= 2)
    const before = near[0]?.index ?? 0
    const after = total - 1 - (near[near.length - 1]?.index ?? total - 1)
    const compact = [...(before ? [c.dim(`  ✓ ${w.tasksBefore(before)}`)] : []), ...near.map(line), ...(after ? [c.dim(`  · ${w.more(after)}`)] : [])]
    screen = [...head, ...compact, '', text[0] ?? '', ...failure, ...foot]
  }
  return screen.slice(0, rows).join('\n')
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
