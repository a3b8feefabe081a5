import { NslabError } from '../util/nslab-error.js'
import { hasOption, optionThatIsAPath, usageError } from './parse-command-args.js'
import { labsOrDefault, loadOrReport, parseRunFlags, RUN_ARGS, RUN_HELP } from './run-flags.js'
import { commandReporters } from './command-reporters.js'
import type { LabResult, RunEvent } from '../run/run-event.js'
import { runLab } from '../run/run-lab.js'
import { runPool } from '../run/run-pool.js'
import { shardWork } from '../run/shard-work.js'
import { interruptOnSignals } from './interrupt-on-signals.js'
import { keepSandbox } from '../learn/keep-sandbox.js'
import { kernelLacks } from '../host/kernel-features.js'

export async function runCommand(argv: string[]): Promise<number> {
  // A file named like an option is refused before it could choose the matrix.
  const named = optionThatIsAPath(argv, RUN_ARGS)
  if (named) throw usageError(named)
  // Distro kernels: every lab in a throwaway VM per kernel and back end (docs/kernels.md).
  if (hasOption(argv, 'kernel')) {
    return await (await import('./run-matrix.js')).runMatrixCommand(argv)
  }
  const flags = parseRunFlags(argv)
  if (flags === 'help') {
    process.stdout.write(RUN_HELP)
    return 0
  }
  const all = loadOrReport(labsOrDefault(flags.paths, 'nslab run'), flags.grep, flags.engine)
  if (!all) return 2
  // --shard K/N: this runner's share of the labs, the others' on other runners (one cell: this machine).
  const labs = flags.shard ? (shardWork([0], all, flags.shard)[0]?.labs ?? []) : all
  // Labs this machine's kernel cannot run are skipped in a run of several; when none could run, that is exit 3.
  const lacking = labs.map(kernelLacks)
  if (labs.length > 0 && lacking.every((why) => why !== undefined)) throw new NslabError({ code: 'PREREQUISITE', message: lacking[0]! })
  const { reporter, out } = await commandReporters(flags)
  if (flags.shard) out.write(`nslab: shard ${flags.shard.index}/${flags.shard.count}: ${labs.length} of ${all.length} lab${all.length === 1 ? '' : 's'}\n`)
  // The last result of each lab, also of one that ended in an exception.
  const ended = new Map<string, LabResult>()
  const emit = (e: RunEvent) => {
    if (e.type === 'lab-end') ended.set(e.result.file, e.result)
    reporter.onEvent(e)
  }
  const t0 = performance.now()
  const interrupt = interruptOnSignals()
  let failedOnce = false
  let prerequisite: NslabError | undefined
  emit({ type: 'run-start', files: labs.map((l) => l.file), jobs: flags.jobs, time: Date.now() })
  const results = await runPool(
    labs,
    flags.jobs,
    async (lab) => {
      const limit = AbortSignal.timeout(flags.timeoutMs)
      const signal = AbortSignal.any([interrupt.signal, limit])
      try {
        const r = await runLab({
          lab,
          emit,
          signal,
          ...(flags.iptables ? { iptables: flags.iptables } : {}),
          ...(flags.keep ? { keep: keepSandbox } : {}),
          ...(flags.limits ? { limits: flags.limits, parallel: flags.jobs } : {}),
        })
        if (r.status !== 'pass' && r.status !== 'skip') failedOnce = true
        return r
      } catch (e) {
        if (e instanceof NslabError && e.exitCode === 3) {
          prerequisite ??= e
          return ended.get(lab.file)
        }
        throw e
      }
    },
    () => interrupt.signal.aborted || prerequisite !== undefined || (flags.bail && failedOnce),
  )
  const done = results.filter((r): r is LabResult => r !== undefined)
  emit({ type: 'run-end', results: done, durationMs: performance.now() - t0 })
  await reporter.close()
  interrupt.dispose()
  if (prerequisite) throw prerequisite
  if (interrupt.signal.aborted) return interrupt.exitCode()
  return done.every((r) => r.status === 'pass' || r.status === 'skip') && done.length === labs.length ? 0 : 1
}
