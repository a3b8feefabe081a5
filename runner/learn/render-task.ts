// A task as the learner reads it in a terminal: its prose rendered, its
// steps as commands to type, what they print. Setup blocks ran before the
// learner arrived, so only their prose is shown; solutions are the
// learner's to find, so they are never shown (nslab solve runs them).
// What comes out is for a terminal: controls in a lab's text show as escapes
// (safeTerminal), so a lab cannot move the cursor or reorder a line.
import { createColors } from '../util/colors.js'
import type { Block, Lab, ScriptBlock } from '../lab/lab.js'
import type { LabProse } from './lab-prose.js'
import type { LabTasks, Task } from '../lab/lab-tasks.js'
import { learnerWords, type LearnerWords } from './learner-words.js'
import { renderTokens } from '../report/render-tokens.js'
import { safeLine, safeTerminal } from '../util/safe-text.js'
import { columns } from '../util/text-columns.js'

export interface RenderTaskOptions {
  color: boolean
  /** Columns to wrap prose to. */
  width?: number
  /** The lab's prose, lexed (labProse). */
  prose: LabProse
}

/** A task as the learner reads it in the terminal: prose, commands to type, the way to check. */
export function renderTask(lab: Lab, tasks: LabTasks, task: Task, opts: RenderTaskOptions): string {
  const c = createColors(opts.color)
  const w = learnerWords(lab.lang)
  const header = w.task(task.index + 1, tasks.tasks.length, task.title)
  const out: string[] = [c.bold(c.cyan(`── ${header} `)) + c.dim('─'.repeat(Math.max(4, 60 - columns(header))))]
  out.push(...renderBlocks(lab, task.blocks, opts))
  const hasSolution = task.blocks.some((i) => {
    const b = lab.blocks[i]
    return b?.kind === 'script' && b.role === 'solution'
  })
  out.push('', c.dim(w.whenDone('nslab check', hasSolution ? { hint: 'nslab hint', solve: 'nslab solve' } : undefined)))
  return safeTerminal(out.join('\n'))
}

/** What closes the lab: blocks after the last check block, and the epilogue. */
export function renderEnding(lab: Lab, tasks: LabTasks, opts: RenderTaskOptions): string {
  const lines = renderBlocks(lab, tasks.after, opts)
  if (opts.prose.epilogue.length) lines.push('', ...renderTokens(opts.prose.epilogue, { color: opts.color, width: opts.width ?? 80 }).split('\n'))
  while (lines[0] === '') lines.shift()
  return safeTerminal(lines.join('\n'))
}

function renderBlocks(lab: Lab, indexes: number[], opts: RenderTaskOptions): string[] {
  const c = createColors(opts.color)
  const width = opts.width ?? 80
  const out: string[] = []
  const para = (lines: string[]) => {
    if (lines.length === 0) return
    if (out.length > 0) out.push('')
    out.push(...lines)
  }
  const shownOn = new Set<string>()
  const w = learnerWords(lab.lang)
  for (const i of indexes) {
    const b = lab.blocks[i]
    if (!b) continue
    const prose = opts.prose.blocks[i]
    if (prose) para(renderTokens(prose, { color: opts.color, width }).split('\n'))
    const lines = blockLines(b, c, shownOn, w)
    if (lines.length) para(lines)
  }
  return out
}

type C = ReturnType<typeof createColors>

function blockLines(b: Block, c: C, shownOn: Set<string>, w: LearnerWords): string[] {
  switch (b.kind) {
    case 'script':
      if (b.role === 'setup') return []
      if (b.role === 'solution') return [c.dim(`    ${w.yourTurn}`)]
      return stepLines(b, c, shownOn, w)
    case 'output': {
      const shown = b.lines.map((l) => (l === '...' ? '…' : l.replace(/\{\*\}/g, '…')))
      return [c.dim(`    ${w.printsSomethingLike}`), ...shown.map((l) => c.dim(`      ${l}`.trimEnd()))]
    }
    case 'shown':
      return b.content
        .replace(/\n+$/, '')
        .split('\n')
        .map((l) => `    ${c.cyan(l)}`.trimEnd())
    case 'check':
      return []
  }
}

/** A step as commands to type, each line after a prompt; continuations and heredocs without one. */
function stepLines(b: ScriptBlock, c: C, shownOn: Set<string>, w: LearnerWords): string[] {
  const out: string[] = []
  if (b.on !== 'host') {
    const code = (x: string) => (c.enabled ? c.cyan(x) : `\`${x}\``)
    const on = safeLine(b.on)
    out.push(c.dim(`    ${shownOn.has(b.on) ? w.onMachine(on) : w.onMachineHow(on, code(`on ${on}`), code(`on ${on} COMMAND`))}`))
    shownOn.add(b.on)
  }
  out.push(...commandLines(b, c))
  const notes: string[] = []
  if (b.background) notes.push(w.keepsRunning)
  if (typeof b.exit === 'number' && b.exit !== 0) notes.push(w.failsOnPurpose(b.exit))
  for (const n of notes) out.push(c.dim(`    ${w.aside(n)}`))
  return out
}

/** A script's lines as typed at a prompt: each command after one, continuations and heredocs without. */
export function commandLines(b: ScriptBlock, c: C): string[] {
  const out: string[] = []
  const prompt = b.on === 'host' ? '$ ' : `${safeLine(b.on)}$ `
  let continued = false
  let heredoc: string | undefined
  for (const line of b.content.replace(/\n+$/, '').split('\n')) {
    if (heredoc !== undefined) {
      out.push(`    ${' '.repeat(prompt.length)}${c.cyan(line)}`.trimEnd())
      if (line.replace(/^\t+/, '') === heredoc) heredoc = undefined
      continue
    }
    out.push(`    ${continued || line.trim() === '' ? ' '.repeat(prompt.length) : c.dim(prompt)}${c.bold(c.cyan(line))}`.trimEnd())
    continued = /\\$/.test(line)
    const h = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(line)
    if (h) heredoc = h[2]
  }
  return out.map(safeTerminal)
}
