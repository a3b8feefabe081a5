// nslab check LAB --target ssh://USER@HOST: the command line of checking a
// learner's own machine (grade/check-target.ts does the checking).
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import { makeReporters } from '../report/make-reporters.js'
import { NslabError } from '../util/nslab-error.js'
import { parseCommandArgs, usageError } from './parse-command-args.js'
import { parseDurationArg } from './parse-duration-arg.js'
import { checkTarget } from '../grade/check-target.js'
import type { LabResult, RunEvent } from '../run/run-event.js'
import { parseSshAddress, sshTarget } from '../grade/ssh-target.js'

export const CHECK_TARGET_HELP = `Usage: nslab check LAB --target ssh://USER@HOST[:PORT] [options]

Checks a machine of your own, where you typed the lab's steps by hand: the
checks' commands run there over SSH (key login, no password prompt), and
their outputs are judged here. On the target, \`host\` is the machine itself
and a container NAME is its network namespace NAME (ip netns exec NAME) or
its running Docker container NAME.

Which checks: those of the lab's exercises (the checks after each solution);
a lab without exercises, its last check block.

Options:
  --target ssh://USER@HOST[:PORT]  the machine to check
  -i, --identity FILE      the private key to log in with
  --sudo                   run the commands with sudo -n (a user that is not root)
  --exercise ID            only this exercise's checks (repeatable)
  --address NAME=IP        what a machine name stands for (default: the lab's addresses)
  --connect-timeout DURATION  how long to wait for the connection (default 5s)
  --known-hosts FILE       where the target's host key is remembered (default: nowhere)
  --reporter terminal|tap  what goes to stdout (default: terminal)
  --junit FILE, --json FILE  also write these reports
  --verbose                show every check's evidence
Exit: 0 every check passed, 1 some did not (or the target could not be reached),
2 an invalid lab or usage.
`

export async function checkTargetCommand(argv: string[]): Promise<number> {
  const v = parseCommandArgs(argv, {
    command: 'nslab check',
    usage: 'nslab check --target ssh://USER@HOST [options] -- LAB',
    options: {
      target: { type: 'string' },
      identity: { type: 'string', short: 'i' },
      sudo: { type: 'boolean', default: false },
      exercise: { type: 'string', multiple: true },
      address: { type: 'string', multiple: true },
      'connect-timeout': { type: 'string' },
      'known-hosts': { type: 'string' },
      reporter: { type: 'string', default: 'terminal' },
      junit: { type: 'string' },
      json: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (!v.ok) throw usageError(v.problem, CHECK_TARGET_HELP)
  const o = v.values
  if (o.help) {
    process.stdout.write(CHECK_TARGET_HELP)
    return 0
  }
  if (v.positionals.length !== 1 || !o.target) throw new NslabError({ code: 'USAGE', message: `nslab check --target needs one lab and the target\n\n${CHECK_TARGET_HELP}` })
  if (o.reporter !== 'terminal' && o.reporter !== 'tap') throw new NslabError({ code: 'USAGE', message: `--reporter takes terminal or tap, not "${o.reporter}"` })
  const address = parseSshAddress(o.target)
  const addresses: Record<string, string> = {}
  for (const a of o.address ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=(\S+)$/.exec(a)
    if (!m) throw new NslabError({ code: 'USAGE', message: `--address takes NAME=IP, not "${a}"` })
    addresses[m[1]!] = m[2]!
  }
  const { labs, problems, files } = loadLabs([v.positionals[0]!])
  if (problems.length) {
    process.stderr.write(problems.map(formatProblem).join('\n') + '\n')
    return 2
  }
  if (files.length !== 1 || !labs[0]) throw new NslabError({ code: 'USAGE', message: `nslab check --target checks one lab; ${v.positionals[0]} holds ${files.length}` })
  const lab = labs[0]
  const connect = o['connect-timeout'] !== undefined ? Math.max(1, Math.round(parseDurationArg(o['connect-timeout'], '--connect-timeout') / 1000)) : 5
  const target = sshTarget({
    address,
    connectTimeoutSec: connect,
    sudo: o.sudo,
    ...(o.identity ? { identity: o.identity } : {}),
    ...(o['known-hosts'] ? { knownHosts: o['known-hosts'] } : {}),
  })
  const reporter = await makeReporters({ reporter: o.reporter, verbose: o.verbose, ...(o.junit ? { junit: o.junit } : {}), ...(o.json ? { json: o.json } : {}) })
  const t0 = performance.now()
  const emit = (e: RunEvent) => reporter.onEvent(e)
  emit({ type: 'run-start', files: [lab.file], jobs: 1, time: Date.now() })
  let result: LabResult
  try {
    result = await checkTarget({ lab, target, emit, addresses, ...(o.exercise?.length ? { exercises: o.exercise } : {}) })
  } finally {
    await target.close()
  }
  emit({ type: 'run-end', results: [result], durationMs: performance.now() - t0 })
  await reporter.close()
  if (result.error) process.stderr.write(`nslab: ${result.error}\n`)
  return result.status === 'pass' ? 0 : 1
}
