import type { Colors } from '../util/colors.js'
import type { TaskVerdict } from './judge-task.js'
import type { Lab } from '../lab/lab.js'
import type { Task } from '../lab/lab-tasks.js'
import { learnerWords, type LearnerWords } from './learner-words.js'
import { breakUnits, columns } from '../util/text-columns.js'
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
  const w = learnerWords(lab.lang)
  const out = [`${c.red('✗')} ${c.bold(w.task(task.index + 1, total, task.title))} ${c.dim(w.notDoneYet)}`]
  for (const r of v.results) {
    if (r.ok) continue
    out.push(...wrapText(oneLine(r.sentence), width, `    ${c.red('✗')} `, '      '))
    if (r.expected !== undefined && r.got !== undefined && r.expected !== r.got) {
      out.push(c.dim(`        ${w.expected}${oneLine(r.expected)}`), c.dim(`        ${w.got}${oneLine(r.got)}`))
    }
    // The first command is what was looked at; the rest (how a rule is normalized, …) on request.
    const evidence = opts.verbose ? r.evidence : r.evidence.slice(0, 1)
    for (const e of evidence) {
      const status = e.exitCode === null ? 'killed' : `exit ${e.exitCode}`
      out.push(c.dim(`        ${e.machine === 'host' ? '' : `(on ${safeLine(e.machine)}) `}$ ${oneLine(e.command)}   → ${status}`))
      const lines = plainText(e.output).replace(/\s+$/, '').split('\n').filter((l) => l.trim() !== '')
      const shown = lines.slice(-EVIDENCE_LINES)
      if (lines.length > shown.length) out.push(c.dim(`          ${w.linesBefore(lines.length - shown.length)}`))
      for (const l of shown) out.push(c.dim(`          ${l}`))
    }
    const more = r.evidence.length - evidence.length
    if (more > 0) out.push(c.dim(`        ${w.moreCommands(more)}`))
  }
  const passedToo = v.results.filter((r) => r.ok)
  for (const r of passedToo) out.push(`    ${c.green('✓')} ${oneLine(r.sentence)}`)
  const block = lab.blocks[task.checkBlock]
  const hint = block?.kind === 'check' ? block.hint : undefined
  if (hint && opts.hint !== false) out.push(...wrapText(oneLine(hint), width, `    ${c.yellow(w.hintLabel)} `, '          '))
  out.push(...skippedNote(v, c, w))
  return out.map(safeTerminal)
}

/** A task done: one line, and what was seen, briefly. */
export function formatPass(task: Task, total: number, v: TaskVerdict, c: Colors, solved: boolean, w: LearnerWords = learnerWords('en')): string[] {
  const out = [`${c.green('✓')} ${c.bold(w.task(task.index + 1, total, task.title))} ${c.dim(solved ? w.doneWithHelp : w.done)}`]
  for (const r of v.results) out.push(c.dim(`    ✓ ${oneLine(r.sentence)}`))
  out.push(...skippedNote(v, c, w))
  return out.map(safeTerminal)
}

function skippedNote(v: TaskVerdict, c: Colors, w: LearnerWords): string[] {
  if (v.skipped.length === 0) return []
  const what = v.skipped.map((k) => k.source).join('; ')
  return [c.dim(`    ${w.notJudgedHere(what)}`)]
}

/**
 * Plain text wrapped to width, after a first prefix (which may hold colors) and
 * a hanging indent: at spaces, and between Chinese characters (breakUnits).
 */
export function wrapText(text: string, width: number, first: string, rest: string): string[] {
  const firstWidth = columns(plainText(first))
  const lines: string[] = []
  let line = ''
  let room = width - firstWidth
  for (const word of text.split(' ')) {
    breakUnits(word).forEach((unit, i) => {
      const gap = line && i === 0 ? ' ' : ''
      if (line && columns(line) + gap.length + columns(unit) > room) {
        lines.push(line)
        line = unit
        room = width - columns(rest)
      } else line = `${line}${gap}${unit}`
    })
  }
  lines.push(line)
  return lines.map((l, i) => (i === 0 ? first : rest) + l)
}
