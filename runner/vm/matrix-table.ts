import { cellKey, iptablesV, parseCellLabel, type Cell } from './cell-label.js'
import { createColors } from '../util/colors.js'
import type { LabResult } from '../run/run-event.js'

export interface MatrixColumn {
  key: string
  /** What the guests of this column said (the first that booted). */
  cell: Cell
  passed: boolean
}

export interface Matrix {
  labs: string[]
  columns: MatrixColumn[]
  /** status of lab × column; absent: not run there. */
  status: Map<string, LabResult['status']>
}

const at = (file: string, key: string) => `${file}\u0000${key}`

/** Results (each with its cell label) as a grid of labs × cells, in order of first appearance. */
export function buildMatrix(results: LabResult[]): Matrix {
  const labs: string[] = []
  const columns: MatrixColumn[] = []
  const status = new Map<string, LabResult['status']>()
  for (const r of results) {
    const cell = parseCellLabel(r.cell ?? '') ?? { spec: r.cell ?? 'local', backend: 'nft' as const }
    const key = r.cell && parseCellLabel(r.cell) ? cellKey(cell) : (r.cell ?? 'local')
    if (!labs.includes(r.file)) labs.push(r.file)
    let col = columns.find((c) => c.key === key)
    if (!col) {
      col = { key, cell, passed: true }
      columns.push(col)
    }
    // A later result of a guest that booted says more than one that did not.
    if (!col.cell.release && cell.release) col.cell = cell
    if (r.status !== 'pass' && r.status !== 'skip') col.passed = false
    const prev = status.get(at(r.file, key))
    // One lab in one cell twice (merged runs): the worse counts.
    if (prev === undefined || rank(r.status) > rank(prev)) status.set(at(r.file, key), r.status)
  }
  return { labs, columns, status }
}

function rank(s: LabResult['status']): number {
  return s === 'pass' || s === 'skip' ? 0 : s === 'fail' ? 1 : 2
}

/**
 * The matrix as a person reads it in a terminal: a row per lab, a column per
 * cell (numbered; the legend below says what each number ran on, with
 * uname -r and iptables -V), ✓ pass, ✗ fail, ! error (did not run: no boot,
 * a panic, a hang), - skipped (the guest's kernel lacks what the lab needs),
 * · not run in this run.
 */
export function matrixTable(results: LabResult[], opts: { color?: boolean } = {}): string {
  const c = createColors(opts.color ?? false)
  const m = buildMatrix(results)
  if (m.columns.length === 0) return ''
  const width = Math.max(...m.labs.map((l) => l.length), 3)
  const colWidth = Math.max(...m.columns.map((_, i) => `[${i + 1}]`.length)) + 2
  const header = `${''.padEnd(width)}  ${m.columns.map((_, i) => `[${i + 1}]`.padStart(colWidth - 1).padEnd(colWidth)).join('')}`
  const lines = [c.bold(header.trimEnd())]
  for (const lab of m.labs) {
    const cells = m.columns.map((col) => {
      const s = m.status.get(at(lab, col.key))
      const mark = s === 'pass' ? c.green('✓') : s === 'fail' ? c.red('✗') : s === 'error' ? c.red('!') : s === 'skip' ? c.yellow('-') : c.dim('·')
      return `${' '.repeat(colWidth - 2)}${mark} `
    })
    lines.push(`${lab.padEnd(width)}  ${cells.join('')}`.trimEnd())
  }
  lines.push('')
  m.columns.forEach((col, i) => {
    const ran = [col.cell.release ? `Linux ${col.cell.release}` : 'did not boot', iptablesV(col.cell)].filter(Boolean).join(', ')
    const verdict = col.passed ? c.green('pass') : c.red('FAIL')
    lines.push(`[${i + 1}] ${col.key}  ${c.dim(ran)}  ${verdict}`)
  })
  const failed = m.columns.filter((col) => !col.passed).length
  lines.push(
    `${m.columns.length} ${m.columns.length === 1 ? 'cell' : 'cells'}: ${m.columns.length - failed} passed` + (failed ? `, ${c.red(`${failed} failed`)}` : ''),
  )
  return `${lines.join('\n')}\n`
}
