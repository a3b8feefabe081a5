import type { Accel } from '../vm/boot-vm.js'
import { cellKey, iptablesV } from '../vm/cell-label.js'
import { colorEnabled } from '../util/colors.js'
import { fetchKernel, type Kernel } from '../vm/fetch-kernel.js'
import { formatDuration } from '../util/format-duration.js'
import { interruptOnSignals } from './interrupt-on-signals.js'
import { kvmWorks } from '../vm/kvm-works.js'
import { availableParallelism, loadavg } from 'node:os'
import { hostContention, vmTimeScale } from '../vm/vm-time-scale.js'
import type { Lab } from '../lab/lab.js'
import { commandReporters } from './command-reporters.js'
import { asCommandUsage } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { matrixTable } from '../vm/matrix-table.js'
import { NslabError } from '../util/nslab-error.js'
import { parseDurationArg } from './parse-duration-arg.js'
import { parseKernelSpec, specLabel, type KernelSpec } from '../vm/parse-kernel-spec.js'
import { findProgram } from '../host/require-programs.js'
import { labsOrDefault, loadOrReport, parseRunFlags, RUN_HELP } from './run-flags.js'
import type { LabResult, RunEvent } from '../run/run-event.js'
import { failedCell, runVmCell, type VmCellResult } from '../vm/run-vm-cell.js'
import { parseShard, shardWork, type Shard } from '../run/shard-work.js'

export const MATRIX_HELP = `Usage: nslab run [labs or folders…] --kernel SPEC [--kernel SPEC…] [options]

Runs the labs inside throwaway VMs, one per cell of kernels × iptables back
ends, and reports a matrix (docs/kernels.md).

  --kernel SPEC             debian:bookworm, debian:bookworm-backports, debian:trixie, debian:sid
                            (that suite's newest kernel, fetched once into ~/.cache/nslab/kernels),
                            or IMAGE[:MODULES], a kernel you built and its lib/modules/RELEASE folder
  --iptables nft|legacy     back ends to run with (repeatable; default: both)
  --shard K/N               run the K-th of N shares of the matrix (for CI); join the JSON
                            reports with \`nslab report merge\`
  --accel auto|kvm|tcg      KVM when it works (default), or software emulation
  --vm-timeout DURATION     time limit of each VM (default: 2 min + 2 min a lab under TCG,
                            1 min + 1 min a lab under KVM; an engine: docker lab 15 min
                            under TCG, 3 min under KVM; up to ×4 on a busy machine)
  -j, --jobs N              labs in parallel inside each VM

The other options of \`nslab run\` apply (but --keep):
${RUN_HELP.split('\n')
  .filter((l) => /^ {2}-/.test(l) && !/^ {2}(?:-j, )?--(?:keep|iptables|kernel|jobs|shard)\b/.test(l))
  .join('\n')}
Exit: 0 every cell passed, 1 a lab failed or could not run in some cell, 2 an invalid lab or usage,
3 the machine lacks a prerequisite.
`

interface MatrixFlags {
  kernels: string[]
  backends: ('nft' | 'legacy')[]
  shard?: Shard
  accel: 'auto' | Accel
  vmTimeoutMs?: number
  rest: string[]
}

/** Take the matrix's own options out of argv; the rest are `nslab run`'s. */
export function splitMatrixFlags(argv: string[]): MatrixFlags {
  const out: MatrixFlags = { kernels: [], backends: [], accel: 'auto', rest: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    // After --, everything is a lab's path, also what looks like a matrix option.
    if (a === '--') {
      out.rest.push(...argv.slice(i))
      break
    }
    const m = /^(--kernel|--iptables|--shard|--accel|--vm-timeout)(?:=(.*))?$/.exec(a)
    if (!m) {
      out.rest.push(a)
      continue
    }
    const name = m[1]!
    let value = m[2]
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined) throw new UsageError('nslab run', `${name} needs a value`)
    }
    if (name === '--kernel') out.kernels.push(value)
    else if (name === '--iptables') {
      for (const v of value.split(',')) {
        if (v !== 'nft' && v !== 'legacy') throw new UsageError('nslab run', `--iptables takes nft or legacy, not "${v}"`)
        if (!out.backends.includes(v)) out.backends.push(v)
      }
    } else if (name === '--shard') out.shard = asCommandUsage('nslab run', () => parseShard(value))
    else if (name === '--accel') {
      if (value !== 'auto' && value !== 'kvm' && value !== 'tcg') throw new UsageError('nslab run', `--accel takes auto, kvm or tcg, not "${value}"`)
      out.accel = value
    } else out.vmTimeoutMs = asCommandUsage('nslab run', () => parseDurationArg(value, '--vm-timeout'))
  }
  return out
}

interface PlannedCell {
  spec: KernelSpec
  backend: 'nft' | 'legacy'
}

/**
 * `nslab run … --kernel SPEC…`: the labs in a VM per cell of kernels ×
 * iptables back ends, one cell at a time; events reach the same reporters
 * as a local run's, each result labelled with its cell; then the matrix.
 * Exit 0 when every cell passed, 1 when any failed (a cell that did not
 * boot included), 2 for a usage error.
 */
export async function runMatrixCommand(argv: string[]): Promise<number> {
  const mf = splitMatrixFlags(argv)
  const flags = parseRunFlags(mf.rest)
  if (flags === 'help') {
    process.stdout.write(MATRIX_HELP)
    return 0
  }
  if (mf.kernels.length === 0) throw new UsageError('nslab run', 'a matrix needs at least one --kernel')
  if (flags.keep) throw new UsageError('nslab run', '--keep does not apply to a run in VMs (the VM is gone when the run ends)')
  const specs = asCommandUsage('nslab run', () => mf.kernels.map(parseKernelSpec))
  const labs = loadOrReport(labsOrDefault(flags.paths, 'nslab run'), flags.grep, flags.engine)
  if (!labs) return 2
  if (!findProgram('qemu-system-x86_64')) {
    throw new NslabError({ code: 'PREREQUISITE', message: 'this machine lacks `qemu-system-x86_64`', fix: 'apt-get install qemu-system-x86' })
  }
  const backends = mf.backends.length ? mf.backends : (['nft', 'legacy'] as const)
  const cells: PlannedCell[] = specs.flatMap((spec) => backends.map((backend) => ({ spec, backend })))
  const work = shardWork(cells, labs, mf.shard)

  const { reporter, out } = await commandReporters(flags)
  const note = (line: string) => out.write(`${line}\n`)
  const emit = (e: RunEvent) => reporter.onEvent(e)
  const interrupt = interruptOnSignals()
  const t0 = performance.now()
  const all: LabResult[] = []
  try {
    let accel: Accel = mf.accel === 'auto' ? 'kvm' : mf.accel
    let cpu: string | undefined
    if (mf.accel !== 'tcg' && work.length > 0) {
      const kvm = await kvmWorks()
      if (kvm.ok) cpu = kvm.cpu
      else if (mf.accel === 'kvm') throw new NslabError({ code: 'PREREQUISITE', message: `--accel kvm: KVM does not work here: ${kvm.why}` })
      else {
        accel = 'tcg'
        note(`nslab: KVM does not work here (${kvm.why}); the VMs run under software emulation (TCG), which is slower`)
      }
    }
    if (mf.shard) note(`nslab: shard ${mf.shard.index}/${mf.shard.count}: ${work.reduce((n, w) => n + w.labs.length, 0)} of ${cells.length * labs.length} runs (lab × cell)`)
    const files = [...new Set(work.flatMap((w) => w.labs.map((l) => l.file)))]
    emit({ type: 'run-start', files, jobs: flags.jobs, time: Date.now() })

    const kernels = new Map<string, Promise<Kernel>>()
    const kernelOf = (spec: KernelSpec) => {
      let k = kernels.get(spec.text)
      if (!k) {
        k = fetchKernel(spec, { log: (l) => note(`nslab: ${l}`) })
        kernels.set(spec.text, k)
      }
      return k
    }
    let n = 0
    for (const w of work) {
      n++
      if (interrupt.signal.aborted) break
      if (flags.bail && all.some((r) => r.status !== 'pass' && r.status !== 'skip')) break
      const name = cellKey({ spec: specLabel(w.cell.spec), backend: w.cell.backend })
      let kernel: Kernel
      let r: VmCellResult
      try {
        kernel = await kernelOf(w.cell.spec)
      } catch (e) {
        // A kernel that cannot be had (no such suite, no network, a wrong path) fails its cells, not the run.
        r = failedCell(specLabel(w.cell.spec), w.cell.backend, w.labs, e instanceof NslabError ? e.toString() : String(e), emit)
        note(`  ✗ ${r.label}: ${r.failure?.split('\n')[0]}`)
        all.push(...r.results)
        continue
      }
      {
        // A busy machine slows the VM as much as emulation does: its limits stretch with both (vm-time-scale.ts).
        const contention = hostContention()
        const busy = contention > 1 ? `; this machine is busy, load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs: time limits ×${vmTimeScale(accel, contention)}` : ''
        note(`▶ cell ${n}/${work.length}: ${name}, ${plural(w.labs.length, 'lab')}, booting ${kernel.release ?? kernel.image} (${accel.toUpperCase()}${busy})…`)
        const cellRun = () =>
          runVmCell({
            kernel,
            backend: w.cell.backend,
            labs: w.labs,
            accel,
            ...(cpu && accel === 'kvm' ? { cpu } : {}),
            timeoutMs: mf.vmTimeoutMs ?? defaultVmTimeout(accel, w.labs) * contention,
            timeScale: vmTimeScale(accel, contention),
            labTimeoutMs: flags.timeoutMs,
            jobs: flags.jobs,
            bail: flags.bail,
            emit,
            signal: interrupt.signal,
            // A KVM that passed the probe may still stall a real guest: then it is dropped for TCG.
            ...(accel === 'kvm' && mf.accel === 'auto' ? { stallTimeoutMs: KVM_STALL_MS } : {}),
            onUp: (cell, upMs) =>
              note(`  up in ${formatDuration(upMs)}: Linux ${cell.release}, ${iptablesV(cell) ?? `iptables-${cell.backend}`}`),
          })
        r = await cellRun()
        if (r.stalled) {
          accel = 'tcg'
          note(`nslab: a VM under KVM said nothing in ${formatDuration(KVM_STALL_MS)}; the VMs run under software emulation (TCG) from here on`)
          r = await cellRun()
        }
      }
      if (r.failure) note(`  ✗ ${r.label}: ${r.failure.split('\n')[0]}`)
      else {
        const passed = r.results.filter((x) => x.status === 'pass' || x.status === 'skip').length
        const first = r.firstStepMs !== undefined ? `, first step at ${formatDuration(r.firstStepMs)}` : ''
        note(`  ${passed === r.results.length ? '✓' : '✗'} ${r.label}: ${passed} of ${plural(r.results.length, 'lab')} passed in ${formatDuration(r.durationMs)}${first}`)
      }
      all.push(...r.results)
    }
    emit({ type: 'run-end', results: all, durationMs: performance.now() - t0 })
  } finally {
    await reporter.close()
    interrupt.dispose()
  }
  if (all.length) out.write(`\n${matrixTable(all, { color: flags.reporter !== 'tap' && colorEnabled(out) })}`)
  else note('nslab: nothing to run in this shard')
  if (interrupt.signal.aborted) return interrupt.exitCode()
  return all.every((r) => r.status === 'pass' || r.status === 'skip') ? 0 : 1
}

/** A guest under KVM is up in a second or two; silence this long means KVM does not really work. */
const KVM_STALL_MS = 30_000

/** Enough for a slow boot and each lab at its usual pace, not enough to wait long on a hang. */
function defaultVmTimeout(accel: Accel, labs: Lab[]): number {
  // A docker-engine lab starts a dockerd in the guest: minutes under emulation (docs/engines.md#the-vm-matrix).
  const per = (l: Lab) => (l.engine === 'docker' ? (accel === 'kvm' ? 180_000 : 900_000) : accel === 'kvm' ? 60_000 : 120_000)
  return (accel === 'kvm' ? 60_000 : 120_000) + labs.reduce((ms, l) => ms + per(l), 0)
}

function plural(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`
}
