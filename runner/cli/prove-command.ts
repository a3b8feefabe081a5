import { availableParallelism } from 'node:os'
import { asCommandUsage, COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { safeTerminal } from '../util/safe-text.js'
import { labsOrDefault, loadOrReport } from './run-flags.js'
import { proveLabs, type ProveOutcome } from '../run/prove-lab.js'
import { interruptOnSignals } from './interrupt-on-signals.js'
import { inOrder } from '../run/in-order.js'
import { describeBlock } from '../lab/describe-block.js'
import { LAB_LIMITS_HELP, LAB_LIMITS_OPTIONS, labLimitsFlags } from './lab-limits-flags.js'
import { kernelLacks } from '../host/kernel-features.js'
import { NslabError } from '../util/nslab-error.js'
import { ENGINES } from '../lab/front-matter.js'
import type { Engine } from '../lab/lab.js'

/** Lab hosts at once by default: proving mostly waits out the windows of checks that must fail. */
const DEFAULT_JOBS = Math.min(16, Math.max(2, 4 * availableParallelism()))

export const PROVE_HELP = `Usage: nslab prove [labs, folders or names…] [-j N]     (default: labs/ here)

Proves that each lab's checks can fail: each check block must fail when the
lab runs without the nearest step before it that changes what it checks
(steps that only look, like ip route or iptables -L, are passed over; a block
with exit or stdout checks is about the step just before it; after=STEP-ID on
the block names the step). A check block that still passes cannot fail, and is
reported (exit 1). See docs/lab-format.md, "Proving a lab".

Options:
  -j, --jobs N              lab hosts in parallel (default ${DEFAULT_JOBS})
  --engine netns|docker     what builds every lab host, whatever the labs say (docs/engines.md)
${LAB_LIMITS_HELP}${COMMON_OPTIONS_HELP}`

export const PROVE_OPTIONS = { jobs: { type: 'string', short: 'j', default: String(DEFAULT_JOBS) }, engine: { type: 'string' }, ...LAB_LIMITS_OPTIONS } as const

export async function proveCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab prove', usage: 'nslab prove [-j N] -- LABS…', options: PROVE_OPTIONS })
  if (v.values.help) {
    process.stdout.write(PROVE_HELP)
    return 0
  }
  const limits = asCommandUsage('nslab prove', () => labLimitsFlags(v.values))
  const jobs = Number(v.values.jobs)
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError('nslab prove', `--jobs takes a whole number ≥ 1, not "${v.values.jobs}"`)
  const engine = v.values.engine
  if (engine !== undefined && !(ENGINES as string[]).includes(engine)) throw new UsageError('nslab prove', `--engine takes ${ENGINES.join(' or ')}, not "${engine}"`)
  // As nslab run --engine: every lab's host is built by this engine, whatever its front matter says.
  const named = loadOrReport(labsOrDefault(v.positionals, 'nslab prove'), undefined, engine as Engine | undefined)
  if (!named) return 2
  // A lab this machine's kernel cannot run is skipped, as nslab run skips it; none that can: exit 3.
  const lacking = named.map(kernelLacks)
  if (lacking.every((why) => why !== undefined)) throw new NslabError({ code: 'PREREQUISITE', message: lacking[0]! })
  for (const why of lacking) if (why) process.stdout.write(`${safeTerminal(`- skipped: ${why}`)}\n`)
  const labs = named.filter((_, i) => lacking[i] === undefined)
  const interrupt = interruptOnSignals()
  const t0 = performance.now()
  // Printed in the labs' order, each as soon as those before it are known.
  const printer = inOrder<ProveOutcome>((o) => process.stdout.write(`${safeTerminal(lineOf(o))}\n`))
  const outcomes = await proveLabs(labs, { jobs, ...(limits ? { limits } : {}), signal: interrupt.signal, onOutcome: printer.put })
  interrupt.dispose()
  if (interrupt.signal.aborted) return interrupt.exitCode()
  outcomes.forEach((o, i) => printer.put(i, o))
  const tried = outcomes.filter((o) => o.status === 'can-fail' || o.status === 'still-passes')
  const weak = outcomes.filter((o) => o.status === 'still-passes').length
  const errors = outcomes.filter((o) => o.status === 'error').length
  const notTried = outcomes.filter((o) => o.status === 'not-tried').length
  const extra = [...(notTried ? [`${notTried} not tried`] : []), ...(errors ? [`${errors} could not be tried`] : [])]
  process.stdout.write(
    `\n${tried.length} check block${tried.length === 1 ? '' : 's'} tried in ${labs.length} lab${labs.length === 1 ? '' : 's'}: ${tried.length - weak} can fail, ${weak} cannot${extra.length ? `; ${extra.join(', ')}` : ''}  (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  )
  return weak || errors ? 1 : 0
}

function lineOf(o: ProveOutcome): string {
  const { lab, check, omitted } = o.trial
  const block = lab.blocks[check]!
  const at = `${lab.file}:${block.line} ${describeBlock(block)}`
  if (omitted === undefined) return `· ${at} — not tried: ${o.detail ?? 'no step before it'}`
  const step = lab.blocks[omitted]!
  const without = `without ${describeBlock(step)} (line ${step.line})`
  switch (o.status) {
    case 'can-fail':
      return `✓ ${at} — fails ${without}`
    case 'still-passes':
      return `✗ ${at} — still passes ${without}${o.trial.by === 'nearest' ? '; no step before it changes what it checks: name one with after=STEP-ID' : ''}`
    default:
      return `! ${at} — could not be tried ${without}: ${o.detail ?? 'an error'}`
  }
}
