// nslab check LAB --target ssh://USER@HOST: judge a learner's own machine,
// where they typed the lab's steps by hand. No sandbox is built and nothing
// of the lab runs there: only the checks' commands, over SSH; their outputs
// are judged here by the same checks as everywhere else.
import type { CheckContext } from '../../checks/check-context.js'
import { parseNetnsList } from '../../checks/parse-netns-list.js'
import type { CheckResult } from '../../checks/check-result.js'
import { runCheck } from '../../checks/run-check.js'
import type { Block, CheckBlock, Lab } from '../lab/lab.js'
import { labExercises } from '../lab/lab-exercises.js'
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import { makeReporters } from '../report/make-reporters.js'
import { NslabError } from '../util/nslab-error.js'
import { parseCommandArgs, usageError } from '../cli/parse-command-args.js'
import { parseDurationArg } from '../cli/parse-duration-arg.js'
import { evidenceOf } from '../../checks/evidence-of.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { machineAddresses } from '../host/sandbox-script.js'
import { parseSshAddress, sshTarget, type SshTarget } from './ssh-target.js'

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

export interface CheckTargetOptions {
  lab: Lab
  target: SshTarget
  /** Exercise ids whose checks to judge; default: every exercise's. */
  exercises?: string[]
  /** What machine names stand for; default: the lab's own addresses. */
  addresses?: Record<string, string>
  emit?: (event: RunEvent) => void
  signal?: AbortSignal
}

/** Verbs about a step nslab ran: on a target nothing ran, so they cannot be judged. */
const ABOUT_A_RUN = new Set(['exit', 'stdout'])

/** Judge the target; a target that cannot be reached is a failed result, not an exception. */
export async function checkTarget(opts: CheckTargetOptions): Promise<LabResult> {
  const { target } = opts
  const emit = opts.emit ?? (() => {})
  const t0 = performance.now()
  const chosen = chooseBlocks(opts.lab, opts.exercises)
  // Only the judged blocks are the lab that reporters see (the others are shown ones).
  const lab: Lab = {
    ...opts.lab,
    blocks: opts.lab.blocks.map((b, i): Block => (chosen.includes(i) || b.kind === 'shown' ? b : { kind: 'shown', lang: '', line: b.line, contentLine: b.contentLine, info: b.info, content: b.content, prose: b.prose })),
  }
  emit({ type: 'lab-start', file: lab.file, lab, time: Date.now() })
  const addresses = new Map(machineAddresses(lab.topology))
  for (const [k, v] of Object.entries(opts.addresses ?? {})) addresses.set(k, v)
  const ctx: CheckContext = {
    lab,
    exec: (o) => target.exec(o),
    // The learner's own machine: nslab's commands run there as its own programs are.
    look: (o) => target.exec(o),
    netnsNames: async (o) => {
      const exec = await target.exec({ machine: 'host', script: 'ip netns list', timeoutMs: o.timeoutMs })
      return { names: exec.exitCode === 0 ? parseNetnsList(exec.stdout) : [], exec }
    },
    addressOf: (name) => addresses.get(name),
    ...(opts.signal ? { signal: opts.signal } : {}),
  }
  const blocks: BlockResult[] = []
  const reach = await target.probe()
  for (const index of chosen) {
    const block = lab.blocks[index] as CheckBlock
    emit({ type: 'block-start', file: lab.file, index, block })
    const b0 = performance.now()
    const checks: CheckResult[] = []
    const skipped: string[] = []
    for (const check of block.checks) {
      if (ABOUT_A_RUN.has(check.verb)) {
        skipped.push(check.source)
        continue
      }
      if (!reach.ok) {
        checks.push({ check, ok: false, sentence: `not judged: ${reach.reason}`, evidence: [evidenceOf(reach.evidence)], durationMs: 0, attempts: 0 })
        continue
      }
      const r = await runCheck(check, ctx)
      // A connection lost on the way is said as such, not as what the check would have seen.
      const lost = r.evidence.map((e) => target.transportFailure({ ...e, stdout: '', stderr: e.output, output: e.output, durationMs: 0, timedOut: false })).find(Boolean)
      if (lost && !r.ok) r.sentence = `not judged: ${lost}`
      checks.push(r)
    }
    const failed = checks.filter((c) => !c.ok)
    const r: BlockResult = { index, block, status: checks.length === 0 ? 'skip' : failed.length ? 'fail' : 'pass', durationMs: performance.now() - b0, checks }
    if (checks.length === 0) r.message = `not judged on a target: ${skipped.join(', ')} judge a step that nslab ran, and here nothing ran`
    else if (failed.length) r.message = failed.map((c) => c.sentence).join('; ')
    if (block.hint) r.hint = block.hint
    blocks.push(r)
    emit({ type: 'block-end', file: lab.file, result: r })
  }
  const result: LabResult = {
    file: lab.file,
    title: lab.title,
    status: blocks.some((b) => b.status === 'fail') ? 'fail' : 'pass',
    durationMs: performance.now() - t0,
    blocks,
    cell: target.label,
  }
  if (!reach.ok) result.error = reach.reason
  emit({ type: 'lab-end', result })
  return result
}

/** Indexes of the check blocks to judge. */
export function chooseBlocks(lab: Lab, ids?: string[]): number[] {
  const exercises = labExercises(lab)
  if (ids?.length) {
    const unknown = ids.filter((id) => !exercises.some((e) => e.id === id))
    if (unknown.length) {
      throw new NslabError({
        code: 'USAGE',
        message: `${lab.file} has no exercise ${unknown.join(', ')} (it has: ${exercises.map((e) => e.id).join(', ') || 'none'})`,
      })
    }
    return exercises.filter((e) => ids.includes(e.id)).flatMap((e) => e.checkBlocks)
  }
  if (exercises.length) return exercises.flatMap((e) => e.checkBlocks)
  const last = lab.blocks.map((b, i) => (b.kind === 'check' ? i : -1)).filter((i) => i >= 0).pop()
  return last === undefined ? [] : [last]
}


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
