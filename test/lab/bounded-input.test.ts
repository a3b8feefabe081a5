// Bounded work on any input: every public entry point that reads lab text or
// a command's output is fed adversarial inputs of several MB (long lines,
// runs of one character, deep nesting, many blocks; see
// test/helpers/adversarial-cases.ts) and must answer within a generous bound,
// without a crash, a RangeError or "ran out of stack". The bug this guards
// against took 15 minutes; the bound is 20 s per case, for a loaded 2-core
// machine (each case takes well under a second alone).
//
// The cases run in a child process, one after another; one that does not end
// within the bound is killed, counted as failed, and the rest go on in a new
// child, so that a regression fails this test instead of hanging it.
// BOUNDED_ONLY=regex runs only the cases whose name matches; BOUNDED_LIMIT_MS
// changes the bound.

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { CASES } from '../helpers/adversarial-cases.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const BOUND_MS = Number(process.env.BOUNDED_LIMIT_MS ?? 20_000)
/** Starting a child (loading TypeScript) is not a case's time. */
const START_MS = 120_000

interface Outcome {
  name: string
  ms: number
  outcome?: string
  error?: string
}

/** One line per case as it ends, on stderr: a run that is itself stopped still shows what it saw. */
function progress(index: number, results: Map<number, Outcome>): void {
  const r = results.get(index)
  if (r && process.env.BOUNDED_PROGRESS) process.stderr.write(`${String(r.ms).padStart(7)} ms  ${r.name}: ${r.error ?? r.outcome}\n`)
}

/** Run the cases from `from` in one child until it ends or one case overruns. */
function runFrom(from: number, results: Map<number, Outcome>): Promise<number | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import=@tapjs/typescript/import', 'test/helpers/run-adversarial.ts', String(from)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
    let current = from
    let done = false
    let timer = setTimeout(() => overrun(), START_MS + BOUND_MS)
    const overrun = () => {
      results.set(current, { name: CASES[current]!.name, ms: BOUND_MS, error: `did not end within ${BOUND_MS / 1000} s: killed` })
      progress(current, results)
      child.kill('SIGKILL')
    }
    createInterface({ input: child.stdout }).on('line', (line) => {
      let v: { done?: boolean; index?: number } & Outcome
      try {
        v = JSON.parse(line)
      } catch {
        return
      }
      if (v.done) {
        done = true
        return
      }
      results.set(v.index!, { name: v.name, ms: v.ms, ...(v.outcome !== undefined ? { outcome: v.outcome } : {}), ...(v.error !== undefined ? { error: v.error } : {}) })
      progress(v.index!, results)
      current = v.index! + 1
      clearTimeout(timer)
      timer = setTimeout(() => overrun(), BOUND_MS)
    })
    child.on('close', () => {
      clearTimeout(timer)
      if (done || current >= CASES.length) return resolve(undefined)
      if (!results.has(current)) {
        results.set(current, { name: CASES[current]!.name, ms: 0, error: `the process ended during this case: ${stderr.trim().split('\n').slice(-3).join(' / ')}` })
      }
      resolve(current + 1)
    })
  })
}

// A minute of CPU in all: on a machine loaded many times over, more than tap's 900 s for a file.
t.setTimeout(1_800_000)

t.test('every entry point answers adversarial input of several MB within the bound', async (t) => {
  const results = new Map<number, Outcome>()
  let next: number | undefined = 0
  while (next !== undefined && next < CASES.length) next = await runFrom(next, results)
  const only = process.env.BOUNDED_ONLY ? new RegExp(process.env.BOUNDED_ONLY) : undefined
  const table: string[] = []
  CASES.forEach((c, i) => {
    if (only && !only.test(c.name)) return
    const r = results.get(i)
    if (!r) {
      t.fail(`${c.name}: no result`)
      return
    }
    table.push(`${String(r.ms).padStart(7)} ms  ${r.name}: ${r.error ?? r.outcome}`)
    t.ok(r.error === undefined && r.ms < BOUND_MS, `${c.name} (${r.ms} ms)`, { error: r.error, outcome: r.outcome })
  })
  t.comment(`\n${table.join('\n')}`)
})
