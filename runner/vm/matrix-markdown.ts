import { buildMatrix, type Matrix } from './matrix-table.js'
import { cellKey, iptablesV, parseCellLabel } from './cell-label.js'
import { formatDuration } from '../util/format-duration.js'
import { plainText } from '../util/plain-text.js'
import type { JsonLab, JsonReport } from '../report/json-reporter.js'
import type { LabResult } from '../run/run-event.js'

export interface MatrixMarkdownOptions {
  /** The page's heading (default "The kernel matrix"). */
  title?: string
  /** Paragraphs after the tables of labs and cells, as given: what the reports do not know (the machine, its load). */
  notes?: string[]
}

/** A report and the name it was read under (its file), for the table of runs. */
export interface NamedReport {
  name: string
  report: JsonReport
}

/**
 * The matrix of JSON reports (nslab run --kernel … --json, one or many) as a
 * Markdown page, for a repository's docs: a row per lab, a column per cell
 * (pass, FAIL or error with a numbered reason below, "not run" where no
 * report has the pair; a pair in several reports shows its last run, and
 * the failures before it: a re-run after a fix), what each cell's guest said it ran (`uname -r`,
 * `iptables -V`), the time its labs took, the runs the page was made of
 * with their wall time, and the command that runs the same matrix again.
 * Everything comes from the reports, so the page can be made again from them.
 */
export function matrixMarkdown(reports: NamedReport[], opts: MatrixMarkdownOptions = {}): string {
  const labs: JsonLab[] = reports.flatMap((r) => r.report.labs)
  // The matrix is built as the terminal's is (same columns, the worse of a pair run twice).
  const m = buildMatrix(labs.map(asResult))
  const out: string[] = [`# ${opts.title ?? 'The kernel matrix'}`, '']
  const starts = reports.map((r) => Date.parse(r.report.startedAt)).filter(Number.isFinite)
  const versions = [...new Set(reports.map((r) => r.report.nslabVersion))]
  // A pair run again (a later report: a re-run after a fix) counts as its last run; earlier failures stay listed.
  const last = (file: string, key: string) => runsOf(labs, file, key).at(-1)
  const passed = m.columns.filter((c) => m.labs.every((file) => (last(file, c.key)?.status ?? 'pass') === 'pass')).length
  out.push(
    `${m.labs.length} ${plural(m.labs.length, 'lab')} × ${m.columns.length} ${plural(m.columns.length, 'cell')}` +
      (starts.length ? `, run ${day(Math.min(...starts))}` : '') +
      ` with nslab ${versions.join(', ')}: ` +
      `${passed} of ${m.columns.length} ${plural(m.columns.length, 'cell')} passed every lab.`,
    '',
  )

  // The grid. Labs in alphabetical order: a page that is made again should not reorder its rows.
  const rows = [...m.labs].sort()
  const reasons: string[] = []
  out.push(`| lab | ${m.columns.map((c, i) => `[${i + 1}] ${cellText(c.cell.spec)} ${c.cell.backend}`).join(' | ')} |`)
  out.push(`| --- | ${m.columns.map(() => ':---:').join(' | ')} |`)
  for (const file of rows) {
    const cells = m.columns.map((col, i) => {
      const runs = runsOf(labs, file, col.key)
      if (runs.length === 0) return 'not run'
      const marks = runs.map((lab, k) => {
        if (lab.status === 'pass') return 'pass'
        const again = k < runs.length - 1 ? ' (an earlier run)' : ''
        reasons.push(`${reasons.length + 1}. \`${file}\` in [${i + 1}]${again}: ${cellText(whyNot(lab))}`)
        return `**${lab.status === 'fail' ? 'FAIL' : 'error'}** (${reasons.length})`
      })
      // The last run first, then what came before it.
      const before = [...new Set(marks.slice(0, -1).filter((x) => x !== 'pass'))]
      return before.length ? `${marks.at(-1)}, after ${before.join(', ')}` : marks.at(-1)!
    })
    out.push(`| ${cellText(file)} | ${cells.join(' | ')} |`)
  }
  out.push('')
  if (reasons.length) out.push('Why:', '', ...reasons, '')
  if (rows.some((file) => m.columns.some((col) => !last(file, col.key)))) {
    out.push('"not run": no report given has this lab in this cell.', '')
  }

  // What each column ran on, as its guest said, and the time its labs took (the VM's boot not included).
  out.push('| cell | kernel | `uname -r` | `iptables -V` | labs passed | time in labs |', '| --- | --- | --- | --- | ---: | ---: |')
  m.columns.forEach((col, i) => {
    // Each lab's last run: the time one pass over the labs takes in this cell.
    const mine = rows.flatMap((file) => last(file, col.key) ?? [])
    const ok = rows.filter((file) => last(file, col.key)?.status === 'pass').length
    const ran = rows.filter((file) => last(file, col.key)).length
    const ms = mine.reduce((t, l) => t + l.durationMs, 0)
    out.push(
      `| [${i + 1}] | ${cellText(col.cell.spec)} iptables-${col.cell.backend} | ${col.cell.release ? `\`${col.cell.release}\`` : 'did not boot'} | ` +
        `${iptablesV(col.cell) ?? '—'} | ${ok}/${ran} | ${formatDuration(ms)} |`,
    )
  })
  out.push('')

  // What the reports do not know, after what they say.
  for (const note of opts.notes ?? []) out.push(note.trim(), '')

  // The runs themselves (a run is one nslab command: a VM per cell, its boot included).
  if (reports.length) {
    out.push('The runs this page was made from:', '', '| report | started (UTC) | cells | labs | wall time |', '| --- | --- | --- | ---: | ---: |')
    for (const r of reports) {
      const cols = columnsOf(m, r.report.labs)
      out.push(
        `| ${cellText(r.name)} | ${time(Date.parse(r.report.startedAt))} | ${cols.length ? cols.map((i) => `[${i + 1}]`).join(' ') : '—'} | ` +
          `${r.report.labs.length} | ${formatDuration(r.report.durationMs)}${r.report.complete ? '' : ' (cut short)'} |`,
      )
    }
    out.push('')
  }

  out.push('To run the same matrix (docs/kernels.md):', '', `    ${reproduce(m, rows)}`, '')
  return out.join('\n')
}

/** The command line that runs these labs in these cells in one go. */
function reproduce(m: Matrix, files: string[]): string {
  const specs = [...new Set(m.columns.map((c) => c.cell.spec))]
  const backends = [...new Set(m.columns.map((c) => c.cell.backend))]
  return ['nslab run', ...files, ...specs.map((s) => `--kernel ${s}`), ...backends.map((b) => `--iptables ${b}`)].join(' ')
}

/** Why a lab did not pass, in a line: its error, or its first failed block (and check). */
export function whyNot(lab: JsonLab): string {
  if (lab.status === 'error') return firstLine(lab.error ?? 'an error (no message)')
  const block = lab.blocks.find((b) => b.status === 'fail')
  if (!block) return 'failed (no failed block recorded)'
  const check = block.checks.find((c) => !c.ok)
  if (check) return `line ${check.line}: \`${check.source}\`: ${firstLine(check.sentence)}`
  const what = block.exec?.timedOut ? 'timed out' : block.message ?? 'failed'
  return `line ${block.line} (${block.label}): ${firstLine(what)}`
}

/** Every run of a lab in a column, in the order of the reports. */
function runsOf(labs: JsonLab[], file: string, key: string): JsonLab[] {
  return labs.filter((l) => l.file === file && l.cell !== null && columnKey(l.cell) === key)
}

function columnsOf(m: Matrix, labs: JsonLab[]): number[] {
  const keys = new Set(labs.flatMap((l) => (l.cell === null ? [] : [columnKey(l.cell)])))
  return m.columns.flatMap((c, i) => (keys.has(c.key) ? [i] : []))
}

/** As buildMatrix names a column. */
function columnKey(label: string): string {
  const cell = parseCellLabel(label)
  return cell ? cellKey(cell) : label
}

function asResult(l: JsonLab): LabResult {
  const r: LabResult = { file: l.file, title: l.title, status: l.status, durationMs: l.durationMs, blocks: [] }
  if (l.cell !== null) r.cell = l.cell
  return r
}

function firstLine(text: string): string {
  const line = plainText(text).split('\n').find((l) => l.trim() !== '') ?? ''
  return line.length > 300 ? `${line.slice(0, 299)}…` : line.trim()
}

/** Text safe in a table cell or a list item: one line, no column breaks. */
function cellText(text: string): string {
  return plainText(text).replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|')
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

function time(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '—'
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`
}
