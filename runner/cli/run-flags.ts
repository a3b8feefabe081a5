// nslab run's options and its loading of labs: shared by the plain run, the
// VM matrix (run-matrix) and prove.
import type { Engine, Lab } from '../lab/lab.js'
import { ENGINES } from '../lab/front-matter.js'
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import type { LabLimits } from '../host/lab-limits.js'
import { parseShard, type Shard } from '../run/shard-work.js'
import { NslabError } from '../util/nslab-error.js'
import { LAB_LIMITS_HELP, LAB_LIMITS_OPTIONS, labLimitsFlags } from './lab-limits-flags.js'
import { asCommandUsage, COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { parseDurationArg } from './parse-duration-arg.js'
import { UsageError } from './usage-error.js'
export { labsOrDefault } from './labs-or-default.js'

export const RUN_HELP = `Usage: nslab run [labs, folders or names…] [options]     (default: labs/ here)

Runs each lab on a throwaway lab host: every block in document order, then
teardown. A lab is a file, a folder of them, or the name of one in labs/ here
or of nslab's own (nslab labs lists them): nslab run snat-outbound.

Options:
  --reporter terminal|tap   what goes to stdout (default: terminal)
  --junit FILE              also write a JUnit XML report (- : to stdout)
  --json FILE               also write a JSON report, docs/json-report.md (- : to stdout)
  -j, --jobs N              labs in parallel (default 1)
  --grep PATTERN            only labs whose file or title matches (a regular expression)
  --shard K/N               only the K-th of N shares of the labs (CI runners side by side);
                            join their --json reports with nslab report merge
  --bail                    stop after the first lab that fails
  --timeout DURATION        time limit of each lab as a whole (default 5m)
  --verbose                 show what steps print
  --keep                    leave a failed lab's host up; prints how to enter it
  --iptables nft|legacy     the iptables back end inside the lab host (default: the machine's)
  --engine netns|docker     what builds every lab host, whatever the labs say (docs/engines.md)
  --kernel SPEC             run in throwaway VMs on distro kernels (debian:bookworm, …):
                            docs/kernels.md, and nslab run --kernel SPEC --help for
                            --accel and --vm-timeout
${LAB_LIMITS_HELP}${COMMON_OPTIONS_HELP}Exit: 0 all passed, 1 a lab failed, 2 an invalid lab or usage, 3 the machine lacks a prerequisite.
`

/** nslab run's options, for parseCommandArgs; the matrix's own are here too, so that a typo of one is caught. */
export const RUN_OPTIONS = {
  reporter: { type: 'string', default: 'terminal' },
  junit: { type: 'string' },
  json: { type: 'string' },
  jobs: { type: 'string', short: 'j', default: '1' },
  grep: { type: 'string' },
  shard: { type: 'string' },
  bail: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '5m' },
  verbose: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  iptables: { type: 'string' },
  engine: { type: 'string' },
  kernel: { type: 'string', multiple: true },
  accel: { type: 'string' },
  'vm-timeout': { type: 'string' },
  ...LAB_LIMITS_OPTIONS,
} as const

export interface RunFlags {
  reporter: string
  junit?: string
  json?: string
  jobs: number
  grep?: RegExp
  shard?: Shard
  bail: boolean
  timeoutMs: number
  verbose: boolean
  keep: boolean
  iptables?: 'nft' | 'legacy'
  /** --engine: every lab runs on this engine, whatever its front matter says. */
  engine?: Engine
  /** Each lab host's limits (undefined: --no-limits). */
  limits?: LabLimits
  /** As given; [] for the default (labsOrDefault). */
  paths: string[]
}

/** How nslab run names its files, for parseCommandArgs. */
export const RUN_ARGS = { command: 'nslab run', usage: 'nslab run [options] -- LABS…' }

export function parseRunFlags(argv: string[]): RunFlags | 'help' {
  const v = readCommandArgs(argv, { ...RUN_ARGS, options: RUN_OPTIONS })
  const o = v.values
  if (o.help) return 'help'
  return asCommandUsage(RUN_ARGS.command, () => {
    if (o.accel !== undefined || o['vm-timeout'] !== undefined) {
      throw new UsageError(RUN_ARGS.command, `${o.accel !== undefined ? '--accel' : '--vm-timeout'} applies to a run in VMs: add --kernel SPEC`)
    }
    if (o.reporter !== 'terminal' && o.reporter !== 'tap') throw new UsageError(RUN_ARGS.command, `--reporter takes terminal or tap, not "${o.reporter}"`)
    const jobs = Number(o.jobs)
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(RUN_ARGS.command, `--jobs takes a whole number ≥ 1, not "${o.jobs}"`)
    if (o.iptables !== undefined && o.iptables !== 'nft' && o.iptables !== 'legacy') {
      throw new UsageError(RUN_ARGS.command, `--iptables takes nft or legacy, not "${o.iptables}"`)
    }
    if (o.engine !== undefined && !(ENGINES as string[]).includes(o.engine)) {
      throw new UsageError(RUN_ARGS.command, `--engine takes ${ENGINES.join(' or ')}, not "${o.engine}"`)
    }
    checkStdoutReports(RUN_ARGS.command, o)
    let grep: RegExp | undefined
    if (o.grep !== undefined) {
      try {
        grep = new RegExp(o.grep, 'i')
      } catch {
        throw new UsageError(RUN_ARGS.command, `--grep: "${o.grep}" is not a valid regular expression`)
      }
    }
    const flags: RunFlags = {
      reporter: o.reporter,
      jobs,
      bail: o.bail,
      timeoutMs: parseDurationArg(o.timeout, '--timeout'),
      verbose: o.verbose,
      keep: o.keep,
      paths: v.positionals,
    }
    if (o.junit) flags.junit = o.junit
    if (o.json) flags.json = o.json
    if (grep) flags.grep = grep
    if (o.shard !== undefined) flags.shard = parseShard(o.shard)
    if (o.iptables) flags.iptables = o.iptables as 'nft' | 'legacy'
    if (o.engine) flags.engine = o.engine as Engine
    const limits = labLimitsFlags(o)
    if (limits) flags.limits = limits
    return flags
  })
}

/**
 * `--json -` and `--junit -` write to stdout: then that report is all of
 * stdout, and what a person reads goes to stderr. One report at most there,
 * and not with TAP (which is stdout's already).
 */
export function checkStdoutReports(command: string, o: { reporter?: string | undefined; json?: string | undefined; junit?: string | undefined }): void {
  const toStdout = [o.json === '-' ? '--json -' : '', o.junit === '-' ? '--junit -' : ''].filter(Boolean)
  if (toStdout.length > 1) throw new UsageError(command, 'only one report can go to stdout: --json - or --junit -, and the other to a file')
  if (toStdout.length && o.reporter === 'tap') throw new UsageError(command, `--reporter tap writes to stdout, and so does ${toStdout[0]}: give that report a file`)
}

/** Whether a report takes stdout (then people's output goes to stderr). */
export function reportOnStdout(o: { json?: string | undefined; junit?: string | undefined }): boolean {
  return o.json === '-' || o.junit === '-'
}

/** Load labs or print every problem; undefined means exit 2. With `engine`, every lab runs on it. */
export function loadOrReport(paths: string[], grep?: RegExp, engine?: Engine): Lab[] | undefined {
  const { labs, problems, files } = loadLabs(paths)
  if (problems.length) {
    process.stderr.write(problems.map(formatProblem).join('\n') + `\n${problems.length} problem${problems.length > 1 ? 's' : ''}: nothing was run\n`)
    return undefined
  }
  if (files.length === 0) throw new NslabError({ code: 'NOT_FOUND', message: `no labs found in ${paths.join(', ')}` })
  const chosen = grep ? labs.filter((l) => grep.test(l.file) || grep.test(l.title)) : labs
  if (chosen.length === 0) throw new NslabError({ code: 'NOT_FOUND', message: `no lab matches --grep ${grep}` })
  if (engine) for (const lab of chosen) lab.engine = engine
  return chosen
}
