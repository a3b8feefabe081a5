// nslab report merge: the JSON reports of a matrix's shards, joined into one
// (a valid report, the same labs, one matrix), and JUnit with the cell in
// each test's name. The command itself runs as nslab's command line, as CI runs it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import t from 'tap'
import { jsonReport, type JsonReport } from '../../runner/report/json-reporter.js'
import { junitXml } from '../../runner/report/junit-reporter.js'
import { labResultOf, mergeReports, readJsonReport } from '../../runner/cli/report-command.js'
import type { LabResult } from '../../runner/run/run-event.js'
import { errorLab, failLab, passLab, T0 } from '../fixtures/sample-run.js'
import { reportMerge } from '../helpers/report-merge-cli.js'

const ROOT = new URL('../..', import.meta.url).pathname
const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')) as object
const Ajv2020 = Ajv2020Module.default
const validate = new Ajv2020({ strict: true, allErrors: true, validateFormats: false }).compile(schema)

const A = 'debian:bookworm 6.1.0-56-amd64 iptables-nft v1.8.9'
const B = 'debian:bookworm 6.1.0-56-amd64 iptables-legacy v1.8.9'
const inCell = (r: LabResult, cell: string): LabResult => ({ ...r, cell })

function report(results: LabResult[], startOffset: number, durationMs: number, complete = true): JsonReport {
  return jsonReport({ version: '0.1.0', startTime: T0 + startOffset, durationMs, complete, jobs: 1, files: results.map((r) => r.file), results })
}

const dir = mkdtempSync(join(tmpdir(), 'nslab-merge-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const shard1 = report([inCell(passLab, A), inCell(failLab, A)], 5000, 60_000)
const shard2 = report([inCell(passLab, B), inCell(errorLab, B)], 0, 90_000)
const allPass = report([inCell(passLab, A)], 0, 1000)
writeFileSync(join(dir, 'shard1.json'), JSON.stringify(shard1))
writeFileSync(join(dir, 'shard2.json'), JSON.stringify(shard2))
writeFileSync(join(dir, 'pass.json'), JSON.stringify(allPass))

t.test('merged: every lab of every shard, files once each, the earliest start, the longest shard, a valid report', async (t) => {
  const m = mergeReports([shard1, shard2], '9.9.9')
  t.same(m.labs, [...shard1.labs, ...shard2.labs], 'labs as they were, in order')
  t.same(m.files, [passLab.file, failLab.file, errorLab.file])
  t.equal(m.startedAt, new Date(T0).toISOString())
  t.equal(m.durationMs, 90_000)
  t.equal(m.complete, true)
  t.equal(m.nslabVersion, '9.9.9')
  t.same(m.summary.labs, { total: 4, passed: 2, failed: 1, errors: 1, skipped: 0 })
  t.same(m.summary.blocks.total, shard1.summary.blocks.total + shard2.summary.blocks.total)
  t.same(m.summary.checks.failed, shard1.summary.checks.failed + shard2.summary.checks.failed)
  t.ok(validate(m), JSON.stringify(validate.errors))
  t.equal(mergeReports([shard1, report([], 0, 1, false)], 'x').complete, false, 'one cut-short shard: not complete')
})

t.test('a lab read back from JSON reports as the original does (JUnit, with the cell in each name)', async (t) => {
  const original = [inCell(failLab, A), inCell(errorLab, B)]
  const back = report(original, 0, 1000).labs.map(labResultOf)
  t.same(back.map((r) => [r.file, r.status, r.cell, r.error ?? null, r.blocks.length]), original.map((r) => [r.file, r.status, r.cell, r.error ?? null, r.blocks.length]))
  t.same(report(back, 0, 1000).labs, report(original, 0, 1000).labs, 'JSON of the read-back equals the JSON of the original')
  const xml = junitXml(back, 1000)
  t.match(xml, `name="${failLab.file} [${A}]"`)
  t.match(xml, new RegExp(`<testcase classname="${failLab.file.replace(/\./g, '\\.')}" name="line \\d+: [^"]* \\[${A.replace(/\./g, '\\.')}\\]"`))
  t.equal(xml, junitXml(original, 1000), 'the same JUnit as from the original results')
})

t.test('a file that is no report is refused with its name', async (t) => {
  writeFileSync(join(dir, 'bad.json'), '{"hello": 1}')
  t.throws(() => readJsonReport(join(dir, 'bad.json')), { code: 'USAGE', message: /bad\.json: not an nslab JSON report/ })
  t.throws(() => readJsonReport(join(dir, 'missing.json')), { code: 'NOT_FOUND', message: /missing\.json/ })
})

const merge = reportMerge

t.test('nslab report merge: one matrix, the merged JSON and JUnit, exit 1 when a cell failed', async (t) => {
  const out = join(dir, 'merged.json')
  const junit = join(dir, 'merged.xml')
  const r = merge([join(dir, 'shard1.json'), join(dir, 'shard2.json'), '--json', out, '--junit', junit])
  t.equal(r.code, 1, `a failed lab: exit 1\n${r.stderr}`)
  t.match(r.stdout, /\[1\] debian:bookworm iptables-nft {2}Linux 6\.1\.0-56-amd64, iptables v1\.8\.9 \(nf_tables\) {2}FAIL/)
  t.match(r.stdout, /\[2\] debian:bookworm iptables-legacy {2}Linux 6\.1\.0-56-amd64, iptables v1\.8\.9 \(legacy\) {2}FAIL/)
  t.match(r.stdout, /labs\/pass\.md\s+✓\s+✓/)
  const merged = JSON.parse(readFileSync(out, 'utf8')) as JsonReport
  t.ok(validate(merged), JSON.stringify(validate.errors))
  t.equal(merged.labs.length, 4)
  t.match(readFileSync(junit, 'utf8'), `[${B}]`)

  const ok = merge([join(dir, 'pass.json')])
  t.equal(ok.code, 0, `all passed: exit 0\n${ok.stderr}`)
  const tap = merge([join(dir, 'pass.json'), '--reporter', 'tap'])
  t.match(tap.stdout, /^TAP version 14\n/, 'TAP on stdout; the table goes to stderr')
  t.match(tap.stderr, /1 cell: 1 passed/)
  const bad = merge([join(dir, 'nope.json')])
  t.equal(bad.code, 2, 'an unreadable report: exit 2')
  t.match(bad.stderr, /nope\.json/)
})
