#!/usr/bin/env node
// How long `nslab check` takes on a lab that is up, when the current task's
// checks pass: the whole command, as a learner runs it (a new node process,
// the session read, the checks run on the lab host, the verdict and the next
// task printed). Usage: node bench/learner-check-bench.js [runs]   (build first)
//
// Each run puts the session back before the task it measures, so every run
// judges the same task and passes it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'dist/bin/nslab.cjs')
const RUNS = Number(process.argv[2] ?? 20)
const state = mkdtempSync(join(tmpdir(), 'nslab-bench-'))
const env = { ...process.env, NSLAB_STATE_DIR: state, NO_COLOR: '1' }

function nslab(args) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8' })
  return { ms: performance.now() - t0, code: r.status, stdout: r.stdout, stderr: r.stderr }
}

// CPU time (user + sys, the process and what it waited for) says what the
// command costs when other processes share the CPUs; wall time what it takes.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

function time(label, argv, before = () => {}) {
  const ms = []
  const cpu = []
  for (let i = 0; i < RUNS; i++) {
    before()
    const run = TIME ? [TIME, '-f', '@@cpu %U %S', ...argv] : argv
    const t0 = performance.now()
    const r = spawnSync(run[0], run.slice(1), { cwd: ROOT, env, encoding: 'utf8' })
    ms.push(performance.now() - t0)
    const c = /@@cpu ([\d.]+) ([\d.]+)/.exec(r.stderr)
    if (c) cpu.push((Number(c[1]) + Number(c[2])) * 1000)
    if (r.status !== 0 && !(argv.includes('check') && r.status === 1) && !/exited with non-zero status 1/.test(r.stderr)) throw new Error(`${label}: exit ${r.status}\n${r.stderr}`)
    if (argv.includes('check') && !/✓ Task/.test(r.stdout)) throw new Error(`${label}: the task did not pass:\n${r.stdout}`)
  }
  const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]
  return { label, median: q(ms, 0.5), p90: q(ms, 0.9), min: q(ms, 0), max: q(ms, 1), cpu: cpu.length ? q(cpu, 0.5) : undefined }
}

function setPassed(name, passed) {
  const f = join(state, `${name}.json`)
  const s = JSON.parse(readFileSync(f, 'utf8'))
  s.passed = passed
  writeFileSync(f, JSON.stringify(s))
}

const rows = []
try {
  for (const [name, file] of [['snat', 'labs/snat-outbound.md'], ['tiny', 'test/fixtures/labs-learner/tiny.md']]) {
    const up = nslab(['up', file, '--name', name])
    if (up.code !== 0) throw new Error(`nslab up ${file}: ${up.stderr}`)
  }
  // SNAT task 2 counts box1's packets: send some once, as the learner would.
  nslab(['shell', 'snat', '--', 'ip netns exec box1 ping -c 1 internet >/dev/null'])
  const node = [process.execPath]
  rows.push(time('node -e 0 (Node.js start, for scale)', [...node, '-e', '0']))
  rows.push(time('nslab --version', [...node, CLI, '--version']))
  rows.push(time('nslab check: tiny task 1 (1 check: sh)', [...node, CLI, 'check', 'tiny'], () => setPassed('tiny', [])))
  rows.push(time('nslab check: SNAT task 2 (1 check: rule min-packets)', [...node, CLI, 'check', 'snat'], () => setPassed('snat', [0])))
  rows.push(time('nslab check: SNAT task 1 (5 checks: route, sysctl, rule, policy, no ping)', [...node, CLI, 'check', 'snat'], () => setPassed('snat', [])))
} finally {
  nslab(['down', '--all'])
  rmSync(state, { recursive: true, force: true })
}

const f = (ms) => `${Math.round(ms)} ms`
console.log(`${RUNS} runs each; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}\n`)
console.log('| what | median | p90 | min | max | CPU (median) |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
for (const r of rows) console.log(`| ${r.label} | ${f(r.median)} | ${f(r.p90)} | ${f(r.min)} | ${f(r.max)} | ${r.cpu === undefined ? '' : f(r.cpu)} |`)
