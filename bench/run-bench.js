#!/usr/bin/env node
// `nslab run labs/` against the same commands as one plain bash script per
// lab, in one run: the script builds the same lab host (the very commands
// nslab's sandbox runs), then runs every step and every command the checks ran
// (read back from nslab's JSON report), in order, with no node and no retries.
// Also: the three labs with -j 3, the runner's peak memory, and start-up time.
// Everything runs inside namespaces of its own.
//   npm run build && node bench/run-bench.js [rounds]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadValidLabs } from '../dist/runner/lab/load-labs.js'
import { sandboxScript } from '../dist/runner/host/sandbox-script.js'
import { netnsPath } from '../dist/runner/host/sandbox-paths.js'
import { sandboxOwner } from '../dist/runner/host/sandbox.js'
import { shellQuote } from '../dist/runner/util/shell-quote.js'

const ROUNDS = Number(process.argv[2] ?? 3)
const ROOT = new URL('..', import.meta.url).pathname
const CLI = join(ROOT, 'dist/bin/nslab.js')
const dir = mkdtempSync(join(tmpdir(), 'nslab-run-bench-'))
const labs = loadValidLabs([join(ROOT, 'labs')])

function timed(cmd, args, input) {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 })
  return { ms: performance.now() - t0, r }
}

const on = (machine, script) => {
  const ns = netnsPath(machine)
  const run = `bash -e -o pipefail -c ${shellQuote(script)}`
  return machine === 'host' ? run : `nsenter --net=${ns} ${run}`
}

/** One bash script doing what nslab did for this lab. */
function plainScript(lab, report) {
  const base = sandboxScript({ topology: lab.topology, persistent: false, hostname: 'bench' })
  const lines = [base.replace(/echo ready\nread -r _ \|\| true\n$/, ''), 'set +e', 'cd /root']
  const results = report.labs[0].blocks
  for (const block of lab.blocks) {
    if (block.kind === 'script') lines.push(`${on(block.on, block.content)} >/dev/null 2>&1 </dev/null${block.background ? ' &' : ''}`)
    if (block.kind === 'check') {
      const r = results.find((b) => b.line === block.line)
      for (const c of r?.checks ?? []) for (const e of c.evidence) lines.push(`${on(e.machine, e.command)} >/dev/null 2>&1`)
    }
  }
  return lines.join('\n')
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const nslabTimes = []
const plainTimes = []
const parallelTimes = []
const rss = []
for (let round = 0; round < ROUNDS; round++) {
  // nslab, one lab after another, with its JSON report for the plain script.
  const json = join(dir, `r${round}.json`)
  const n = timed('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'run', 'labs', '--json', json])
  if (n.r.status !== 0) throw new Error(`nslab run failed:\n${n.r.stdout}\n${n.r.stderr}`)
  nslabTimes.push(n.ms)
  rss.push(Number(n.r.stderr.trim().split('\n').pop()) / 1024)
  const report = JSON.parse(readFileSync(json, 'utf8'))
  let plain = 0
  for (const lab of labs) {
    const one = { labs: report.labs.filter((l) => l.file.endsWith(lab.file.replace(/^.*\//, ''))) }
    const script = plainScript(lab, one)
    // As root, as the uid nslab's sandboxes run as: the lab's commands must not reach the machine's files.
    const owner = sandboxOwner()
    const pre = owner === undefined ? [] : ['setpriv', `--reuid=${owner}`, `--regid=${owner}`, '--clear-groups', '--']
    const p = timed(pre[0] ?? 'unshare', [...pre.slice(1), ...(pre.length ? ['unshare'] : []), '--user', '--map-root-user', '--mount', '--net', '--pid', '--uts', '--fork', '--kill-child', '--mount-proc', 'bash', '-s'], script)
    plain += p.ms
  }
  plainTimes.push(plain)
  const par = timed(process.execPath, [CLI, 'run', 'labs', '-j', '3'])
  if (par.r.status !== 0) throw new Error(`nslab run -j 3 failed:\n${par.r.stdout}`)
  parallelTimes.push(par.ms)
}
const version = []
for (let i = 0; i < 20; i++) version.push(timed(process.execPath, [CLI, '--version']).ms)
const bare = []
for (let i = 0; i < 20; i++) bare.push(timed(process.execPath, ['-e', '0']).ms)

const s = (ms) => `${(ms / 1000).toFixed(2)} s`
console.log(`labs/ (${labs.length} labs), ${ROUNDS} rounds, medians:`)
console.log(`  nslab run labs/          ${s(median(nslabTimes))}`)
console.log(`  the same as plain bash   ${s(median(plainTimes))}   (nslab / bash = ${(median(nslabTimes) / median(plainTimes)).toFixed(2)}×)`)
console.log(`  nslab run labs/ -j 3     ${s(median(parallelTimes))}`)
console.log(`  peak memory (max RSS)    ${median(rss).toFixed(0)} MB`)
console.log(`  nslab --version          ${median(version).toFixed(0)} ms   (node -e 0: ${median(bare).toFixed(0)} ms)`)
