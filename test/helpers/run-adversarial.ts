// Runs adversarial cases (test/helpers/adversarial-cases.ts) in order, from
// the index given as the first argument: one JSON line per case on stdout,
// {index, name, ms, outcome} or {index, name, ms, error}, as each ends.
// A case that never ends is the parent's to kill (test/bounded-input.test.ts).

import { CASES } from './adversarial-cases.js'

const from = Number(process.argv[2] ?? 0)
// A parent killed outright (the test's own timeout) cannot kill this process: it ends by itself between cases.
const parent = process.ppid
const only = process.env.BOUNDED_ONLY ? new RegExp(process.env.BOUNDED_ONLY) : undefined

for (let index = from; index < CASES.length; index++) {
  const c = CASES[index]!
  if (only && !only.test(c.name)) continue
  if (process.ppid !== parent) process.exit(1)
  const started = performance.now()
  let line: Record<string, unknown>
  try {
    const outcome = await c.run()
    // Short: an outcome that quotes a 4 MB input would make the parent's line reader (readline, which
    // scans its whole buffer again for each chunk that arrives) take seconds on a busy machine.
    const shown = typeof outcome === 'string' && outcome.length > 300 ? `${outcome.slice(0, 300)}… (${outcome.length} characters)` : outcome
    line = { index, name: c.name, ms: Math.round(performance.now() - started), outcome: shown }
  } catch (e) {
    const err = e as Error
    line = { index, name: c.name, ms: Math.round(performance.now() - started), error: `${err?.name}: ${String(err?.message).slice(0, 300)}` }
  }
  process.stdout.write(`${JSON.stringify(line)}\n`)
}
process.stdout.write(`${JSON.stringify({ done: true })}\n`)
