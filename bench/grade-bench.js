#!/usr/bin/env node
// Grading benchmark: N submissions of the SNAT lab (labs/snat-outbound.md),
// generated in a temporary folder — right, partly right and wrong answers —
// graded by `nslab grade` with -j JOBS; prints the wall time, the CPU time of
// the whole process tree, and the class's scores. Results: bench/README.md.
//
//   npm run build && node bench/grade-bench.js [--count 100] [--jobs N] [--lab labs/snat-outbound.md] [--cli PATH]
//
// --cli: the nslab to time (default: this checkout's bundle), e.g. an earlier
// version's dist/runner/cli.js for a before/after.
//
// Without --jobs, nslab grade's own default (8 per CPU, bounded by memory).
//
// Run it as root to measure what a workshop runs (isolated graders in cgroups).
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const root = new URL('..', import.meta.url).pathname
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100' },
    jobs: { type: 'string' },
    lab: { type: 'string', default: join(root, 'labs/snat-outbound.md') },
    cli: { type: 'string', default: join(root, 'dist/bin/nslab.cjs') },
  },
})
const count = Number(values.count)
const jobs = values.jobs === undefined ? undefined : Number(values.jobs)

// The SNAT lab's two exercises: open FORWARD, then Docker's way.
const RIGHT = {
  'exercise-1.sh': 'iptables -P FORWARD ACCEPT\n',
  'exercise-2.sh':
    'iptables -P FORWARD DROP\niptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT\niptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n',
}
const PARTLY = {
  'exercise-1.sh': RIGHT['exercise-1.sh'],
  // Forgets the replies: box1's packets go out, the answers die in FORWARD.
  'exercise-2.sh': 'iptables -P FORWARD DROP\niptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n',
}
const WRONG = {
  'exercise-1.sh': 'iptables -t nat -A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE\n',
  'exercise-2.sh': 'iptables -P FORWARD DROP\n',
}

const dir = mkdtempSync(join(tmpdir(), 'nslab-grade-bench-'))
const subs = []
for (let i = 0; i < count; i++) {
  // 60% right, 25% partly right, 15% wrong, interleaved as a class would be.
  const kind = i % 20 < 12 ? RIGHT : i % 20 < 17 ? PARTLY : WRONG
  const d = join(dir, `learner-${String(i + 1).padStart(3, '0')}`)
  mkdirSync(d)
  for (const [f, text] of Object.entries(kind)) writeFileSync(join(d, f), text)
  subs.push(d)
}
const csv = join(dir, 'gradebook.csv')

const t0 = performance.now()
const child = spawn(process.execPath, [values.cli, 'grade', values.lab, ...subs, ...(jobs ? ['-j', String(jobs)] : []), '--csv', csv], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let out = ''
child.stdout.on('data', (c) => (out += c))
const code = await new Promise((r) => child.on('close', r))
const wallMs = performance.now() - t0
// CPU time of nslab and every process it waited for (workers, sandboxes, learners' scripts):
// cutime and cstime of /proc/self/stat, in clock ticks (100 a second on Linux).
const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
const childCpuSeconds = (Number(stat[13]) + Number(stat[14])) / 100
const rows = readFileSync(csv, 'utf8').trim().split('\r\n').slice(1)
const byStatus = {}
for (const r of rows) {
  const status = r.split(',')[6] ?? '?'
  byStatus[status] = (byStatus[status] ?? 0) + 1
}
const result = {
  lab: values.lab.replace(root, ''),
  submissions: count,
  jobs: jobs ?? `default (${/(\d+) at a time/.exec(out)?.[1] ?? '?'})`,
  cores: cpus().length,
  exit: code,
  wallSeconds: +(wallMs / 1000).toFixed(1),
  perSubmissionSeconds: +(wallMs / 1000 / count).toFixed(2),
  graded: rows.length,
  byStatus,
  cpuSecondsOfChildren: +childCpuSeconds.toFixed(1),
}
process.stdout.write(out.split('\n').slice(-4).join('\n') + '\n')
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
rmSync(dir, { recursive: true, force: true })
