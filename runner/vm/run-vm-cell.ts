import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packageRoot } from '../util/package-root.js'
import { bootVm, type Accel } from './boot-vm.js'
import { buildInitramfs, LAB_MODULES } from './build-initramfs.js'
import { cellLabel, type Cell } from './cell-label.js'
import { readEventLine } from '../report/events-reporter.js'
import type { Kernel } from './fetch-kernel.js'
import { formatDuration } from '../util/format-duration.js'
import type { Lab } from '../lab/lab.js'
import { NslabError } from '../util/nslab-error.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { shellQuote } from '../util/shell-quote.js'
import type { GuestJob, GuestLine } from './vm-guest.js'

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
  /** Stretch step limits and check windows inside the VM (default: 4 under TCG, 1 under KVM). */
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

/** How much slower than the machine itself a guest under software emulation runs, roughly. */
export const TCG_TIME_SCALE = 4

/** Lines of the guest's console kept as a failed cell's evidence. */
const EVIDENCE_LINES = 30

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
  const guest = guestEntry()
  const work = await mkdtemp(join(tmpdir(), 'nslab-vm-'))
  const results: LabResult[] = []
  const blocks = new Map<string, BlockResult[]>()
  let upMs: number | undefined
  let firstStepMs: number | undefined
  let vmError: string | undefined
  let done = false
  let heard = false

  const onLine = (line: string, fromPort: boolean) => {
    if (!line.startsWith('{')) return
    let v: { type?: string }
    try {
      v = JSON.parse(line) as { type?: string }
    } catch {
      return
    }
    if (fromPort) heard = true
    const g = v as GuestLine
    if (g.type === 'vm-info') {
      cell.release = g.release
      const version = /\bv\d[\w.]*/.exec(g.iptables)?.[0]
      if (version) cell.iptablesVersion = version
      label = cellLabel(cell)
      upMs ??= performance.now() - t0
      opts.onUp?.({ ...cell }, upMs)
      return
    }
    if (g.type === 'vm-error') {
      vmError = g.message
      return
    }
    if (g.type === 'vm-done') {
      done = true
      return
    }
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

  try {
    const modules = [...LAB_MODULES.common, ...LAB_MODULES[opts.backend]]
    const initramfs = await buildInitramfs(opts.kernel, { modules })
    await writeFile(join(work, 'initramfs'), initramfs.data)
    const cwd = opts.cwd ?? process.cwd()
    const job: GuestJob = {
      labs: opts.labs,
      cwd,
      iptables: opts.backend,
      jobs: opts.jobs ?? 1,
      timeoutMs: opts.labTimeoutMs,
      bail: opts.bail ?? false,
      timeScale: opts.timeScale ?? (opts.accel === 'tcg' ? TCG_TIME_SCALE : 1),
    }
    await writeFile(join(work, 'job.json'), JSON.stringify(job))
    // The guest reaches these files through its read-only view of this machine's root.
    await writeFile(
      join(work, 'guest.sh'),
      [
        'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8',
        `export NSLAB_TIME_SCALE=${job.timeScale}`,
        `cd ${shellQuote(cwd)} || exit 1`,
        `${shellQuote(process.execPath)} ${shellQuote(guest)} ${shellQuote(join(work, 'job.json'))}`,
        '',
      ].join('\n'),
    )
    const vm = await bootVm({
      kernel: opts.kernel,
      initramfs: join(work, 'initramfs'),
      runScript: join(work, 'guest.sh'),
      workDir: work,
      accel: opts.accel,
      ...(opts.cpu ? { cpu: opts.cpu } : {}),
      timeoutMs: opts.timeoutMs,
      onLine: (l) => onLine(l, true),
      ...(opts.stallTimeoutMs !== undefined ? { firstLineTimeoutMs: opts.stallTimeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
    if (!heard) {
      // A guest without the events port writes its lines to the console instead.
      const text = await readFile(vm.consoleLog, 'utf8').catch(() => '')
      for (const l of text.split(/\r?\n/)) onLine(l.replace(/^[^{]*(?=\{"type":)/, ''), false)
    }
    if (vm.stalled && !heard) {
      return { cell, label, results: [], durationMs: performance.now() - t0, failure: `the VM said nothing within ${formatDuration(opts.stallTimeoutMs ?? 0)}`, consoleTail: vm.consoleTail, stalled: true }
    }
    let failure: string | undefined
    const panicked = /Kernel panic - not syncing/.test(vm.consoleTail)
    if (vm.aborted) failure = 'the run was interrupted'
    else if (!done && panicked) failure = `the guest's kernel panicked ${upMs === undefined ? 'before the run started' : 'in the middle of the run'}`
    else if (!done) {
      if (vm.timedOut) failure = `the VM did not finish within ${formatDuration(opts.timeoutMs)}${upMs === undefined ? ' and never came up (a hang at boot?)' : ' (it hung?)'}`
      else if (vm.exitCode !== 0 && upMs === undefined && vm.qemuSays) failure = `qemu could not run the VM (exit ${vm.exitCode ?? vm.signal}): ${vm.qemuSays.trim()}`
      else if (upMs === undefined && vm.tripleFault) failure = 'the VM did not boot: its CPU triple-faulted and reset before the kernel got going (a kernel that cannot boot)'
      else if (upMs === undefined) failure = 'the VM did not boot: it ended before the run started (a kernel that cannot boot, or a panic)'
      else failure = 'the VM ended in the middle of the run (a panic?)'
    } else if (vmError) failure = `the run inside the VM failed: ${vmError}`
    if (failure) {
      const tail = vm.consoleTail.split('\n').slice(-EVIDENCE_LINES).join('\n')
      const error = [
        `${label}: ${failure}`,
        tail ? `console (last lines):\n${tail}` : 'console: (nothing)',
        ...(vm.tripleFault ? ['qemu: Triple fault'] : []),
      ].join('\n')
      const ended = new Set(results.map((r) => r.file))
      for (const lab of opts.labs) {
        if (ended.has(lab.file)) continue
        const r: LabResult = { file: lab.file, title: lab.title, status: 'error', durationMs: 0, blocks: blocks.get(lab.file) ?? [], error, cell: label }
        results.push(r)
        opts.emit({ type: 'lab-end', result: r })
      }
    }
    const out: VmCellResult = { cell, label, results, durationMs: performance.now() - t0, consoleTail: vm.consoleTail }
    if (upMs !== undefined) out.upMs = upMs
    if (firstStepMs !== undefined) out.firstStepMs = firstStepMs
    if (failure) out.failure = failure
    return out
  } finally {
    if (!process.env.NSLAB_VM_KEEP) await rm(work, { recursive: true, force: true })
  }
}

/** A cell that could not even start (its kernel could not be fetched): each lab an error with the reason. */
export function failedCell(spec: string, backend: 'nft' | 'legacy', labs: Lab[], reason: string, emit: (e: RunEvent) => void): VmCellResult {
  const cell: Cell = { spec, backend }
  const label = cellLabel(cell)
  const results = labs.map((lab): LabResult => ({ file: lab.file, title: lab.title, status: 'error', durationMs: 0, blocks: [], error: `${label}: ${reason}`, cell: label }))
  for (const r of results) emit({ type: 'lab-end', result: r })
  return { cell, label, results, durationMs: 0, failure: reason, consoleTail: '' }
}

/** The guest's program: dist/vm-guest.cjs, one bundled file, in nslab's folder. */
export function guestEntry(): string {
  const found = [join(packageRoot(), 'dist', 'vm-guest.cjs')].find((c) => existsSync(c))
  if (!found) {
    throw new NslabError({ code: 'PREREQUISITE', message: 'the program a VM runs (dist/vm-guest.cjs) is not built', fix: 'npm run build' })
  }
  return found
}
