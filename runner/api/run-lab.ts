import { DEFAULT_LAB_LIMITS, type LabLimits } from '../host/lab-limits.js'
import { ENGINES } from '../lab/front-matter.js'
import type { Engine } from '../lab/lab.js'
import { runLab as runLabOnHost } from '../run/run-lab.js'
import type { LabResult, RunEvent } from '../run/run-event.js'
import { suggestion } from '../util/did-you-mean.js'
import { NslabError } from '../util/nslab-error.js'
import { msOf } from './lab-host.js'
import { loadLabFile } from './load-lab-file.js'

export interface RunLabOptions {
  /** The engine the lab runs on; the lab's own (its front matter's `engine:`) when absent. */
  engine?: Engine
  /** The iptables back end of `iptables` inside (as `nslab run --iptables`). */
  iptables?: 'nft' | 'legacy'
  /** Time limit of the lab as a whole: ms or a duration such as "2m" (as `nslab run --timeout`, default 5m). */
  timeout?: number | string
  /** Ends the lab early; its result then has status 'error'. */
  signal?: AbortSignal
  /** Processes, memory and CPU of its lab host: `nslab run`'s defaults unless false, or some of them. */
  limits?: boolean | Partial<LabLimits>
  /** Every event of the run, as reporters get them. */
  onEvent?: (event: RunEvent) => void
}

/** nslab run's default time limit of one lab. */
const DEFAULT_LAB_TIMEOUT_MS = 5 * 60_000

/**
 * Run one lab file on a lab host of its own, as `nslab run` does, and return
 * its result: the LabResult a JSON report holds (docs/json-report.md). A
 * failing lab is a result with status 'fail'; an invalid lab or a machine
 * that lacks a program is an NslabError.
 */
export async function runLab(file: string, options: RunLabOptions = {}): Promise<LabResult> {
  let lab = loadLabFile(file)
  if (options.engine !== undefined && options.engine !== lab.engine) {
    if (!ENGINES.includes(options.engine)) {
      throw new NslabError({ code: 'USAGE', message: `unknown engine "${String(options.engine)}"${suggestion(String(options.engine), ENGINES) || `; this version of nslab knows ${ENGINES.join(', ')}`}` })
    }
    lab = { ...lab, engine: options.engine }
  }
  const limit = AbortSignal.timeout(options.timeout === undefined ? DEFAULT_LAB_TIMEOUT_MS : msOf(options.timeout, 'timeout'))
  const signal = options.signal ? AbortSignal.any([options.signal, limit]) : limit
  const limits = options.limits === false ? undefined : { ...DEFAULT_LAB_LIMITS, ...(typeof options.limits === 'object' ? options.limits : {}) }
  return await runLabOnHost({
    lab,
    emit: options.onEvent ?? (() => {}),
    signal,
    ...(options.iptables ? { iptables: options.iptables } : {}),
    ...(limits ? { limits } : {}),
  })
}
