// nslab check LAB --target ssh://USER@HOST: the command line of checking a
// learner's own machine (grade/check-target.ts does the checking).
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import { commandReporters } from './command-reporters.js'
import { NslabError } from '../util/nslab-error.js'
import { asCommandUsage, readCommandArgs } from './parse-command-args.js'
import { CHECK_HELP } from './check-command.js'
import { CHECK_TARGET_OPTIONS } from './check-target-flags.js'
import { checkStdoutReports } from './run-flags.js'
import { UsageError } from './usage-error.js'
import { parseDurationArg } from './parse-duration-arg.js'
import { checkTarget } from '../grade/check-target.js'
import type { LabResult, RunEvent } from '../run/run-event.js'
import { parseSshAddress, sshTarget } from '../grade/ssh-target.js'

export async function checkTargetCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, {
    command: 'nslab check',
    usage: 'nslab check --target ssh://USER@HOST [options] -- LAB',
    options: CHECK_TARGET_OPTIONS,
  })
  const o = v.values
  if (o.help) {
    process.stdout.write(CHECK_HELP)
    return 0
  }
  const target = o.target
  if (v.positionals.length !== 1 || !target) throw new UsageError('nslab check', '--target needs one lab and the target: nslab check LAB --target ssh://USER@HOST')
  if (o.reporter !== 'terminal' && o.reporter !== 'tap') throw new UsageError('nslab check', `--reporter takes terminal or tap, not "${o.reporter}"`)
  checkStdoutReports('nslab check', o)
  const address = asCommandUsage('nslab check', () => parseSshAddress(target))
  const addresses: Record<string, string> = {}
  for (const a of o.address ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=(\S+)$/.exec(a)
    if (!m) throw new UsageError('nslab check', `--address takes NAME=IP, not "${a}"`)
    addresses[m[1]!] = m[2]!
  }
  const { labs, problems, files } = loadLabs([v.positionals[0]!])
  if (problems.length) {
    process.stderr.write(problems.map(formatProblem).join('\n') + '\n')
    return 2
  }
  if (files.length !== 1 || !labs[0]) throw new NslabError({ code: 'USAGE', message: `nslab check --target checks one lab; ${v.positionals[0]} holds ${files.length}` })
  const lab = labs[0]
  const connectText = o['connect-timeout']
  const connect = connectText !== undefined ? Math.max(1, Math.round(asCommandUsage('nslab check', () => parseDurationArg(connectText, '--connect-timeout')) / 1000)) : 5
  const ssh = sshTarget({
    address,
    connectTimeoutSec: connect,
    sudo: o.sudo,
    ...(o.identity ? { identity: o.identity } : {}),
    ...(o['known-hosts'] ? { knownHosts: o['known-hosts'] } : {}),
  })
  const { reporter } = await commandReporters({ reporter: o.reporter, verbose: o.verbose, ...(o.junit ? { junit: o.junit } : {}), ...(o.json ? { json: o.json } : {}) })
  const t0 = performance.now()
  const emit = (e: RunEvent) => reporter.onEvent(e)
  emit({ type: 'run-start', files: [lab.file], jobs: 1, time: Date.now() })
  let result: LabResult
  try {
    result = await checkTarget({ lab, target: ssh, emit, addresses, ...(o.exercise?.length ? { exercises: o.exercise } : {}) })
  } finally {
    await ssh.close()
  }
  emit({ type: 'run-end', results: [result], durationMs: performance.now() - t0 })
  await reporter.close()
  if (result.error) process.stderr.write(`nslab: ${result.error}\n`)
  return result.status === 'pass' ? 0 : 1
}
