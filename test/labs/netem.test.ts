// labs/netem.md needs the kernel module sch_netem. On a machine whose kernel
// lacks it (this one: CONFIG_NET_SCH_NETEM is not set), `nslab run` of the
// lab alone exits 3 with one sentence saying how to run it; in a run of
// several labs it is skipped with that sentence, in every report, and the run
// does not fail. (On a kernel with netem, test/vm/vm-netem.test.ts runs it.)
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import t from 'tap'
import { learner, requireBuild } from '../helpers/learner-cli.js'

const config = existsSync('/proc/config.gz') ? execFileSync('zcat', ['/proc/config.gz'], { encoding: 'utf8' }) : ''
const lacksNetem = /^# CONFIG_NET_SCH_NETEM is not set$/m.test(config) && !existsSync('/sys/module/sch_netem')
const skip = lacksNetem ? false : "this machine's kernel has netem (or says nothing of it): the lab runs here"

const SENTENCE = (file: string) =>
  `${file} needs the kernel module sch_netem (CONFIG_NET_SCH_NETEM), which this machine's kernel (Linux ${release()}) lacks: run it in a VM on a kernel that has it, nslab run --kernel debian:bookworm ${file}`

const TINY = `---
title: Tiny
---

\`\`\`sh step
ip -br link show lo
\`\`\`

\`\`\`check
exit 0
\`\`\`
`

t.test('the lab alone: exit 3, one sentence saying how to run it', { skip }, async (t) => {
  requireBuild()
  const l = learner()
  t.teardown(() => l.cleanup())
  const run = l.nslab(['run', 'labs/netem.md'])
  t.equal(run.code, 3, run.stderr)
  t.equal(run.stderr, `nslab: ${SENTENCE('labs/netem.md')}\n`)
  t.equal(run.stdout, '', 'nothing run, nothing reported')
  const byName = l.nslab(['run', 'netem'])
  t.equal(byName.code, 3, 'by its name too')
  const prove = l.nslab(['prove', 'labs/netem.md'])
  t.equal(prove.code, 3, prove.stderr)
  t.equal(prove.stderr, `nslab: ${SENTENCE('labs/netem.md')}\n`)
  const up = l.nslab(['up', 'labs/netem.md'])
  t.equal(up.code, 3, up.stderr)
  t.match(up.stderr, /^nslab: \S*labs\/netem\.md needs the kernel module sch_netem \(CONFIG_NET_SCH_NETEM\), [^\n]*nslab run --kernel debian:bookworm \S*labs\/netem\.md\n$/)
  t.same(l.sessions(), {}, 'nslab up left no session behind')
  const lint = l.nslab(['lint', 'labs/netem.md'])
  t.equal(lint.code, 0, 'it lints: a kernel need is no mistake')
})

t.test('with a lab that passes: netem skipped with the sentence, the run passes', { skip }, async (t) => {
  requireBuild()
  const l = learner()
  const dir = mkdtempSync(join(tmpdir(), 'nslab-netem-'))
  t.teardown(() => {
    l.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })
  copyFileSync('labs/netem.md', join(dir, 'netem.md'))
  writeFileSync(join(dir, 'tiny.md'), TINY)
  const netem = join(dir, 'netem.md')
  const json = join(dir, 'run.json')
  const junit = join(dir, 'run.xml')
  const run = l.nslab(['run', dir, '--json', json, '--junit', junit], { timeoutMs: 120_000 })
  t.equal(run.code, 0, `${run.stdout}\n${run.stderr}`)
  t.match(run.stdout, `  - ${SENTENCE(netem)}\n- ${netem}  skipped\n`)
  t.match(run.stdout, /✓ \S+tiny\.md {2}2 blocks passed/)
  t.match(run.stdout, /^2 labs: 1 passed, 1 skipped {2}\(/m)
  const report = JSON.parse(readFileSync(json, 'utf8')) as { summary: { labs: Record<string, number> }; labs: { file: string; status: string; skipped?: string; blocks: unknown[] }[] }
  t.same(
    report.labs.map((x) => [x.file, x.status]),
    [
      [netem, 'skip'],
      [join(dir, 'tiny.md'), 'pass'],
    ],
  )
  t.equal(report.labs[0]!.skipped, SENTENCE(netem))
  t.same(report.labs[0]!.blocks, [], 'no block of it ran')
  t.match(report.summary.labs, { total: 2, passed: 1, failed: 0, errors: 0, skipped: 1 })
  const schema = JSON.parse(readFileSync('docs/report.schema.json', 'utf8')) as object
  const validate = new Ajv2020Module.default({ strict: true, allErrors: true, validateFormats: false }).compile(schema)
  t.ok(validate(report), `valid against docs/report.schema.json: ${JSON.stringify(validate.errors)}`)
  const xml = readFileSync(junit, 'utf8')
  t.match(xml, `<skipped message="${SENTENCE(netem).replace(/'/g, '&apos;')}"/>`)

  const tap = l.nslab(['run', dir, '--reporter', 'tap'], { timeoutMs: 120_000 })
  t.equal(tap.code, 0, tap.stderr)
  t.match(tap.stdout, `ok 1 - ${netem} # SKIP ${SENTENCE(netem)}`)
  t.match(tap.stdout, /^ok 2 - \S+tiny\.md # time=/m)

  const prove = l.nslab(['prove', dir], { timeoutMs: 120_000 })
  t.equal(prove.code, 0, `${prove.stdout}\n${prove.stderr}`)
  t.match(prove.stdout, `- skipped: ${SENTENCE(netem)}\n`)
  t.match(prove.stdout, /1 check block tried in 1 lab: 1 can fail, 0 cannot/)
})
