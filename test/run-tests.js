#!/usr/bin/env node
// Runs the tap suite and ends with the line CI reads: "N passed, N failed".
// Arguments go to tap (e.g. a test file to run alone).
import { spawn } from 'node:child_process'

const tap = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', '-R', 'tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let tail = ''
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  tail = (tail + chunk.toString()).slice(-4096)
})
tap.on('close', (code, signal) => {
  // tap's own summary: "# { total: 120, pass: 118, fail: 2, skip: 1 }" (fields vary)
  const all = [...tail.matchAll(/^# \{ total: (\d+)(.*)\}$/gm)]
  const last = all[all.length - 1]
  const field = (name) => Number(new RegExp(`${name}: (\\d+)`).exec(last?.[2] ?? '')?.[1] ?? 0)
  const passed = field('pass')
  let failed = field('fail')
  if (!last || (code !== 0 && failed === 0)) failed += 1 // a crash or a failed file without counted assertions
  process.stdout.write(`\n${passed} passed, ${failed} failed${field('skip') ? `, ${field('skip')} skipped` : ''}\n`)
  process.exitCode = code ?? (signal ? 1 : 0)
})
