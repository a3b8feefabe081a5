// nslab as a library (docs/api.md): lab hosts from code, zx's `$` on each of
// their machines, the lab format's checks, and whole labs run as `nslab run`
// runs them. zx is loaded by labHost(), never by the command line.

import type { CheckResult } from '../../checks/check-result.js'
import type { CheckOptions, LabHost } from './lab-host.js'

export { labHost } from './lab-host.js'
export type { CheckOptions, LabHost, LabHostOptions, Machine } from './lab-host.js'
export type { TopologyOptions } from './topology-of.js'
export { runLab } from './run-lab.js'
export type { RunLabOptions } from './run-lab.js'
export { loadLabFile as loadLab } from './load-lab-file.js'
export { shippedLab, shippedLabs } from './shipped-lab.js'
export { NslabError } from '../util/nslab-error.js'
export type { NslabErrorCode } from '../util/nslab-error.js'
export type { CheckResult, Evidence } from '../../checks/check-result.js'
export type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
export type { ExecResult } from '../host/exec-result.js'
export type { Check, Lab, Topology } from '../lab/lab.js'
export type { LabLimits } from '../host/lab-limits.js'

/** One line of a check block, judged on a lab host: the same as host.check(line). */
export function check(host: LabHost, line: string, options?: CheckOptions): Promise<CheckResult> {
  return host.check(line, options)
}

/** The zx nslab's `$` is built on (within, ProcessOutput …): the same module, whatever else is installed. */
export function zx(): Promise<typeof import('zx')> {
  return import('zx')
}
