// Nothing keeps nslab alive after its work: no stray timer, no open handle.
// Each command here is timed from the moment its last line arrives to the
// moment the process exits (a gap, not an absolute time), beside the same gap
// of a bare `node -e 'console.log(1)'` measured just before: on a busy
// machine Node's own exit takes longer, and that is not nslab's doing.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { CLI, requireBuild, ROOT } from '../helpers/learner-cli.js'

requireBuild()
const dir = mkdtempSync(join(tmpdir(), 'nslab-exit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** Run nslab; the ms between the chunk of stdout that ends with `last` and the exit. */
function gapAfter(args: string[], last: RegExp, argv: string[] = [CLI]): Promise<{ gapMs: number; code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...argv, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let seen: number | undefined
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (seen === undefined && last.test(out)) seen = performance.now()
    })
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => resolve({ gapMs: performance.now() - (seen ?? performance.now()), code, out }))
  })
}

/** Node's own gap between its last line and its exit, now (the lowest of three). */
async function nodeGap(): Promise<number> {
  const gaps: number[] = []
  for (let i = 0; i < 3; i++) gaps.push((await gapAfter([], /1\n/, ['-e', 'console.log(1)'])).gapMs)
  return Math.min(...gaps)
}

/**
 * nslab's gap is within 100 ms of node's own: the lowest of three runs each
 * (a busy machine adds to some runs; a timer that keeps nslab alive adds to all).
 */
async function quick(t: Test, what: string, again: () => Promise<{ gapMs: number }>, first: number): Promise<void> {
  const gaps = [first, (await again()).gapMs, (await again()).gapMs]
  const gap = Math.min(...gaps)
  const base = await nodeGap()
  t.ok(gap - base < 100, `${what} exited ${gap.toFixed(0)} ms after its last line (node's own exit: ${base.toFixed(0)} ms; runs: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms)`)
}

const lab = join(dir, 'tiny.md')
writeFileSync(
  lab,
  ['---', 'title: tiny', 'topology:', '  docker: true', '  containers: [box1]', '---', '', '```sh step', 'ip -br link', '```', '', '```check', 'ping box1 host', '```', ''].join('\n'),
)

t.test('nslab run exits at once after its summary', async (t) => {
  const r = await gapAfter(['run', lab], /1 lab: 1 passed.*\n/)
  t.equal(r.code, 0, r.out)
  await quick(t, 'nslab run', () => gapAfter(['run', lab], /1 lab: 1 passed.*\n/), r.gapMs)
})

t.test('nslab run with a failing lab and a background step exits at once too', async (t) => {
  const failing = join(dir, 'failing.md')
  writeFileSync(failing, ['---', 'title: failing', '---', '', '```sh step background', 'sleep 30', '```', '', '```sh step', 'false', '```', ''].join('\n'))
  const r = await gapAfter(['run', failing], /1 lab: 0 passed, 1 failed.*\n/)
  t.equal(r.code, 1, r.out)
  await quick(t, 'nslab run (failing)', () => gapAfter(['run', failing], /1 lab: 0 passed, 1 failed.*\n/), r.gapMs)
})

t.test('nslab lint and --version exit at once', async (t) => {
  const l = await gapAfter(['lint', lab], /valid\n/)
  t.equal(l.code, 0, l.out)
  await quick(t, 'nslab lint', () => gapAfter(['lint', lab], /valid\n/), l.gapMs)
  const v = await gapAfter(['--version'], /\d+\.\d+\.\d+\n/)
  await quick(t, 'nslab --version', () => gapAfter(['--version'], /\d+\.\d+\.\d+\n/), v.gapMs)
})

t.test('nslab grade exits at once after its summary (its workers closed)', async (t) => {
  const subs = join(dir, 'class')
  cpSync(join(ROOT, 'test/fixtures/submissions/snat-mini/alice'), join(subs, 'alice'), { recursive: true })
  const r = await gapAfter(['grade', join(ROOT, 'test/fixtures/grade-labs/snat-mini.md'), join(subs, 'alice')], /graded in .*\n/)
  t.equal(r.code, 0, r.out)
  await quick(t, 'nslab grade', () => gapAfter(['grade', join(ROOT, 'test/fixtures/grade-labs/snat-mini.md'), join(subs, 'alice')], /graded in .*\n/), r.gapMs)
})
