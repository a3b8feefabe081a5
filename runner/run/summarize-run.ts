import type { LabResult } from './run-event.js'

export interface RunSummary {
  labs: { total: number; passed: number; failed: number; errors: number; skipped: number }
  blocks: { total: number; passed: number; failed: number; skipped: number }
  checks: { total: number; passed: number; failed: number }
}

/** Counts of labs, blocks and check lines by outcome. */
export function summarizeRun(results: LabResult[]): RunSummary {
  const s: RunSummary = {
    labs: { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0 },
    blocks: { total: 0, passed: 0, failed: 0, skipped: 0 },
    checks: { total: 0, passed: 0, failed: 0 },
  }
  for (const lab of results) {
    s.labs.total++
    if (lab.status === 'pass') s.labs.passed++
    else if (lab.status === 'fail') s.labs.failed++
    else if (lab.status === 'skip') s.labs.skipped++
    else s.labs.errors++
    for (const b of lab.blocks) {
      s.blocks.total++
      if (b.status === 'pass') s.blocks.passed++
      else if (b.status === 'fail') s.blocks.failed++
      else s.blocks.skipped++
      for (const c of b.checks ?? []) {
        s.checks.total++
        if (c.ok) s.checks.passed++
        else s.checks.failed++
      }
    }
  }
  return s
}
