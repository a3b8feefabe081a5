// The kernel matrix as a Markdown page (nslab report merge --markdown):
// made from JSON reports only, so docs/kernel-matrix.md can be made again
// from the runs' reports. On hand-built reports (each kind of cell) and on
// reports a real matrix wrote (test/fixtures/matrix/, captured from
// `nslab run labs --kernel … --json`, see its README.md).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { jsonReport, type JsonReport } from '../../runner/report/json-reporter.js'
import type { LabResult } from '../../runner/run/run-event.js'
import { formatDuration } from '../../runner/util/format-duration.js'
import { matrixMarkdown, whyNot } from '../../runner/vm/matrix-markdown.js'
import { errorLab, failLab, passLab, T0 } from '../fixtures/sample-run.js'
import { reportMerge } from '../helpers/report-merge-cli.js'

const ROOT = new URL('../..', import.meta.url).pathname
const A = 'debian:bookworm 6.1.0-56-amd64 iptables-nft v1.8.9'
const B = 'debian:trixie 6.12.118+deb13-amd64 iptables-legacy v1.8.11'
const C = 'debian:sid iptables-nft'
const inCell = (r: LabResult, cell: string): LabResult => ({ ...r, cell })

function report(results: LabResult[], startOffset: number, durationMs: number, complete = true): JsonReport {
  return jsonReport({ version: '0.1.0', startTime: T0 + startOffset, durationMs, complete, jobs: 1, files: results.map((r) => r.file), results })
}

const vmError = { ...errorLab, file: 'labs/pass.md', error: `${C}: the VM did not boot: its CPU triple-faulted | reset\n  console (last lines):\n  qemu: Triple fault` }
const one = report([inCell(passLab, A), inCell(failLab, A)], 0, 65_000)
const two = report([inCell(passLab, B), inCell(failLab, B)], 70_000, 125_000)
const formatLabs = (r: JsonReport) => formatDuration(r.labs.reduce((s, l) => s + l.durationMs, 0))
const three = report([inCell(vmError, C)], 200_000, 3_000, false)

t.test('a row per lab, a column per cell; pass, FAIL and error with their reasons; not run', async (t) => {
  const page = matrixMarkdown([{ name: 'one.json', report: one }, { name: 'two.json', report: two }, { name: 'three.json', report: three }], {
    notes: ['Load average 4–11 on 2 CPUs.'],
  })
  const lines = page.split('\n')
  t.equal(lines[0], '# The kernel matrix')
  t.match(page, /^2 labs × 3 cells, run 2023-11-14 with nslab 0\.1\.0: 0 of 3 cells passed every lab\.$/m)
  t.match(page, /^Load average 4–11 on 2 CPUs\.$/m, 'the note, as given')
  t.ok(page.indexOf('Load average') > page.indexOf('| cell |'), 'after the tables')
  t.ok(lines.includes('| lab | [1] debian:bookworm nft | [2] debian:trixie legacy | [3] debian:sid nft |'))
  // Rows in the order of their files; the reasons numbered as they appear.
  t.ok(lines.includes('| labs/pass.md | pass | pass | **error** (1) |'))
  t.ok(lines.includes(`| ${failLab.file} | **FAIL** (2) | **FAIL** (3) | not run |`), 'fail in two cells; not in the third report')
  const check = failLab.blocks.find((b) => b.status === 'fail')!.checks!.find((c) => !c.ok)!
  t.ok(lines.includes(`2. \`${failLab.file}\` in [1]: line ${check.check.line}: \`${check.check.source}\`: ${check.sentence}`), 'the failed check, its line and what was seen')
  t.ok(lines.includes(`1. \`labs/pass.md\` in [3]: ${C}: the VM did not boot: its CPU triple-faulted \\| reset`), "the error's first line, | escaped")
  t.match(page, /"not run": no report given has this lab in this cell\./)
  t.ok(lines.includes(`| [1] | debian:bookworm iptables-nft | \`6.1.0-56-amd64\` | iptables v1.8.9 (nf_tables) | 1/2 | ${formatLabs(one)} |`), 'what the guest said of itself')
  t.ok(lines.includes(`| [2] | debian:trixie iptables-legacy | \`6.12.118+deb13-amd64\` | iptables v1.8.11 (legacy) | 1/2 | ${formatLabs(two)} |`))
  t.ok(lines.includes(`| [3] | debian:sid iptables-nft | did not boot | — | 0/1 | ${formatLabs(three)} |`))
  t.ok(lines.includes('| one.json | 2023-11-14 22:13 | [1] | 2 | 1 min 5 s |'), 'each run: when, which cells, its wall time')
  t.ok(lines.includes('| two.json | 2023-11-14 22:14 | [2] | 2 | 2 min 5 s |'))
  t.ok(lines.includes('| three.json | 2023-11-14 22:16 | [3] | 1 | 3.0 s (cut short) |'))
  t.ok(
    lines.includes(`    nslab run labs/pass.md ${failLab.file} --kernel debian:bookworm --kernel debian:trixie --kernel debian:sid --iptables nft --iptables legacy`),
    'the command that runs it all again',
  )
})

t.test('a pair run again (a re-run after a fix): its last run counts, the failures before it are kept', async (t) => {
  const fixed = report([inCell(passLab, A), inCell({ ...failLab, status: 'pass', durationMs: 5000 }, A)], 300_000, 20_000)
  const page = matrixMarkdown([{ name: 'one.json', report: one }, { name: 'again.json', report: fixed }])
  const lines = page.split('\n')
  t.match(page, /1 of 1 cell passed every lab\./)
  t.ok(lines.includes(`| ${failLab.file} | pass, after **FAIL** (1) |`), lines.join('\n'))
  t.ok(lines.includes('| labs/pass.md | pass |'))
  t.match(page, new RegExp(`^1\\. \`${failLab.file.replace(/\./g, '\\.')}\` in \\[1\\] \\(an earlier run\\): line \\d+`, 'm'))
  t.ok(lines.includes(`| [1] | debian:bookworm iptables-nft | \`6.1.0-56-amd64\` | iptables v1.8.9 (nf_tables) | 2/2 | ${formatLabs(fixed)} |`), 'the time of the last runs')
})

t.test('a cell that passed everything, and a failed step (not a check) as the reason', async (t) => {
  const page = matrixMarkdown([{ name: 'p.json', report: report([inCell(passLab, A)], 0, 1000) }])
  t.match(page, /1 lab × 1 cell, run \S+ with nslab 0\.1\.0: 1 of 1 cell passed every lab\./)
  t.notMatch(page, /Why:|not run/)
  const step = report([inCell(failLab, A)], 0, 1000).labs[0]!
  const b = step.blocks.find((x) => x.status === 'fail')!
  b.checks = []
  b.message = 'exit status 1 (expected 0)\nmore'
  t.equal(whyNot(step), `line ${b.line} (${b.label}): exit status 1 (expected 0)`)
  b.exec = { machine: 'host', command: 'sleep 99', exitCode: null, signal: 'SIGKILL', output: '', outputTruncated: false, durationMs: 1, timedOut: true }
  t.match(whyNot(step), /: timed out$/)
})


// ── reports a real matrix wrote ──────────────────────────────────────────

const FIXTURES = join(ROOT, 'test/fixtures/matrix')
const captured = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((name) => ({ name, report: JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as JsonReport }))

t.test('captured reports: every lab of every cell, as the guests reported them', async (t) => {
  t.ok(captured.length > 0, 'the fixtures are there')
  const page = matrixMarkdown(captured)
  const lines = page.split('\n')
  const header = lines.find((l) => l.startsWith('| lab |'))!
  const columns = header.split('|').length - 3
  for (const { report: r } of captured) {
    for (const lab of r.labs) {
      const row = lines.find((l) => l.startsWith(`| ${lab.file} |`))
      t.ok(row, `a row for ${lab.file}`)
      const marks = row!.split('|').slice(2, -1).map((s) => s.trim())
      t.equal(marks.length, columns)
      const mark = lab.status === 'pass' ? 'pass' : lab.status === 'fail' ? '**FAIL**' : '**error**'
      t.ok(marks.some((m) => m.startsWith(mark)), `${lab.file} in ${lab.cell}: ${lab.status}`)
      if (lab.status !== 'pass') {
        const why = lines.find((l) => /^\d+\. /.test(l) && l.includes(`\`${lab.file}\` in [`))
        const failed = lab.blocks.find((b) => b.status === 'fail')!.checks.find((c) => !c.ok)!
        t.ok(why?.endsWith(`line ${failed.line}: \`${failed.source}\`: ${failed.sentence}`), `why ${lab.file} failed: ${why}`)
      }
      // What the guest said of itself: its uname -r and iptables version, in the table of cells.
      const [, release, , version] = /^(\S+) (\S+) (iptables-\S+) (v\S+)$/.exec(lab.cell!)!.slice(1)
      t.match(page, new RegExp(`\\| \`${release!.replace(/[.+]/g, '\\$&')}\` \\| iptables ${version!.replace(/\./g, '\\.')} \\(`), `${lab.cell}: uname -r and iptables -V`)
    }
  }
})

// ── the command ──────────────────────────────────────────────────────────

const dir = mkdtempSync(join(tmpdir(), 'nslab-matrix-md-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const merge = reportMerge

t.test('nslab report merge --markdown FILE --note TEXT: the page, the same as the renderer makes', async (t) => {
  writeFileSync(join(dir, 'one.json'), JSON.stringify(one))
  writeFileSync(join(dir, 'two.json'), JSON.stringify(two))
  const md = join(dir, 'docs/matrix.md')
  const r = merge([join(dir, 'one.json'), join(dir, 'two.json'), '--markdown', md, '--note', 'first', '--note', 'second'])
  t.equal(r.code, 1, `a failed lab: exit 1, as without --markdown\n${r.stderr}`)
  t.equal(readFileSync(md, 'utf8'), matrixMarkdown([{ name: 'one.json', report: one }, { name: 'two.json', report: two }], { notes: ['first', 'second'] }))
  const noPage = merge([join(dir, 'one.json'), '--note', 'x'])
  t.equal(noPage.code, 2, '--note without --markdown is a usage error')
  t.match(noPage.stderr, /--note goes on the Markdown page/)
  const stdout = merge([join(dir, 'one.json'), '--markdown', '-'])
  t.equal(stdout.code, 2, 'the page goes to a file')
})
