// The catalogue labs (issue 19) through nslab's real command line: each one
// is a lab a learner can do (a summary saying how long by hand, an exercise
// with a solution and a hint), passes `nslab run` well inside its 30 s, and
// every check block of it can fail (`nslab prove`).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Lab } from '../../runner/lab/lab.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { kernelLacks } from '../../runner/host/kernel-features.js'
import { failedLines } from '../helpers/failed-lines.js'

const ROOT = new URL('../..', import.meta.url).pathname
const CLI = join(ROOT, 'dist/bin/nslab.cjs')

/** The labs of the catalogue that today's lab format expresses; the shipped three are run by test/cli/cli-run.test.ts. */
const CATALOGUE = ['labs/kube-proxy-service.md', 'labs/conntrack.md', 'labs/nftables.md', 'labs/user-defined-networks.md', 'labs/publish-variants.md', 'labs/icc-off.md', 'labs/netns-from-scratch.md', 'labs/two-hosts.md']
/**
 * Catalogue labs that need a kernel module (front matter `kernel:`): run with
 * the others, they pass where the kernel has it and are skipped where it does
 * not (this machine's lacks sch_netem); test/vm/vm-netem.test.ts runs netem in a VM.
 */
const NEEDS_KERNEL = ['labs/netem.md']

function nslab(args: string[], timeout: number) {
  // env -u: tap hooks every node process a test starts; nslab runs as a user runs it.
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function labOf(file: string): Lab {
  const r = parseLab(readFileSync(join(ROOT, file)), file)
  if (!r.lab) throw new Error(`${file} does not parse: ${JSON.stringify(r.problems)}`)
  return r.lab
}

const dir = mkdtempSync(join(tmpdir(), 'nslab-catalogue-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('each catalogue lab says how long it takes by hand and has an exercise with a solution and a hint', async (t) => {
  for (const file of [...CATALOGUE, ...NEEDS_KERNEL]) {
    const lab = labOf(file)
    const minutes = /About (\d+) minutes by hand\.$/.exec(lab.summary ?? '')
    t.ok(minutes, `${file}: the summary ends with "About N minutes by hand."`)
    if (minutes) t.ok(Number(minutes[1]) >= 15 && Number(minutes[1]) <= 40, `${file}: ${minutes[1]} minutes is within 15–40`)
    const solutions = lab.blocks.flatMap((b, i) => (b.kind === 'script' && b.role === 'solution' ? [i] : []))
    t.ok(solutions.length >= 1, `${file}: at least one exercise`)
    for (const i of solutions) {
      const judged = lab.blocks.slice(i + 1).find((b) => b.kind === 'check')
      t.ok(judged && judged.kind === 'check' && judged.hint, `${file}:${lab.blocks[i]!.line}: the solution's check block has a hint`)
    }
  }
})

// How long each takes is bench/'s business (a timed test fails on a busy machine).
t.test('the catalogue labs pass (a lab whose kernel module this machine lacks: skipped, saying so)', async (t) => {
  const json = join(dir, 'run.json')
  const r = nslab(['run', ...CATALOGUE, ...NEEDS_KERNEL, '--json', json, '-j', '2'], 300_000)
  t.equal(r.code, 0, `exit 0\n${failedLines(r.stdout)}\n${r.stderr}`)
  const report = JSON.parse(readFileSync(json, 'utf8')) as { labs: { file: string; status: string; durationMs: number; skipped?: string }[] }
  const lacking = new Map(NEEDS_KERNEL.map((f) => [f, kernelLacks(labOf(f))]))
  t.same(
    report.labs.map((l) => [l.file, l.status]).sort(),
    [...CATALOGUE.map((f) => [f, 'pass']), ...NEEDS_KERNEL.map((f) => [f, lacking.get(f) ? 'skip' : 'pass'])].sort(),
  )
  for (const l of report.labs) if (lacking.get(l.file)) t.equal(l.skipped, lacking.get(l.file), `${l.file}: why it was skipped`)
})

t.test('nslab prove: every check block of the catalogue labs can fail', async (t) => {
  const r = nslab(['prove', ...CATALOGUE, ...NEEDS_KERNEL, '-j', '2'], 600_000)
  t.equal(r.code, 0, r.stdout.split('\n').filter((l) => l.startsWith('✗')).join('\n') + r.stderr)
  const runnable = CATALOGUE.length + NEEDS_KERNEL.filter((f) => !kernelLacks(labOf(f))).length
  t.match(r.stdout, new RegExp(`in ${runnable} labs: \\d+ can fail, 0 cannot`))
})
