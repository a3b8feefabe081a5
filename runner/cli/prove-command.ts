import type { Lab } from '../lab/lab.js'
import { asCommandUsage, COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { safeTerminal } from '../util/safe-text.js'
import { labsOrDefault, loadOrReport } from './run-flags.js'
import { runLab } from '../run/run-lab.js'
import { runPool } from '../run/run-pool.js'
import { interruptOnSignals } from './interrupt-on-signals.js'
import { describeBlock } from '../lab/describe-block.js'
import { LAB_LIMITS_HELP, LAB_LIMITS_OPTIONS, labLimitsFlags } from './lab-limits-flags.js'

export const PROVE_HELP = `Usage: nslab prove [labs, folders or names…] [-j N]     (default: labs/ here)

Proves that each lab's checks can fail: for every check block, the lab runs
again without the step or solution just before it. A check block that still
passes cannot fail, and is reported (exit 1).

Options:
  -j, --jobs N              runs in parallel (default 2)
${LAB_LIMITS_HELP}${COMMON_OPTIONS_HELP}`

export const PROVE_OPTIONS = { jobs: { type: 'string', short: 'j', default: '2' }, ...LAB_LIMITS_OPTIONS } as const

interface Trial {
  lab: Lab
  check: number
  omitted: number
}

/** The trials of a lab: each check block with the script block just before it. */
export function trialsOf(lab: Lab): Trial[] {
  const trials: Trial[] = []
  let lastScript: number | undefined
  lab.blocks.forEach((b, i) => {
    if (b.kind === 'script' && b.role !== 'setup') lastScript = i
    else if (b.kind === 'script') lastScript = undefined
    if (b.kind === 'check' && lastScript !== undefined) trials.push({ lab, check: i, omitted: lastScript })
  })
  return trials
}

export async function proveCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab prove', usage: 'nslab prove [-j N] -- LABS…', options: PROVE_OPTIONS })
  if (v.values.help) {
    process.stdout.write(PROVE_HELP)
    return 0
  }
  const limits = asCommandUsage('nslab prove', () => labLimitsFlags(v.values))
  const jobs = Number(v.values.jobs)
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError('nslab prove', `--jobs takes a whole number ≥ 1, not "${v.values.jobs}"`)
  const labs = loadOrReport(labsOrDefault(v.positionals, 'nslab prove'))
  if (!labs) return 2
  const trials = labs.flatMap(trialsOf)
  const interrupt = interruptOnSignals()
  const t0 = performance.now()
  let weak = 0
  const outcomes = await runPool(
    trials,
    jobs,
    async (t) => {
      const r = await runLab({ lab: t.lab, emit: () => {}, signal: interrupt.signal, omit: t.omitted, stopAfter: t.check, ...(limits ? { limits, parallel: jobs } : {}) })
      const checkResult = r.blocks.find((b) => b.index === t.check)
      const check = t.lab.blocks[t.check]!
      const omitted = t.lab.blocks[t.omitted]!
      const canFail = checkResult?.status !== 'pass'
      if (!canFail) weak++
      const line = `${canFail ? '✓' : '✗'} ${t.lab.file}:${check.line} ${describeBlock(check)} — ${
        canFail ? 'fails' : 'still passes'
      } without ${describeBlock(omitted)} (line ${omitted.line})`
      process.stdout.write(`${safeTerminal(line)}\n`)
      return canFail
    },
    () => interrupt.signal.aborted,
  )
  interrupt.dispose()
  if (interrupt.signal.aborted) return interrupt.exitCode()
  const ran = outcomes.filter((o) => o !== undefined).length
  process.stdout.write(
    `\n${ran} check block${ran === 1 ? '' : 's'} tried in ${labs.length} lab${labs.length === 1 ? '' : 's'}: ${ran - weak} can fail, ${weak} cannot  (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  )
  return weak ? 1 : 0
}
