import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Evidence } from '../../checks/check-result.js'
import { blockFailure, skipReason } from '../run/block-failure.js'
import { describeBlock } from '../lab/describe-block.js'
import { plainText } from '../util/plain-text.js'
import { collectRun } from './collect-run.js'
import type { Reporter } from './reporter.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { safeLine, safeText } from '../util/safe-text.js'
import { truncateOutput } from '../util/truncate-output.js'

export interface JunitReporterOptions {
  /** Where the XML goes; written (with its folder) when the reporter closes. */
  file: string
}

/** Text of a failure or of a step's output is cut to this many characters. */
const MAX_TEXT = 16000

/**
 * JUnit XML as CI systems read it: <testsuites>, a <testsuite> per lab, a
 * <testcase> per block (classname: the lab file; name: "line N: label", plus
 * the cell in brackets when there is one), <failure>, <skipped>, and an
 * <error> test case for a lab that could not run. Times are in seconds.
 */
export function createJunitReporter(opts: JunitReporterOptions): Reporter {
  const run = collectRun()
  let closed = false
  return {
    onEvent: (event: RunEvent) => run.onEvent(event),

    async close(): Promise<void> {
      if (closed) return
      closed = true
      const xml = junitXml(run.results, run.durationMs ?? Date.now() - run.runStart, run.startTimes)
      await mkdir(dirname(opts.file), { recursive: true })
      await writeFile(opts.file, xml)
    },
  }
}

/** The whole document; exported for tests. */
export function junitXml(results: LabResult[], durationMs: number, startTimes: Map<string, number> = new Map()): string {
  const suites = results.map((r) => suite(r, startTimes.get(r.file)))
  const total = (key: 'tests' | 'failures' | 'errors') => suites.reduce((n, s) => n + s[key], 0)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="nslab" tests="${total('tests')}" failures="${total('failures')}" errors="${total('errors')}" time="${seconds(durationMs)}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n')
}

function suite(r: LabResult, startTime: number | undefined): { tests: number; failures: number; errors: number; xml: string } {
  const cases = r.blocks.map((b) => testcase(r, b))
  const failures = r.blocks.filter((b) => b.status === 'fail').length
  let skipped = r.blocks.filter((b) => b.status === 'skip').length
  const errors = r.status === 'error' ? 1 : 0
  if (r.status === 'skip') {
    // Not run here: one skipped test case saying why.
    skipped++
    cases.push(
      `    <testcase classname="${attr(safeLine(r.file))}" name="${attr(withCell('lab', r.cell))}" time="0.000">\n` +
        `      <skipped message="${attr(safeLine(r.skipped ?? 'not run here'))}"/>\n` +
        '    </testcase>',
    )
  }
  if (errors) {
    const message = plainText(r.error ?? 'the lab could not run').trim()
    cases.push(
      `    <testcase classname="${attr(safeLine(r.file))}" name="${attr(withCell('lab error', r.cell))}" time="0.000">\n` +
        `      <error message="${attr(message.split('\n')[0] ?? '')}" type="error">${text(message)}</error>\n` +
        '    </testcase>',
    )
  }
  const properties = [
    ['title', r.title === undefined ? undefined : safeLine(r.title)],
    ['cell', r.cell === undefined ? undefined : safeLine(r.cell)],
    ['kept', r.kept],
  ].filter((p): p is [string, string] => typeof p[1] === 'string' && p[1] !== '')
  const tests = cases.length
  const timestamp = startTime !== undefined ? ` timestamp="${new Date(startTime).toISOString().slice(0, 19)}"` : ''
  const xml = [
    `  <testsuite name="${attr(withCell(safeLine(r.file), r.cell))}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(r.durationMs)}"${timestamp}>`,
    ...(properties.length > 0
      ? ['    <properties>', ...properties.map(([k, v]) => `      <property name="${k}" value="${attr(v)}"/>`), '    </properties>']
      : []),
    ...cases,
    '  </testsuite>',
  ].join('\n')
  return { tests, failures, errors, xml }
}

function testcase(lab: LabResult, b: BlockResult): string {
  const name = withCell(`line ${b.block.line}: ${safeLine(describeBlock(b.block))}`, lab.cell)
  const open = `    <testcase classname="${attr(safeLine(lab.file))}" name="${attr(name)}" time="${seconds(b.durationMs)}"`
  const inner: string[] = []
  if (b.status === 'skip') {
    inner.push(`      <skipped message="${attr(skipReason(b) || 'skipped')}"/>`)
  } else if (b.status === 'fail') {
    const f = blockFailure(b)
    const type = b.block.kind === 'script' ? b.block.role : b.block.kind
    inner.push(`      <failure message="${attr(f.message)}" type="${type}">${text(failureText(lab.file, b))}</failure>`)
  }
  if (b.block.kind === 'script' && b.exec && plainText(b.exec.output).trim() !== '') {
    inner.push(`      <system-out>${text(truncateOutput(plainText(b.exec.output), MAX_TEXT).text)}</system-out>`)
  }
  return inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join('\n')}\n    </testcase>`
}

/** The failure's evidence as a person reads it in a CI's test view. */
function failureText(file: string, b: BlockResult): string {
  // Each piece is made plain on its own: a \r in one must not eat the text before it.
  const p = (s: string) => plainText(s).replace(/\s+$/, '')
  const f = blockFailure(b)
  const lines = [`${safeLine(file)}:${f.line}: ${p(f.message)}`]
  const expectedGot = (expected?: string, got?: string, indent = '') => {
    if (expected !== undefined) lines.push(`${indent}expected: ${p(expected)}`)
    if (got !== undefined) lines.push(`${indent}got: ${p(got)}`)
  }
  const evidence = (e: Evidence, indent: string) => {
    const [first = '', ...rest] = p(e.command).split('\n')
    lines.push(`${indent}$ ${first}   (on ${safeLine(e.machine)}, ${e.exitCode === null ? 'killed' : `exit ${e.exitCode}`})`)
    lines.push(...rest.map((l) => `${indent}> ${l}`))
    const output = p(e.output)
    if (output !== '') lines.push(...output.split('\n').map((l) => `${indent}  ${l}`))
  }
  if (f.failedChecks.length > 1) {
    for (const k of f.failedChecks) {
      lines.push('', `${safeLine(file)}:${k.check.line}: ${p(k.check.source)}`, `  ${p(k.sentence)}`)
      expectedGot(k.expected, k.got, '  ')
      for (const e of k.evidence) evidence(e, '  ')
    }
  } else {
    expectedGot(f.expected, f.got)
    for (const e of f.evidence) evidence(e, '')
  }
  if (f.hint) lines.push(`hint: ${p(f.hint)}`)
  return truncateOutput(lines.join('\n'), MAX_TEXT).text
}

function withCell(name: string, cell?: string): string {
  return cell ? `${name} [${safeLine(cell)}]` : name
}

function seconds(ms: number): string {
  return (Math.max(ms, 0) / 1000).toFixed(3)
}

/**
 * Element text: what a screen would show of a process's text, the controls
 * left (bidi formatting) as visible escapes (\u202e), &, < and > escaped.
 */
function text(s: string): string {
  return safeText(plainText(s)).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** An attribute value: also quotes, and newlines and tabs kept as references. */
function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;')
}
