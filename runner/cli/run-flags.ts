// nslab run's options and its loading of labs: shared by the plain run, the
// VM matrix (run-matrix) and prove.
import type { Engine, Lab } from '../lab/lab.js'
import { ENGINES } from '../lab/front-matter.js'
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import type { LabLimits } from '../host/lab-limits.js'
import { NslabError } from '../util/nslab-error.js'
import { LAB_LIMITS_HELP, LAB_LIMITS_OPTIONS, labLimitsFlags } from './lab-limits-flags.js'
import { parseCommandArgs, usageError } from './parse-command-args.js'
import { parseDurationArg } from './parse-duration-arg.js'

export const RUN_HELP = `Usage: nslab run [labs or folders…] [options]     (default: labs/)

Runs each lab on a throwaway lab host: every block in document order, then teardown.

Options:
  --reporter terminal|tap   what goes to stdout (default: terminal)
  --junit FILE              also write a JUnit XML report
  --json FILE               also write a JSON report (docs/json-report.md)
  -j, --jobs N              labs in parallel (default 1)
  --grep PATTERN            only labs whose file or title matches (a regular expression)
  --bail                    stop after the first lab that fails
  --timeout DURATION        time limit of each lab as a whole (default 5m)
  --verbose                 show what steps print
  --keep                    leave a failed lab's host up; prints how to enter it
  --iptables nft|legacy     the iptables back end inside the lab host (default: the machine's)
  --engine netns|docker     what builds every lab host, whatever the labs say (docs/engines.md)
  --kernel SPEC             run in a throwaway VM on a distro kernel (debian:bookworm, …); see docs/kernels.md
${LAB_LIMITS_HELP}Exit: 0 all passed, 1 a lab failed, 2 an invalid lab or usage, 3 the machine lacks a prerequisite.
`

export interface RunFlags {
  reporter: string
  junit?: string
  json?: string
  jobs: number
  grep?: RegExp
  bail: boolean
  timeoutMs: number
  verbose: boolean
  keep: boolean
  iptables?: 'nft' | 'legacy'
  /** --engine: every lab runs on this engine, whatever its front matter says. */
  engine?: Engine
  /** Each lab host's limits (undefined: --no-limits). */
  limits?: LabLimits
  paths: string[]
}

/** How nslab run names its files, for parseCommandArgs. */
export const RUN_ARGS = { command: 'nslab run', usage: 'nslab run [options] -- LABS…' }

export function parseRunFlags(argv: string[]): RunFlags | 'help' {
  const v = parseCommandArgs(argv, {
    ...RUN_ARGS,
    options: {
      reporter: { type: 'string', default: 'terminal' },
      junit: { type: 'string' },
      json: { type: 'string' },
      jobs: { type: 'string', short: 'j', default: '1' },
      grep: { type: 'string' },
      bail: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '5m' },
      verbose: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      iptables: { type: 'string' },
      engine: { type: 'string' },
      ...LAB_LIMITS_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (!v.ok) throw usageError(v.problem, RUN_HELP)
  const o = v.values
  if (o.help) return 'help'
  if (o.reporter !== 'terminal' && o.reporter !== 'tap') {
    throw new NslabError({ code: 'USAGE', message: `--reporter takes terminal or tap, not "${o.reporter}"` })
  }
  const jobs = Number(o.jobs)
  if (!Number.isInteger(jobs) || jobs < 1) throw new NslabError({ code: 'USAGE', message: `--jobs takes a whole number ≥ 1, not "${o.jobs}"` })
  if (o.iptables !== undefined && o.iptables !== 'nft' && o.iptables !== 'legacy') {
    throw new NslabError({ code: 'USAGE', message: `--iptables takes nft or legacy, not "${o.iptables}"` })
  }
  if (o.engine !== undefined && !(ENGINES as string[]).includes(o.engine)) {
    throw new NslabError({ code: 'USAGE', message: `--engine takes ${ENGINES.join(' or ')}, not "${o.engine}"` })
  }
  let grep: RegExp | undefined
  if (o.grep !== undefined) {
    try {
      grep = new RegExp(o.grep, 'i')
    } catch {
      throw new NslabError({ code: 'USAGE', message: `--grep: "${o.grep}" is not a valid regular expression` })
    }
  }
  const flags: RunFlags = {
    reporter: o.reporter,
    jobs,
    bail: o.bail,
    timeoutMs: parseDurationArg(o.timeout, '--timeout'),
    verbose: o.verbose,
    keep: o.keep,
    paths: v.positionals.length ? v.positionals : ['labs'],
  }
  if (o.junit) flags.junit = o.junit
  if (o.json) flags.json = o.json
  if (grep) flags.grep = grep
  if (o.iptables) flags.iptables = o.iptables as 'nft' | 'legacy'
  if (o.engine) flags.engine = o.engine as Engine
  const limits = labLimitsFlags(o)
  if (limits) flags.limits = limits
  return flags
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

