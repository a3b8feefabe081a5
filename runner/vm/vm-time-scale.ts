import { availableParallelism, loadavg } from 'node:os'
import type { Accel } from './boot-vm.js'

/** How much slower than the machine itself a guest under software emulation runs, roughly. */
export const TCG_TIME_SCALE = 4

/** The most a busy machine stretches a VM's limits by, beyond emulation: past this, a limit stops being one. */
export const MAX_CONTENTION = 4

/**
 * How much the other work of this machine slows a VM down: processes ready
 * to run per CPU over the last minute (the load average over the CPUs), at
 * least 1. A VM's one vCPU is one of those processes: on a machine loaded 11
 * on 2 CPUs it gets about a fifth of a CPU, and a check's window that fits
 * emulation alone (×4) is missed by a lab that does nothing wrong.
 */
export function hostContention(load: number = loadavg()[0] ?? 0, cpus: number = availableParallelism()): number {
  const c = load / Math.max(1, cpus)
  return Number.isFinite(c) ? Math.min(MAX_CONTENTION, Math.max(1, Math.round(c * 10) / 10)) : 1
}

/**
 * The time scale of a matrix VM (NSLAB_TIME_SCALE in the guest: step limits,
 * check windows, nslab's own fixed limits): ×4 under TCG, ×1 under KVM, times
 * the machine's contention when the cell starts.
 */
export function vmTimeScale(accel: Accel, contention: number = hostContention()): number {
  return Math.round((accel === 'tcg' ? TCG_TIME_SCALE : 1) * contention * 10) / 10
}
