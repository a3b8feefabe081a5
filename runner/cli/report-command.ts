import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { CheckResult } from '../../checks/check-result.js'
import { colorEnabled } from '../util/colors.js'
import type { JsonBlock, JsonCheck, JsonLab, JsonReport } from '../report/json-reporter.js'
import type { Block, Check, CheckVerb } from '../lab/lab.js'
import { matrixTable } from '../vm/matrix-table.js'
import { matrixMarkdown } from '../vm/matrix-markdown.js'
import { NslabError } from '../util/nslab-error.js'
import { nslabVersion } from '../util/nslab-version.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { commandReporters } from './command-reporters.js'
import { checkStdoutReports } from './run-flags.js'
import { UsageError } from './usage-error.js'
import { didYouMean } from '../util/did-you-mean.js'
import { safeJson, safeLine } from '../util/safe-text.js'
import type { BlockResult, LabResult } from '../run/run-event.js'
import { summarizeRun } from '../run/summarize-run.js'

export const REPORT_HELP = `Usage: nslab report merge FILES… [options]

Joins JSON reports (nslab run --json) into one: the shards of a matrix that
a CI system ran on many machines (nslab run --kernel … --shard K/N), or any
runs. Prints the results and the labs × cells matrix.

Options:
  --json FILE               write the merged JSON report (- : to stdout)
  --junit FILE              write a JUnit XML report of all of them (- : to stdout)
  --markdown FILE           write the matrix as a Markdown page: labs × cells,
                            why each failure, uname -r and iptables -V of each cell, the runs'
                            wall times, the command that runs it again (docs/kernel-matrix.md)
  --note TEXT               a paragraph for the Markdown page, e.g. the machine and its load
                            (repeatable)
  --reporter terminal|tap   what goes to stdout (default: terminal)
  --verbose                 show what steps printed
${COMMON_OPTIONS_HELP}Exit: 0 all passed, 1 a lab failed in some cell, 2 usage or an unreadable report.
`

export const REPORT_OPTIONS = {
  json: { type: 'string' },
  junit: { type: 'string' },
  markdown: { type: 'string' },
  note: { type: 'string', multiple: true },
  reporter: { type: 'string', default: 'terminal' },
  verbose: { type: 'boolean', default: false },
} as const

/** `nslab report SUBCOMMAND …`; only merge for now. */
export async function reportCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(REPORT_HELP)
    return 0
  }
  if (sub === undefined) throw new UsageError('nslab report', 'which report command? There is: merge (nslab report merge FILES…)')
  // An option before the subcommand: said as any command says an unknown option.
  if (sub.startsWith('-')) readCommandArgs([sub], { command: 'nslab report', usage: 'nslab report merge [options] -- FILES…', options: {} })
  if (sub !== 'merge') {
    throw new UsageError('nslab report', `unknown report command ${safeLine(sub)}${didYouMean(sub, ['merge']) ? ' (did you mean merge?)' : ' (there is: merge)'}`)
  }
  const v = readCommandArgs(rest, { command: 'nslab report merge', usage: 'nslab report merge [options] -- FILES…', options: REPORT_OPTIONS })
  if (v.values.help) {
    process.stdout.write(REPORT_HELP)
    return 0
  }
  const reporterName = v.values.reporter
  if (reporterName !== 'terminal' && reporterName !== 'tap') throw new UsageError('nslab report merge', `--reporter takes terminal or tap, not "${reporterName}"`)
  checkStdoutReports('nslab report merge', v.values)
  if (v.positionals.length === 0) throw new UsageError('nslab report merge', 'needs at least one JSON report (nslab run --json FILE writes one)')

  const reports = v.positionals.map(readJsonReport)
  const markdownFile = v.values.markdown
  if (markdownFile === '-') throw new UsageError('nslab report merge', '--markdown takes a file (the page is for a repository; stdout has the results)')
  if (v.values.note?.length && markdownFile === undefined) throw new UsageError('nslab report merge', '--note goes on the Markdown page: give --markdown FILE too')
  const merged = mergeReports(reports, versionOrUnknown())
  const results = merged.labs.map(labResultOf)
  const jsonFile = v.values.json
  // The merged JSON is written here, not by a reporter (it is the merge, not a run): on stdout when asked.
  const { reporter, out } = await commandReporters({ reporter: reporterName, verbose: v.values.verbose, ...(v.values.junit ? { junit: v.values.junit } : {}), ...(jsonFile === '-' ? { json: '-' } : {}) }, { callerWritesJson: true })
  // jobs > 1: each lab is shown whole as it "ends", as after a parallel run.
  reporter.onEvent({ type: 'run-start', files: merged.files, jobs: 2, time: Date.parse(merged.startedAt) })
  for (const r of results) reporter.onEvent({ type: 'lab-end', result: r })
  reporter.onEvent({ type: 'run-end', results, durationMs: merged.durationMs })
  await reporter.close()
  const mergedText = `${safeJson(JSON.stringify(merged, null, 2))}\n`
  if (jsonFile === '-') await new Promise<void>((resolve) => process.stdout.write(mergedText, () => resolve()))
  else if (jsonFile) {
    await mkdir(dirname(jsonFile), { recursive: true })
    await writeFile(jsonFile, mergedText)
  }
  // The labs × cells grid, when the runs were in cells (run --kernel); shards of plain runs have none.
  if (results.some((r) => r.cell !== undefined)) out.write(`\n${matrixTable(results, { color: reporterName === 'terminal' && colorEnabled(out) })}`)
  if (markdownFile !== undefined) {
    const page = matrixMarkdown(
      reports.map((report, i) => ({ name: basename(v.positionals[i]!), report })),
      { notes: v.values.note ?? [] },
    )
    await mkdir(dirname(markdownFile), { recursive: true })
    await writeFile(markdownFile, page)
  }
  const missing = reports.filter((r) => !r.complete).length
  if (missing) out.write(`note: ${missing} of the reports ${missing === 1 ? 'is' : 'are'} of a run that was cut short\n`)
  return results.length > 0 && results.every((r) => r.status === 'pass' || r.status === 'skip') ? 0 : 1
}

function versionOrUnknown(): string {
  try {
    return nslabVersion()
  } catch {
    // run from the sources (tests): no package.json two folders up
    return 'unknown'
  }
}

/** A JSON report from a file, checked enough to merge (reportVersion 1, a labs list). */
export function readJsonReport(file: string): JsonReport {
  let v: unknown
  try {
    v = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new NslabError({ code: 'NOT_FOUND', message: `${file}: cannot read a JSON report: ${(e as Error).message}` })
  }
  const r = v as Partial<JsonReport>
  if (typeof r !== 'object' || r === null || r.reportVersion !== 1 || !Array.isArray(r.labs) || !Array.isArray(r.files)) {
    throw new NslabError({ code: 'USAGE', message: `${file}: not an nslab JSON report (reportVersion 1)`, file })
  }
  return r as JsonReport
}

/**
 * Several reports as one: every lab of each, in the order given; files
 * joined without repeats; started at the earliest start; the duration of
 * the longest (shards run side by side); complete when all were.
 */
export function mergeReports(reports: JsonReport[], version: string): JsonReport {
  const labs = reports.flatMap((r) => r.labs)
  const starts = reports.map((r) => Date.parse(r.startedAt)).filter((t) => Number.isFinite(t))
  return {
    reportVersion: 1,
    nslabVersion: version,
    startedAt: new Date(starts.length ? Math.min(...starts) : Date.now()).toISOString(),
    durationMs: Math.max(0, ...reports.map((r) => r.durationMs)),
    complete: reports.every((r) => r.complete),
    jobs: null,
    files: [...new Set(reports.flatMap((r) => r.files))],
    summary: summarizeRun(labs.map(labResultOf)),
    labs,
  }
}

/** A lab of a JSON report back as a LabResult, for the reporters (what JSON keeps of it). */
export function labResultOf(l: JsonLab): LabResult {
  const r: LabResult = { file: l.file, title: l.title, status: l.status, durationMs: l.durationMs, blocks: l.blocks.map(blockResultOf) }
  if (l.error !== null) r.error = l.error
  if (l.cell !== null) r.cell = l.cell
  if (l.kept !== null) r.kept = l.kept
  if (typeof l.skipped === 'string') r.skipped = l.skipped
  return r
}

function blockResultOf(b: JsonBlock): BlockResult {
  const base = { line: b.line, contentLine: b.line + 1, info: '', content: b.content, prose: '' }
  const checks = b.checks.map(checkResultOf)
  let block: Block
  if (b.kind === 'script') {
    block = { ...base, kind: 'script', role: b.role ?? 'step', lang: 'sh', on: b.on ?? 'host', exit: b.exec?.exitCode ?? 0, timeoutMs: 0, background: false }
  } else if (b.kind === 'output') block = { ...base, kind: 'output', lines: b.content.replace(/\n$/, '').split('\n') }
  else if (b.kind === 'check') {
    // A check block that did not run (skipped) has no results: its lines are in its content.
    const lines = checks.length ? checks.map((c) => c.check) : checkLinesOf(b.content, b.line)
    block = { ...base, kind: 'check', checks: lines, ...(b.hint !== null ? { hint: b.hint } : {}) }
  }
  else block = { ...base, kind: 'shown', lang: '' }
  const r: BlockResult = { index: b.index, block, status: b.status, durationMs: b.durationMs }
  if (b.message !== null) r.message = b.message
  if (b.hint !== null) r.hint = b.hint
  if (b.kind === 'check') r.checks = checks
  if (b.exec) {
    r.exec = {
      machine: b.exec.machine,
      command: b.exec.command,
      exitCode: b.exec.exitCode,
      stdout: b.exec.output,
      stderr: '',
      output: b.exec.output,
      durationMs: b.exec.durationMs,
      timedOut: b.exec.timedOut,
      ...(b.exec.signal !== null ? { signal: b.exec.signal } : {}),
      ...(b.exec.outputTruncated ? { truncated: true } : {}),
    }
  }
  return r
}

/** The check lines of a block's text, as far as reports need them (their source and line). */
function checkLinesOf(content: string, fenceLine: number): Check[] {
  const out: Check[] = []
  content.split('\n').forEach((raw, i) => {
    const source = raw.trim()
    if (source === '' || source.startsWith('#')) return
    const words = source.split(/\s+/)
    const negated = words[0] === 'no'
    out.push({ verb: (negated ? words[1] : words[0]) as CheckVerb, negated, args: [], options: {}, withinMs: 0, line: fenceLine + 1 + i, source })
  })
  return out
}

function checkResultOf(c: JsonCheck): CheckResult {
  const check: Check = { verb: c.verb as CheckVerb, negated: c.negated, args: [], options: {}, withinMs: 0, line: c.line, source: c.source }
  const r: CheckResult = {
    check,
    ok: c.ok,
    sentence: c.sentence,
    evidence: c.evidence.map((e) => ({ machine: e.machine, command: e.command, exitCode: e.exitCode, output: e.output })),
    durationMs: c.durationMs,
    attempts: c.attempts,
  }
  if (c.expected !== null) r.expected = c.expected
  if (c.got !== null) r.got = c.got
  return r
}
