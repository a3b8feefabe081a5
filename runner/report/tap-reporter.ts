import { stringify } from 'yaml'
import { blockFailure, skipReason } from '../run/block-failure.js'
import { describeBlock } from '../lab/describe-block.js'
import { oneLine, plainText } from '../util/plain-text.js'
import type { Reporter } from './reporter.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { safeLine, safeText } from '../util/safe-text.js'
import { summarizeRun } from '../run/summarize-run.js'
import { truncateOutput } from '../util/truncate-output.js'

export interface TapReporterOptions {
  stream: { write(text: string): unknown }
}

/** Evidence output in diagnostics is cut to this many characters. */
const MAX_OUTPUT = 4000

/**
 * TAP 14 (testanything.org): one subtest per lab, one test point per
 * block; skipped blocks carry a SKIP directive, failed ones YAML diagnostics.
 * Each lab is written whole when it ends, so labs that run in parallel
 * never interleave. TAP goes to terminals: names show their controls and
 * bidi formatting as escapes (\x1b, \u202e), outputs as a screen shows them.
 */
export function createTapReporter(opts: TapReporterOptions): Reporter {
  const { stream } = opts
  const reported = new Set<LabResult>()
  let started = false
  let count = 0
  let ended = false
  let closed = false

  function start(): void {
    if (started) return
    started = true
    stream.write('TAP version 14\n')
  }

  function report(r: LabResult): void {
    if (reported.has(r)) return
    reported.add(r)
    start()
    count++
    // safeText: a last guard; every piece is made safe where it is put in (the YAML keeps its meaning).
    stream.write(safeText(labTap(r, count)))
  }

  return {
    onEvent(event: RunEvent): void {
      if (closed) return
      switch (event.type) {
        case 'run-start':
          start()
          return
        case 'lab-end':
          report(event.result)
          return
        case 'run-end': {
          for (const r of event.results) report(r)
          start()
          const { labs } = summarizeRun(event.results)
          const parts = [`${labs.passed} passed`, `${labs.failed} failed`, ...(labs.errors > 0 ? [`${labs.errors} errored`] : []), ...(labs.skipped > 0 ? [`${labs.skipped} skipped`] : [])]
          stream.write(`1..${count}\n# ${labs.total} ${labs.total === 1 ? 'lab' : 'labs'}: ${parts.join(', ')}\n`)
          ended = true
          return
        }
        default:
          return
      }
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      if (!ended) {
        start()
        // No run-end: the run was cut short; say so rather than plan what ran.
        stream.write('Bail out! the run was interrupted\n')
      }
    },
  }
}

/** One lab as a subtest and the test point that closes it. */
function labTap(r: LabResult, id: number): string {
  const name = safeLine(`${r.file}${r.cell ? ` [${r.cell}]` : ''}`)
  const lines: string[] = [`# Subtest: ${name}`]
  const sub: string[] = []
  if (r.title) sub.push(`# ${safeLine(r.title)}`)
  let n = 0
  for (const b of r.blocks) sub.push(...blockTap(r.file, b, ++n))
  if (r.status === 'error') {
    const message = plain(r.error ?? 'the lab could not run').trim()
    sub.push(`not ok ${++n} - ${escapeDescription(`error: ${message.split('\n')[0] ?? ''}`)}`)
    sub.push(...yamlBlock({ message, location: safeLine(r.file) }))
  }
  if (r.kept) sub.push(`# kept: ${safeText(oneLine(r.kept))}`)
  sub.push(n > 0 ? `1..${n}` : '1..0 # no blocks ran')
  lines.push(...sub.map((l) => `    ${l}`))
  if (r.status === 'skip') {
    // Not run here (this machine's kernel lacks what it needs): a skipped test point, as TAP has them.
    lines.push(`ok ${id} - ${escapeDescription(name)} # SKIP ${escapeDescription(oneLine(r.skipped ?? 'not run here'))}`)
    return `${lines.join('\n')}\n`
  }
  const ok = r.status === 'pass' ? 'ok' : 'not ok'
  lines.push(`${ok} ${id} - ${escapeDescription(name)} # time=${Math.round(r.durationMs)}ms`)
  return `${lines.join('\n')}\n`
}

function blockTap(file: string, b: BlockResult, id: number): string[] {
  const description = escapeDescription(`line ${b.block.line}: ${safeLine(describeBlock(b.block))}`)
  if (b.status === 'skip') {
    return [`ok ${id} - ${description} # SKIP ${escapeDescription(skipReason(b))}`.trimEnd()]
  }
  const time = ` # time=${Math.round(b.durationMs)}ms`
  if (b.status === 'pass') return [`ok ${id} - ${description}${time}`]
  const f = blockFailure(b)
  const diag: Record<string, unknown> = {
    message: plain(f.message),
    // `at` as tap itself writes it, so tap's reporters can show the lab's source.
    at: { fileName: safeLine(file), lineNumber: f.line },
    location: `${safeLine(file)}:${f.line}`,
  }
  if (f.expected !== undefined) diag.expected = clip(f.expected)
  if (f.got !== undefined) diag.got = clip(f.got)
  if (f.evidence.length > 0) {
    diag.evidence = f.evidence.map((e) => ({
      machine: safeLine(e.machine),
      command: plain(e.command),
      exitCode: e.exitCode,
      output: clip(e.output),
    }))
  }
  if (f.failedChecks.length > 1) {
    diag.checks = f.failedChecks.map((k) => ({
      check: plain(k.check.source),
      line: k.check.line,
      sentence: plain(k.sentence),
      ...(k.expected !== undefined ? { expected: clip(k.expected) } : {}),
      ...(k.got !== undefined ? { got: clip(k.got) } : {}),
    }))
  }
  if (f.hint) diag.hint = plain(f.hint)
  return [`not ok ${id} - ${description}${time}`, ...yamlBlock(diag)]
}

/** A YAML diagnostic block, indented two spaces under its test point. */
function yamlBlock(diag: Record<string, unknown>): string[] {
  const body = stringify(diag, { lineWidth: 0 }).replace(/\n$/, '')
  return ['  ---', ...body.split('\n').map((l) => `  ${l}`), '  ...']
}

function clip(text: string): string {
  return truncateOutput(plain(text).replace(/\s+$/, ''), MAX_OUTPUT).text
}

/** A process's text as a screen shows it, and what is left of controls (bidi) as escapes. */
function plain(text: string): string {
  return safeText(plainText(text))
}

/** TAP 14: a description escapes \ and # with a backslash. */
function escapeDescription(text: string): string {
  return safeText(oneLine(text)).replace(/[\\#]/g, (ch) => `\\${ch}`)
}
