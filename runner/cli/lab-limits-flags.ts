import { DEFAULT_LAB_LIMITS, type LabLimits } from '../host/lab-limits.js'
import { NslabError } from '../util/nslab-error.js'
import { parseSize } from '../util/parse-size.js'

/** The options that set a lab host's limits, for a command's parseArgs. */
export const LAB_LIMITS_OPTIONS = {
  'max-procs': { type: 'string' },
  memory: { type: 'string' },
  cpus: { type: 'string' },
  'no-limits': { type: 'boolean', default: false },
} as const

/** Their lines in a command's help. */
export const LAB_LIMITS_HELP = `  --max-procs N             processes of each lab host at once (default ${DEFAULT_LAB_LIMITS.maxProcs})
  --memory SIZE             memory of each lab host (default ${DEFAULT_LAB_LIMITS.memoryBytes / 1024 ** 3}G)
  --cpus N                  CPUs each lab host may use (default ${DEFAULT_LAB_LIMITS.cpus}; 0: no limit)
  --no-limits               no limits on the lab hosts (trusted labs only)
`

/** The limits the options ask for; undefined with --no-limits. */
export function labLimitsFlags(o: { 'max-procs'?: string | undefined; memory?: string | undefined; cpus?: string | undefined; 'no-limits'?: boolean | undefined }): LabLimits | undefined {
  if (o['no-limits']) {
    if (o['max-procs'] !== undefined || o.memory !== undefined || o.cpus !== undefined) {
      throw new NslabError({ code: 'USAGE', message: '--no-limits goes alone: it drops --max-procs, --memory and --cpus' })
    }
    return undefined
  }
  const maxProcs = o['max-procs'] === undefined ? DEFAULT_LAB_LIMITS.maxProcs : Number(o['max-procs'])
  if (!Number.isInteger(maxProcs) || maxProcs < 16) throw new NslabError({ code: 'USAGE', message: `--max-procs takes a whole number ≥ 16, not "${o['max-procs']}"` })
  const memoryBytes = o.memory === undefined ? DEFAULT_LAB_LIMITS.memoryBytes : parseSize(o.memory, '--memory')
  if (memoryBytes < 64 * 1024 ** 2) throw new NslabError({ code: 'USAGE', message: `--memory must be at least 64M, not "${o.memory}"` })
  const cpus = o.cpus === undefined ? DEFAULT_LAB_LIMITS.cpus : Number(o.cpus)
  if (!Number.isFinite(cpus) || cpus < 0) throw new NslabError({ code: 'USAGE', message: `--cpus takes a number ≥ 0, not "${o.cpus}"` })
  return { maxProcs, memoryBytes, cpus }
}
