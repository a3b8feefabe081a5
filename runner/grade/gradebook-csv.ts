import type { Grade } from './grade.js'
import type { Exercise } from '../lab/lab-exercises.js'
import { oneLine } from '../util/plain-text.js'
import { safeLine, safeText } from '../util/safe-text.js'

/**
 * The gradebook as CSV (RFC 4180, UTF-8, CRLF line ends, as spreadsheets
 * expect): a row per learner with the points of each exercise, the total,
 * the maximum, the percentage, the status and the first thing that went wrong.
 * A cell that a spreadsheet would take for a formula (=, +, -, @ first) gets
 * a leading apostrophe, and controls and bidi formatting show as escapes
 * (\x1b, \u202e): names and reasons come from learners.
 */
export function gradebookCsv(grades: Grade[], exercises: Exercise[]): string {
  const header = ['learner', ...exercises.map((e) => `${e.id} (of ${e.max})`), 'points', 'max', 'percent', 'status', 'reason', 'submission']
  const rows = grades.map((g) => [
    g.name,
    ...exercises.map((e) => {
      const x = g.exercises.find((y) => y.id === e.id)
      return x ? String(x.points) : ''
    }),
    String(g.points),
    String(g.max),
    g.max ? String(Math.round((g.points / g.max) * 1000) / 10) : '',
    g.status,
    g.status === 'pass' ? '' : oneLine(safeText(g.reason ?? '')),
    g.path,
  ])
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
}

function cell(value: string): string {
  let v = safeLine(value)
  // Numbers we wrote ourselves stay numbers; anything else that starts like a formula is defused.
  if (/^[=+\-@\t\r]/.test(v) && !/^-?\d+(\.\d+)?$/.test(v)) v = `'${v}`
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}
