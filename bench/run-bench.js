#!/usr/bin/env node
// Whole commands on the shipped labs, start to exit, side by side in one
// hyperfine run: `nslab run labs/`, `nslab run labs/ -j 3`, `nslab prove labs/`
// and, with --before DIR, the same commands of another checkout (an earlier
// version, built). Also the runner's peak memory (max RSS of `nslab run`).
// The comparison with the same lab as a plain bash script (and cram, bats,
// txm) is bench/peers-bench.js: a hand-written script needs a lab whose every
// command is known, which a small lab gives exactly.
//   npm run build && node bench/run-bench.js [runs] [--before DIR]
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const args = process.argv.slice(2)
const RUNS = Number(args.find((a) => /^\d+$/.test(a)) ?? 3)
const beforeAt = args.indexOf('--before')
const BEFORE = beforeAt >= 0 ? args[beforeAt + 1] : undefined
const ROOT = new URL('..', import.meta.url).pathname
const CLI = join(ROOT, 'dist/bin/nslab.cjs')
const LABS = join(ROOT, 'labs')
const dir = mkdtempSync(join(tmpdir(), 'nslab-run-bench-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))

const cmds = [
  ['nslab run labs/', `node ${CLI} run ${LABS}`],
  ['nslab run labs/ -j 3', `node ${CLI} run ${LABS} -j 3`],
  ['nslab prove labs/', `node ${CLI} prove ${LABS}`],
]
if (BEFORE) {
  const old = ['dist/bin/nslab.cjs', 'dist/runner/cli.js'].map((p) => join(BEFORE, p)).find((p) => existsSync(p))
  if (!old) throw new Error(`no built nslab in ${BEFORE}`)
  // The same labs for both: today's (an earlier nslab may not know a newer key).
  cmds.push(['nslab run labs/ (before)', `node ${old} run ${LABS}`], ['nslab prove labs/ (before)', `node ${old} prove ${LABS}`])
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
console.log(`load average before: ${load()}`)
const json = join(dir, 'hyperfine.json')
const hf = spawnSync('hyperfine', ['-N', '--warmup', '1', '--runs', String(RUNS), '--export-json', json, ...cmds.flatMap(([n, c]) => ['-n', n, c])], {
  env: { ...process.env, NO_COLOR: '1' },
  stdio: ['ignore', 'inherit', 'inherit'],
})
if (hf.status !== 0) process.exit(hf.status ?? 1)
console.log(`load average after: ${load()}`)
const rss = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'run', LABS], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] }).stderr.trim()
const results = JSON.parse(readFileSync(json, 'utf8')).results
console.log('\n| what | median | min | max |\n| --- | ---: | ---: | ---: |')
for (const r of results) console.log(`| ${r.command} | ${r.median.toFixed(2)} s | ${r.min.toFixed(2)} s | ${r.max.toFixed(2)} s |`)
console.log(`\npeak memory of nslab run labs/ (max RSS): ${(Number(rss.split('\n').pop()) / 1024).toFixed(0)} MB`)
