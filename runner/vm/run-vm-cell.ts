import type { Accel } from './boot-vm.js'
import { LAB_MODULES } from './build-initramfs.js'
import { cellLabel, type Cell } from './cell-label.js'
import { readEventLine } from '../report/events-reporter.js'
import type { Kernel } from './fetch-kernel.js'
import type { Lab } from '../lab/lab.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { runGuestJob, vmEvidence } from './run-guest-job.js'
import { vmTimeScale } from './vm-time-scale.js'
import type { GuestRunJob } from './vm-guest.js'

export { guestEntry } from './run-guest-job.js'

export interface VmCellOptions {
  kernel: Kernel
  backend: 'nft' | 'legacy'
  labs: Lab[]
  accel: Accel
  /** -cpu model (kvmWorks says which one runs under KVM). */
  cpu?: string
  /** The whole VM's time limit. */
  timeoutMs: number
  /** Each lab's time limit inside the VM. */
  labTimeoutMs: number
  /** Labs in parallel inside the VM. */
  jobs?: number
  bail?: boolean
  /** Stretch step limits and check windows inside the VM (default: vmTimeScale, 4 under TCG, 1 under KVM, times the machine's contention). */
  timeScale?: number
  /** Events of the labs, relabelled with the cell, as a local run emits them (no run-start or run-end). */
  emit: (event: RunEvent) => void
  /** Called once the guest is up and has said what it runs. */
  onUp?: (cell: Cell, upMs: number) => void
  signal?: AbortSignal
  /** Where lab paths are relative to (default: this process's cwd). */
  cwd?: string
  /**
   * Give up on a VM that has said nothing by then, and report nothing of it
   * (result.stalled): the caller runs the cell again without KVM.
   */
  stallTimeoutMs?: number
}

export interface VmCellResult {
  cell: Cell
  label: string
  results: LabResult[]
  /** From qemu's start: the guest said it was up; the first step (a script block) began. */
  upMs?: number
  firstStepMs?: number
  durationMs: number
  /** Why the cell itself failed (no boot, a panic, a hang), when it did. */
  failure?: string
  consoleTail: string
  /** The VM said nothing within stallTimeoutMs; nothing was reported: run it again another way. */
  stalled?: boolean
}

// Where it was first defined; grading keeps the plain ×4 (a grade must not depend on the machine's load).
export { TCG_TIME_SCALE } from './vm-time-scale.js'

/**
 * One cell of the matrix: a throwaway VM booted from the kernel, the labs run
 * inside it with iptables' chosen back end, every event relabelled with the
 * cell and handed on. A VM that does not boot, panics or hangs gives each lab
 * it did not finish an error result whose evidence is the end of the console.
 */
export async function runVmCell(opts: VmCellOptions): Promise<VmCellResult> {
  const t0 = performance.now()
  const cell: Cell = { spec: opts.kernel.spec, backend: opts.backend }
  let label = cellLabel(cell)
  const results: LabResult[] = []
  const blocks = new Map<string, BlockResult[]>()
  let firstStepMs: number | undefined

  const onLine = (line: string) => {
    const e = readEventLine(line)
    if (!e) return
    switch (e.type) {
      case 'run-start':
      case 'run-end':
        // The host's run has its own start and end.
        return
      case 'lab-start':
        blocks.set(e.file, [])
        break
      case 'block-start':
        if (firstStepMs === undefined && e.block.kind === 'script') firstStepMs = performance.now() - t0
        break
      case 'block-end':
        blocks.get(e.file)?.push(e.result)
        break
      case 'lab-end':
        e.result.cell = label
        results.push(e.result)
        break
    }
    opts.emit(e)
  }

  const job: GuestRunJob = {
    kind: 'run',
    labs: opts.labs,
    cwd: opts.cwd ?? process.cwd(),
    iptables: opts.backend,
    jobs: opts.jobs ?? 1,
    timeoutMs: opts.labTimeoutMs,
    bail: opts.bail ?? false,
    timeScale: opts.timeScale ?? vmTimeScale(opts.accel),
  }
  const r = await runGuestJob({
    kernel: opts.kernel,
    modules: [...LAB_MODULES.common, ...LAB_MODULES[opts.backend]],
    job,
    accel: opts.accel,
    ...(opts.cpu ? { cpu: opts.cpu } : {}),
    timeoutMs: opts.timeoutMs,
    ...(opts.stallTimeoutMs !== undefined ? { stallTimeoutMs: opts.stallTimeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onUp: (info, upMs) => {
      cell.release = info.release
      const version = /\bv\d[\w.]*/.exec(info.iptables)?.[0]
      if (version) cell.iptablesVersion = version
      label = cellLabel(cell)
      opts.onUp?.({ ...cell }, upMs)
    },
    onLine,
  })
  const { vm } = r
  if (r.stalled) {
    return { cell, label, results: [], durationMs: performance.now() - t0, failure: r.failure ?? 'the VM said nothing', consoleTail: vm.consoleTail, stalled: true }
  }
  const failure = r.failure ?? (r.vmError ? `the run inside the VM failed: ${r.vmError}` : undefined)
  if (failure) {
    const error = vmEvidence(label, failure, vm)
    const ended = new Set(results.map((x) => x.file))
    for (const lab of opts.labs) {
      if (ended.has(lab.file)) continue
      const x: LabResult = { file: lab.file, title: lab.title, status: 'error', durationMs: 0, blocks: blocks.get(lab.file) ?? [], error, cell: label }
      results.push(x)
      opts.emit({ type: 'lab-end', result: x })
    }
  }
  const out: VmCellResult = { cell, label, results, durationMs: performance.now() - t0, consoleTail: vm.consoleTail }
  if (r.upMs !== undefined) out.upMs = r.upMs
  if (firstStepMs !== undefined) out.firstStepMs = firstStepMs
  if (failure) out.failure = failure
  return out
}

/** A cell that could not even start (its kernel could not be fetched): each lab an error with the reason. */
export function failedCell(spec: string, backend: 'nft' | 'legacy', labs: Lab[], reason: string, emit: (e: RunEvent) => void): VmCellResult {
  const cell: Cell = { spec, backend }
  const label = cellLabel(cell)
  const results = labs.map((lab): LabResult => ({ file: lab.file, title: lab.title, status: 'error', durationMs: 0, blocks: [], error: `${label}: ${reason}`, cell: label }))
  for (const r of results) emit({ type: 'lab-end', result: r })
  return { cell, label, results, durationMs: 0, failure: reason, consoleTail: '' }
}
