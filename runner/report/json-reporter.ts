import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { CheckResult, Evidence } from '../../checks/check-result.js'
import { describeBlock } from '../lab/describe-block.js'
import type { ExecResult } from '../host/exec-result.js'
import { collectRun } from './collect-run.js'
import type { Reporter } from './reporter.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { safeJson } from '../util/safe-text.js'
import { summarizeRun, type RunSummary } from '../run/summarize-run.js'
import { truncateOutput } from '../util/truncate-output.js'
import { nslabVersion } from '../util/nslab-version.js'

// The shape of the file is docs/report.schema.json, explained in
// docs/json-report.md; a change here is a change there (and reportVersion).

export interface JsonReport {
  reportVersion: 1
  nslabVersion: string
  startedAt: string
  durationMs: number
  /** False when the run was cut short (no run-end). */
  complete: boolean
  jobs: number | null
  files: string[]
  summary: RunSummary
  labs: JsonLab[]
}

export interface JsonLab {
  file: string
  title: string
  status: LabResult['status']
  startedAt: string | null
  durationMs: number
  cell: string | null
  error: string | null
  kept: string | null
  /** Why the lab was not run (status skip); absent otherwise. */
  skipped?: string
  blocks: JsonBlock[]
}

export interface JsonBlock {
  index: number
  line: number
  /** 'shown' never comes from the runner (shown blocks are not reported), but is allowed. */
  kind: 'script' | 'output' | 'check' | 'shown'
  role: 'step' | 'setup' | 'solution' | null
  on: string | null
  label: string
  content: string
  status: BlockResult['status']
  durationMs: number
  message: string | null
  hint: string | null
  exec: JsonExec | null
  checks: JsonCheck[]
}

export interface JsonExec {
  machine: string
  command: string
  exitCode: number | null
  signal: string | null
  output: string
  outputTruncated: boolean
  durationMs: number
  timedOut: boolean
}

export interface JsonCheck {
  source: string
  line: number
  verb: string
  negated: boolean
  ok: boolean
  sentence: string
  expected: string | null
  got: string | null
  evidence: JsonEvidence[]
  durationMs: number
  attempts: number
}

export interface JsonEvidence {
  machine: string
  command: string
  exitCode: number | null
  output: string
  outputTruncated: boolean
}

export interface JsonReporterOptions {
  /** Where the report goes; written (with its folder) when the reporter closes. */
  file: string
  /** nslab's version; default: the version in nslab's own package.json. */
  version?: string
}

/** A step's output is kept up to this many characters, a check's evidence up to EVIDENCE_MAX. */
export const OUTPUT_MAX = 16000
export const EVIDENCE_MAX = 4000

/** The whole run as one JSON file (docs/json-report.md). */
export function createJsonReporter(opts: JsonReporterOptions): Reporter {
  const run = collectRun()
  let closed = false
  return {
    onEvent: (event: RunEvent) => run.onEvent(event),

    async close(): Promise<void> {
      if (closed) return
      closed = true
      const report = jsonReport({
        version: opts.version ?? nslabVersion(),
        startTime: run.runStart,
        durationMs: run.durationMs ?? Date.now() - run.runStart,
        complete: run.durationMs !== undefined,
        jobs: run.jobs,
        files: run.files,
        results: run.results,
        startTimes: run.startTimes,
      })
      await mkdir(dirname(opts.file), { recursive: true })
      // C1 controls and bidi formatting as \u escapes: the same data, nothing that reorders a line to a reader.
      await writeFile(opts.file, `${safeJson(JSON.stringify(report, null, 2))}\n`)
    },
  }
}

/** The report of a run; exported for tests. */
export function jsonReport(run: {
  version: string
  startTime: number
  durationMs: number
  complete: boolean
  jobs: number | null
  files: string[]
  results: LabResult[]
  startTimes?: Map<string, number>
}): JsonReport {
  return {
    reportVersion: 1,
    nslabVersion: run.version,
    startedAt: new Date(run.startTime).toISOString(),
    durationMs: Math.round(run.durationMs),
    complete: run.complete,
    jobs: run.jobs,
    files: run.files,
    summary: summarizeRun(run.results),
    labs: run.results.map((r) => jsonLab(r, run.startTimes?.get(r.file))),
  }
}

function jsonLab(r: LabResult, startTime: number | undefined): JsonLab {
  return {
    file: r.file,
    title: r.title,
    status: r.status,
    startedAt: startTime !== undefined ? new Date(startTime).toISOString() : null,
    durationMs: Math.round(r.durationMs),
    cell: r.cell ?? null,
    error: r.error ?? null,
    kept: r.kept ?? null,
    ...(r.skipped !== undefined ? { skipped: r.skipped } : {}),
    blocks: r.blocks.map(jsonBlock),
  }
}

function jsonBlock(b: BlockResult): JsonBlock {
  const { block } = b
  return {
    index: b.index,
    line: block.line,
    kind: block.kind,
    role: block.kind === 'script' ? block.role : null,
    on: block.kind === 'script' ? block.on : null,
    label: describeBlock(block),
    content: block.content,
    status: b.status,
    durationMs: Math.round(b.durationMs),
    message: b.message ?? null,
    hint: b.hint ?? (block.kind === 'check' ? (block.hint ?? null) : null),
    exec: b.exec ? jsonExec(b.exec) : null,
    checks: (b.checks ?? []).map(jsonCheck),
  }
}

function jsonExec(e: ExecResult): JsonExec {
  const output = truncateOutput(e.output, OUTPUT_MAX)
  return {
    machine: e.machine,
    command: e.command,
    exitCode: e.exitCode,
    signal: e.signal ?? null,
    output: output.text,
    outputTruncated: output.truncated || e.truncated === true,
    durationMs: Math.round(e.durationMs),
    timedOut: e.timedOut,
  }
}

function jsonCheck(c: CheckResult): JsonCheck {
  return {
    source: c.check.source,
    line: c.check.line,
    verb: c.check.verb,
    negated: c.check.negated,
    ok: c.ok,
    sentence: c.sentence,
    expected: c.expected ?? null,
    got: c.got ?? null,
    evidence: c.evidence.map(jsonEvidence),
    durationMs: Math.round(c.durationMs),
    attempts: c.attempts,
  }
}

function jsonEvidence(e: Evidence): JsonEvidence {
  const output = truncateOutput(e.output, EVIDENCE_MAX)
  return { machine: e.machine, command: e.command, exitCode: e.exitCode, output: output.text, outputTruncated: output.truncated }
}

