// Parses a 5 MB lab (sections of the shipped labs repeated) several times
// and reports the median. Run after a build: npm run build && node bench/parse-bench.js
// Options: --mb N (size, default 5), --runs N (default 7).

import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseLab } from '../dist/runner/lab/parse-lab.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const MB = arg('mb', 5)
const RUNS = arg('runs', 7)

/** The body of a lab: all after its front matter. */
const bodyOf = (text) => text.replace(/^---\n[\s\S]*?\n---\n/, '')

const sources = [join(root, 'labs'), join(root, 'test/fixtures/labs/valid')]
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.md') && !/readme|crlf|bom/i.test(f)).map((f) => join(d, f)))
  .sort()
const bodies = sources.map((f) => bodyOf(readFileSync(f, 'utf8')))

// Every shipped lab's body, with each machine name it uses, under one topology
// holding them all; repeated until the size is reached.
const front = `---
title: A 5 MB lab
timeout: 20s
topology:
  docker: true
  containers:
    box1:
    box2:
    box3:
    a:
    b:
    c:
    web:
      publish: ["8080:80"]
  internet: true
---
`
// Solutions repeat: their own ids would clash, the default ones (exercise-N) do not.
const section = bodies.join('\n').replace(/ id=\S+/g, '') + '\n'
let text = front
while (text.length < MB * 1024 * 1024) text += section
const first = parseLab(text, 'big.md')
if (!first.lab) {
  console.error(first.problems.slice(0, 5).map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'))
  console.error('the generated lab is not valid: fix the bench (its topology must hold every name the labs use)')
  process.exit(1)
}

// Wall time is what a user waits; CPU time (all threads of the process) says
// how much of it was the parser when other processes share the machine.
const times = []
const cpus = []
for (let i = 0; i < RUNS; i++) {
  const cpu = process.cpuUsage()
  const start = performance.now()
  parseLab(text, 'big.md')
  times.push(performance.now() - start)
  const used = process.cpuUsage(cpu)
  cpus.push((used.user + used.system) / 1000)
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const sorted = [...times].sort((a, b) => a - b)
const mb = (Buffer.byteLength(text) / 1024 / 1024).toFixed(1)
console.log(
  `parseLab: ${mb} MB, ${text.split('\n').length} lines, ${first.lab.blocks.length} blocks: ` +
    `median ${median(times).toFixed(0)} ms of ${RUNS} runs (min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)}; ` +
    `CPU median ${median(cpus).toFixed(0)} ms) on Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`,
)
