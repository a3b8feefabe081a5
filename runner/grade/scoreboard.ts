import { createColors, type Colors } from '../util/colors.js'
import { formatDuration } from '../util/format-duration.js'
import type { Grade, GradeStatus } from './grade.js'
import type { Exercise } from '../lab/lab-exercises.js'
import { oneLine } from '../util/plain-text.js'
import { safeLine, safeText } from '../util/safe-text.js'

export interface ScoreboardOptions {
  color: boolean
  /** Terminal width; reasons are cut to fit (default 100). */
  width?: number
}

const MARK: Record<GradeStatus, string> = { pass: '✓', partial: '◐', fail: '✗', error: '!' }

/** One line as a submission finishes: `✓ alice  4/4  3.1 s`. */
export function progressLine(g: Grade, opts: ScoreboardOptions): string {
  const c = createColors(opts.color)
  const name = safeLine(g.name)
  const reason = g.status === 'pass' || !g.reason ? '' : `  ${c.dim(cut(why(g.reason), (opts.width ?? 100) - name.length - 24))}`
  return `  ${paint(c, g.status, MARK[g.status])} ${name}  ${score(g)}  ${c.dim(formatDuration(g.durationMs))}${reason}`
}

/**
 * The class at a glance: a row per learner (points per exercise, total,
 * percent, and the first thing that went wrong), then the totals.
 */
export function scoreboard(grades: Grade[], exercises: Exercise[], opts: ScoreboardOptions): string {
  const c = createColors(opts.color)
  const width = opts.width ?? 100
  const nameW = Math.max(7, ...grades.map((g) => [...safeLine(g.name)].length))
  const exW = exercises.map((e) => Math.max([...safeLine(e.id)].length, `${e.max}/${e.max}`.length))
  const header = [pad('learner', nameW), ...exercises.map((e, i) => pad(safeLine(e.id), exW[i]!)), pad('total', 7), pad('%', 4), 'why not full marks']
  const lines = [c.bold(header.join('  '))]
  for (const g of grades) {
    const cells = exercises.map((e, i) => {
      const x = g.exercises.find((y) => y.id === e.id)
      const text = x ? `${x.points}/${x.max}` : '—'
      return paint(c, x ? (x.status === 'not-run' ? 'fail' : x.status) : 'error', pad(text, exW[i]!))
    })
    const fixed = nameW + exW.reduce((n, w) => n + w + 2, 0) + 7 + 2 + 4 + 2 + 2
    const reason = g.status === 'pass' ? '' : c.dim(cut(why(g.reason ?? ''), Math.max(20, width - fixed)))
    lines.push([pad(safeLine(g.name), nameW), ...cells, paint(c, g.status, pad(score(g), 7)), pad(percent(g), 4), reason].join('  ').trimEnd())
  }
  const counts = { pass: 0, partial: 0, fail: 0, error: 0 }
  for (const g of grades) counts[g.status]++
  const graded = grades.filter((g) => g.status !== 'error')
  const mean = graded.length ? graded.reduce((n, g) => n + (g.max ? g.points / g.max : 0), 0) / graded.length : 0
  const parts = [
    counts.pass && c.green(`${counts.pass} full marks`),
    counts.partial && c.yellow(`${counts.partial} partly right`),
    counts.fail && c.red(`${counts.fail} no points`),
    counts.error && c.red(`${counts.error} not graded`),
  ].filter(Boolean)
  lines.push('', `${grades.length} submission${grades.length === 1 ? '' : 's'}: ${parts.join(', ')}${graded.length ? `; mean ${Math.round(mean * 100)}%` : ''}`)
  return lines.join('\n') + '\n'
}

/** A reason on one line, its controls shown (names in it come from learners). */
function why(reason: string): string {
  return oneLine(safeText(reason))
}

function score(g: Grade): string {
  return `${g.points}/${g.max}`
}

function percent(g: Grade): string {
  return g.max ? `${Math.round((g.points / g.max) * 100)}` : '—'
}

function paint(c: Colors, status: GradeStatus | 'not-run', text: string): string {
  return status === 'pass' ? c.green(text) : status === 'partial' ? c.yellow(text) : c.red(text)
}

function pad(s: string, w: number): string {
  const n = [...s].length
  return n >= w ? s : s + ' '.repeat(w - n)
}

function cut(s: string, max: number): string {
  const chars = [...s]
  return chars.length > max ? `${chars.slice(0, Math.max(1, max - 1)).join('')}…` : s
}
