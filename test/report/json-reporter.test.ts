// The report is validated against docs/report.schema.json with Ajv (a dev
// dependency), which also checks the schema itself in strict mode.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import t from 'tap'
import { createJsonReporter, jsonReport, type JsonReport } from '../../runner/report/json-reporter.js'
import type { RunEvent } from '../../runner/run/run-event.js'
import { errorLab, failLab, nastyLab, passLab, runEvents, T0 } from '../fixtures/sample-run.js'
import { ACTS_ON_READER, sneakyLab } from '../fixtures/sneaky-run.js'

const schema = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8')) as object
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
// Formats are left to the tests below (ajv-formats is not needed for one date-time).
// ajv is CommonJS: its class is the module itself (and, for types, its default).
const Ajv2020 = Ajv2020Module.default
const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false })
const validate = ajv.compile(schema)

function errorsOf(data: unknown): string[] {
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

async function reportOf(dir: string, events: RunEvent[], version?: string): Promise<JsonReport> {
  const file = join(dir, 'out', 'report.json')
  const r = createJsonReporter({ file, ...(version ? { version } : {}) })
  for (const e of events) r.onEvent(e)
  await r.close()
  const text = readFileSync(file, 'utf8')
  return JSON.parse(text) as JsonReport
}

t.test('a run of four labs gives a report valid against its schema', async (t) => {
  const report = await reportOf(t.testdir(), runEvents([passLab, failLab, errorLab, nastyLab], { interleave: true, jobs: 2 }), '9.9.9')
  t.same(errorsOf(report), [])
  t.equal(report.reportVersion, 1)
  t.equal(report.nslabVersion, '9.9.9')
  t.equal(report.startedAt, new Date(T0).toISOString())
  t.equal(report.durationMs, 4200)
  t.equal(report.complete, true)
  t.equal(report.jobs, 2)
  t.same(report.files, ['labs/pass.md', 'labs/snat-outbound.md', 'labs/broken.md', nastyLab.file])
  t.same(report.summary, {
    labs: { total: 4, passed: 1, failed: 2, errors: 1, skipped: 0 },
    blocks: { total: 15, passed: 9, failed: 4, skipped: 2 },
    checks: { total: 8, passed: 5, failed: 3 },
  })
  t.same(
    report.labs.map((l) => [l.file, l.status]),
    [
      ['labs/broken.md', 'error'],
      [nastyLab.file, 'fail'],
      ['labs/pass.md', 'pass'],
      ['labs/snat-outbound.md', 'fail'],
    ],
    'labs in the order they ended',
  )
})

t.test('a lab, its blocks, runs and checks in detail', async (t) => {
  const report = await reportOf(t.testdir(), runEvents([failLab, errorLab]))
  t.same(errorsOf(report), [])
  const lab = report.labs[0]!
  t.match(lab, { file: 'labs/snat-outbound.md', title: failLab.title, status: 'fail', durationMs: 1900, cell: null, error: null, kept: null })
  t.equal(lab.startedAt, new Date(T0 + 5).toISOString())
  t.equal(lab.blocks.length, 7)
  t.same(lab.blocks[1], {
    index: 1,
    line: 16,
    kind: 'script',
    role: 'step',
    on: 'host',
    label: 'step: ip netns exec box1 ping -c 3 203.0.113.10',
    content: 'ip netns exec box1 ping -c 3 203.0.113.10',
    status: 'pass',
    durationMs: 410,
    message: null,
    hint: null,
    exec: {
      machine: 'host',
      command: 'ip netns exec box1 ping -c 3 203.0.113.10',
      exitCode: 0,
      signal: null,
      output: failLab.blocks[1]!.exec!.output,
      outputTruncated: false,
      durationMs: 40,
      timedOut: false,
    },
    checks: [],
  })
  const failed = lab.blocks[4]!
  t.match(failed, { kind: 'check', role: null, on: null, status: 'fail', hint: 'Rewrite the source of traffic from 172.17.0.0/16 in nat POSTROUTING', exec: null })
  t.same(failed.checks, [
    {
      source: 'no ping box1 internet',
      line: 32,
      verb: 'ping',
      negated: true,
      ok: false,
      sentence: 'box1 got replies from 203.0.113.10 (1 sent, 1 received)',
      expected: 'no reply',
      got: '1 received',
      evidence: [{ machine: 'box1', command: 'ping -c 1 -W 1 203.0.113.10', exitCode: 0, output: failLab.blocks[4]!.checks![0]!.evidence[0]!.output, outputTruncated: false }],
      durationMs: 1200,
      attempts: 1,
    },
  ])
  t.match(lab.blocks[5], { role: 'solution', status: 'skip', message: 'an earlier step failed', exec: null })
  t.match(report.labs[1], { status: 'error', error: errorLab.error })
})

t.test('strings stay as they were; long output is cut', async (t) => {
  const lab = structuredClone(nastyLab)
  const huge = 'x'.repeat(50_000) + '\nthe end'
  lab.blocks[0]!.exec!.output = huge
  lab.blocks[2]!.checks![0]!.evidence[0]!.output = huge
  const report = await reportOf(t.testdir(), runEvents([lab]))
  t.same(errorsOf(report), [])
  const l = report.labs[0]!
  t.equal(l.title, nastyLab.title, 'control characters and all survive JSON')
  t.equal(l.cell, nastyLab.cell)
  const exec = l.blocks[0]!.exec!
  t.equal(exec.outputTruncated, true)
  t.ok(exec.output.length < 16_100, `output cut to about 16 000 characters (${exec.output.length})`)
  t.match(exec.output, /characters cut/)
  t.match(exec.output, /the end$/)
  const evidence = l.blocks[2]!.checks[0]!.evidence[0]!
  t.equal(evidence.outputTruncated, true)
  t.ok(evidence.output.length < 4_100)
  t.equal(l.blocks[2]!.checks[0]!.attempts, 4)
  t.equal(l.blocks[2]!.checks.length, 3)
})

t.test('bidi formatting and C1 controls are \\u escapes in the file, the same strings once parsed', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'report.json')
  const r = createJsonReporter({ file, version: '1.0.0' })
  for (const e of runEvents([sneakyLab])) r.onEvent(e)
  await r.close()
  const text = readFileSync(file, 'utf8')
  t.notMatch(text, ACTS_ON_READER, 'nothing in the file acts on a reader')
  t.match(text, '"file": "labs/\\u202egpj.exe\\u202c.md"')
  const l = (JSON.parse(text) as JsonReport).labs[0]!
  t.equal(l.file, sneakyLab.file, 'the data is the same')
  t.equal(l.title, sneakyLab.title)
  t.equal(l.cell, sneakyLab.cell)
  t.equal(l.blocks[0]!.exec!.output, sneakyLab.blocks[0]!.exec!.output)
  t.equal(l.blocks[1]!.checks[0]!.evidence[0]!.machine, 'box\u202e1')
})

t.test('exec truncated by the runner is reported as truncated', async (t) => {
  const lab = structuredClone(passLab)
  lab.blocks[1]!.exec!.truncated = true
  const report = await reportOf(t.testdir(), runEvents([lab]))
  t.equal(report.labs[0]!.blocks[1]!.exec!.outputTruncated, true)
})

t.test('the version defaults to the one in package.json', async (t) => {
  const report = await reportOf(t.testdir(), runEvents([passLab]))
  t.equal(report.nslabVersion, pkg.version)
})

t.test('cut short before run-end: complete is false', async (t) => {
  const events = runEvents([passLab, failLab])
  const report = await reportOf(t.testdir(), events.slice(0, events.findIndex((e) => e.type === 'lab-end') + 2))
  t.same(errorsOf(report), [])
  t.equal(report.complete, false)
  t.equal(report.labs.length, 1)
  t.equal(report.summary.labs.total, 1)
})

t.test('the schema rejects what breaks it', async (t) => {
  const good = jsonReport({ version: '1', startTime: T0, durationMs: 5, complete: true, jobs: 1, files: [], results: [failLab] })
  t.same(errorsOf(good), [])
  const bad = (change: (r: Record<string, any>) => void): string[] => {
    const r = structuredClone(good) as unknown as Record<string, any>
    change(r)
    return errorsOf(r)
  }
  t.not(bad((r) => delete r.labs[0].status).length, 0, 'a missing field')
  t.not(bad((r) => (r.labs[0].status = 'passed')).length, 0, 'an unknown status')
  t.not(bad((r) => (r.labs[0].blocks[0].extra = 1)).length, 0, 'an unknown field')
  t.not(bad((r) => (r.labs[0].blocks[4].checks[0].attempts = '1')).length, 0, 'a wrong type')
  t.not(bad((r) => (r.durationMs = -1)).length, 0, 'a negative duration')
  t.not(bad((r) => (r.reportVersion = 2)).length, 0, 'another report version')
})

t.test('the example in docs/json-report.md is valid', async (t) => {
  const doc = readFileSync(new URL('../../docs/json-report.md', import.meta.url), 'utf8')
  const example = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1]
  t.ok(example, 'the doc has a json example')
  t.same(errorsOf(JSON.parse(example ?? 'null')), [])
})

t.test('dates in the report are ISO 8601', async (t) => {
  const report = await reportOf(t.testdir(), runEvents([passLab]))
  for (const d of [report.startedAt, report.labs[0]!.startedAt]) {
    t.match(d, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    t.equal(new Date(d!).toISOString(), d)
  }
})
