import type { Colors } from '../util/colors.js'
import type { TaskVerdict } from './judge-task.js'
import type { Lab } from '../lab/lab.js'
import { taskHeader, type Task } from '../lab/lab-tasks.js'
import { oneLine, plainText } from '../util/plain-text.js'
import { safeLine, safeTerminal } from '../util/safe-text.js'

/** Lines of a command's output shown as evidence: its end, where the answer is. */
const EVIDENCE_LINES = 6

/**
 * A task that is not done yet, in plain words: what each failing check saw,
 * the commands nslab ran to see it and what they printed, and the hint.
 * Lines for a terminal: controls in them show as escapes (safeTerminal).
 */
export function formatFailure(
  lab: Lab,
  task: Task,
  total: number,
  v: TaskVerdict,
  c: Colors,
  opts: { hint?: boolean; verbose?: boolean; width?: number } = {},
): string[] {
  const width = opts.width ?? 80
  const out = [`${c.red('✗')} ${c.bold(taskHeader(task, total))} ${c.dim('— not done yet')}`]
  for (const r of v.results) {
    if (r.ok) continue
    out.push(...wrapText(oneLine(r.sentence), width, `    ${c.red('✗')} `, '      '))
    if (r.expected !== undefined && r.got !== undefined && r.expected !== r.got) {
      out.push(c.dim(`        expected: ${oneLine(r.expected)}`), c.dim(`        got:      ${oneLine(r.got)}`))
    }
    // The first command is what was looked at; the rest (how a rule is normalized, …) on request.
    const evidence = opts.verbose ? r.evidence : r.evidence.slice(0, 1)
    for (const e of evidence) {
      const status = e.exitCode === null ? 'killed' : `exit ${e.exitCode}`
      out.push(c.dim(`        ${e.machine === 'host' ? '' : `(on ${safeLine(e.machine)}) `}$ ${oneLine(e.command)}   → ${status}`))
      const lines = plainText(e.output).replace(/\s+$/, '').split('\n').filter((l) => l.trim() !== '')
      const shown = lines.slice(-EVIDENCE_LINES)
      if (lines.length > shown.length) out.push(c.dim(`          … ${lines.length - shown.length} lines before`))
      for (const l of shown) out.push(c.dim(`          ${l}`))
    }
    const more = r.evidence.length - evidence.length
    if (more > 0) out.push(c.dim(`        (+${more} more command${more > 1 ? 's' : ''}: nslab check --verbose)`))
  }
  const passedToo = v.results.filter((r) => r.ok)
  for (const r of passedToo) out.push(`    ${c.green('✓')} ${oneLine(r.sentence)}`)
  const block = lab.blocks[task.checkBlock]
  const hint = block?.kind === 'check' ? block.hint : undefined
  if (hint && opts.hint !== false) out.push(...wrapText(oneLine(hint), width, `    ${c.yellow('Hint:')} `, '          '))
  out.push(...skippedNote(v, c))
  return out.map(safeTerminal)
}

/** A task done: one line, and what was seen, briefly. */
export function formatPass(task: Task, total: number, v: TaskVerdict, c: Colors, solved: boolean): string[] {
  const out = [`${c.green('✓')} ${c.bold(taskHeader(task, total))} ${c.dim(solved ? '— done (solved with help)' : '— done')}`]
  for (const r of v.results) out.push(c.dim(`    ✓ ${oneLine(r.sentence)}`))
  out.push(...skippedNote(v, c))
  return out.map(safeTerminal)
}

function skippedNote(v: TaskVerdict, c: Colors): string[] {
  if (v.skipped.length === 0) return []
  const what = v.skipped.map((k) => k.source).join('; ')
  return [c.dim(`    · not judged here (about nslab run's own run of the step): ${what}`)]
}

/** Plain text wrapped at spaces to width, after a first prefix (which may hold colors) and a hanging indent. */
export function wrapText(text: string, width: number, first: string, rest: string): string[] {
  const firstWidth = plainText(first).length
  const lines: string[] = []
  let line = ''
  let room = width - firstWidth
  for (const word of text.split(' ')) {
    if (line && [...line].length + 1 + [...word].length > room) {
      lines.push(line)
      line = word
      room = width - rest.length
    } else line = line ? `${line} ${word}` : word
  }
  lines.push(line)
  return lines.map((l, i) => (i === 0 ? first : rest) + l)
}
