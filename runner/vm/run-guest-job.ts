// One throwaway VM doing one job: the part of a matrix cell and of a grade
// in a VM that is the same for both. The job travels as a JSON file the guest
// reads through its read-only view of this machine's root; what the guest
// says comes back as JSON lines on the virtio-serial port (or, for a kernel
// without virtio_console, on its console). Here: the initramfs, the job, the
// boot, the lines the guest says of itself (vm-info, vm-error, vm-done), and
// why a VM that did not finish its job failed.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { bootVm, type Accel, type VmRun } from './boot-vm.js'
import { buildInitramfs } from './build-initramfs.js'
import type { Kernel } from './fetch-kernel.js'
import { formatDuration } from '../util/format-duration.js'
import { guestView } from './guest-view.js'
import { packageRoot } from '../util/package-root.js'
import { NslabError } from '../util/nslab-error.js'
import { imageCacheDir, nslabCacheDir } from '../host/docker/image-cache.js'
import { sandboxOwner } from '../host/sandbox.js'
import { shellQuote } from '../util/shell-quote.js'
import type { GuestJob, GuestLine } from './vm-guest.js'

export interface GuestJobOptions {
  kernel: Kernel
  /** Modules the initramfs loads at boot besides the boot modules. */
  modules: string[]
  /** The job; its cwd is where the guest's program starts. */
  job: GuestJob
  accel: Accel
  /** -cpu model (kvmWorks says which one runs under KVM). */
  cpu?: string
  /** The whole VM's time limit. */
  timeoutMs: number
  memoryMb?: number
  /** Give up on a VM that has said nothing by then (result.stalled). */
  stallTimeoutMs?: number
  signal?: AbortSignal
  /**
   * Show the guest only what it runs on (guestView), not this machine's whole
   * root: for a job whose code may take the guest over. The job's cwd must be in view.
   */
  confined?: boolean
  /**
   * engine: docker: nslab's cache folder (NSLAB_CACHE) for the guest; a confined view gets the
   * images of the lab hosts' owner in it (read-only, as all of the view).
   */
  imageCache?: string
  /** The guest is up and has said what it runs. */
  onUp?: (info: VmInfo, upMs: number) => void
  /** Every other line the guest says (events of the job), as it says it. */
  onLine: (line: string) => void
}

export type VmInfo = Extract<GuestLine, { type: 'vm-info' }>

export interface GuestJobRun {
  vm: VmRun
  info?: VmInfo
  /** From qemu's start to the guest's vm-info. */
  upMs?: number
  /** The guest said vm-done: its job ran to its end. */
  done: boolean
  /** What the guest's program said went wrong (vm-error). */
  vmError?: string
  /** It said the guest lacks something nslab needs. */
  vmErrorPrerequisite?: boolean
  /** Why the VM did not do its job, in one sentence; absent when it did (vmError aside). */
  failure?: string
  /** Said nothing within stallTimeoutMs: nothing is to be reported, run it again another way. */
  stalled: boolean
  durationMs: number
}

/** Lines of the guest's console kept as a failed VM's evidence. */
const EVIDENCE_LINES = 30

/** Boot a VM on the kernel, hand it the job, pass on what it says, and say why it failed if it did. */
export async function runGuestJob(opts: GuestJobOptions): Promise<GuestJobRun> {
  const t0 = performance.now()
  const guest = guestEntry()
  const work = await mkdtemp(join(tmpdir(), 'nslab-vm-'))
  let info: VmInfo | undefined
  let upMs: number | undefined
  let vmError: string | undefined
  let prerequisite = false
  let done = false
  let heard = false

  const onLine = (line: string, fromPort: boolean) => {
    if (!line.startsWith('{')) return
    let v: { type?: unknown }
    try {
      v = JSON.parse(line) as { type?: unknown }
    } catch {
      return
    }
    if (fromPort) heard = true
    const g = v as GuestLine
    if (g.type === 'vm-info') {
      info = g
      upMs ??= performance.now() - t0
      opts.onUp?.(g, upMs)
      return
    }
    if (g.type === 'vm-error') {
      vmError = g.message
      prerequisite = g.prerequisite === true
      return
    }
    if (g.type === 'vm-done') {
      done = true
      return
    }
    opts.onLine(line)
  }

  try {
    const initramfs = await buildInitramfs(opts.kernel, { modules: opts.modules })
    await writeFile(join(work, 'initramfs'), initramfs.data)
    const { cwd } = opts.job
    await writeFile(join(work, 'job.json'), JSON.stringify(opts.job))
    // The guest reaches these files through its read-only view of this machine's root.
    await writeFile(
      join(work, 'guest.sh'),
      [
        'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8',
        `export NSLAB_TIME_SCALE=${opts.job.timeScale ?? 1}`,
        // engine: docker: this machine's image cache, which a matrix VM sees read-only, and its owner.
        ...(opts.confined && !opts.imageCache ? [] : [`export NSLAB_CACHE=${shellQuote(opts.imageCache ?? nslabCacheDir())}`]),
        ...(process.env.NSLAB_SANDBOX_UID ? [`export NSLAB_SANDBOX_UID=${shellQuote(process.env.NSLAB_SANDBOX_UID)}`] : []),
        `cd ${shellQuote(cwd)} || exit 1`,
        `${shellQuote(process.execPath)} ${shellQuote(guest)} ${shellQuote(join(work, 'job.json'))}`,
        '',
      ].join('\n'),
    )
    const files = ['job.json', 'guest.sh'].map((f) => join(work, f))
    const vm = await bootVm({
      kernel: opts.kernel,
      ...(opts.confined ? { view: guestView({ kernel: opts.kernel, nslabRoot: dirname(dirname(guest)), files: [...files, ...imageFiles(opts.imageCache)] }) } : {}),
      initramfs: join(work, 'initramfs'),
      runScript: join(work, 'guest.sh'),
      workDir: work,
      accel: opts.accel,
      ...(opts.cpu ? { cpu: opts.cpu } : {}),
      ...(opts.memoryMb ? { memoryMb: opts.memoryMb } : {}),
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
    const out: GuestJobRun = { vm, done, stalled: vm.stalled && !heard, durationMs: performance.now() - t0 }
    if (info) out.info = info
    if (upMs !== undefined) out.upMs = upMs
    if (vmError !== undefined) out.vmError = vmError
    if (prerequisite) out.vmErrorPrerequisite = true
    if (out.stalled) out.failure = `the VM said nothing within ${formatDuration(opts.stallTimeoutMs ?? 0)}`
    else {
      const failure = vmFailure(vm, { done, up: upMs !== undefined, timeoutMs: opts.timeoutMs })
      if (failure) out.failure = failure
    }
    return out
  } finally {
    if (!process.env.NSLAB_VM_KEEP) await rm(work, { recursive: true, force: true })
  }
}

/**
 * What of the image cache a confined guest sees: the images of the lab hosts' owner (built from
 * Debian's packages: no secret of the machine's), not the root file systems nor other owners' images.
 */
function imageFiles(cache: string | undefined): string[] {
  if (!cache) return []
  const owner = sandboxOwner()
  return owner === undefined ? [] : [imageCacheDir(owner, { NSLAB_CACHE: cache })]
}

/** Why a VM that did not say vm-done ended: interrupted, a panic, a hang, no boot. */
export function vmFailure(vm: VmRun, s: { done: boolean; up: boolean; timeoutMs: number }): string | undefined {
  if (vm.aborted) return 'the run was interrupted'
  if (s.done) return undefined
  if (/Kernel panic - not syncing/.test(vm.consoleTail)) return `the guest's kernel panicked ${s.up ? 'in the middle of the run' : 'before the run started'}`
  if (vm.timedOut) return `the VM did not finish within ${formatDuration(s.timeoutMs)}${s.up ? ' (it hung?)' : ' and never came up (a hang at boot?)'}`
  if (vm.exitCode !== 0 && !s.up && vm.qemuSays) return `qemu could not run the VM (exit ${vm.exitCode ?? vm.signal}): ${vm.qemuSays.trim()}`
  if (!s.up && vm.tripleFault) return 'the VM did not boot: its CPU triple-faulted and reset before the kernel got going (a kernel that cannot boot)'
  if (!s.up) return 'the VM did not boot: it ended before the run started (a kernel that cannot boot, or a panic)'
  return 'the VM ended in the middle of the run (a panic?)'
}

/** A failed VM's error as reports carry it: who, why, and the end of its console. */
export function vmEvidence(label: string, failure: string, vm: Pick<VmRun, 'consoleTail' | 'tripleFault'>): string {
  const tail = vm.consoleTail.split('\n').slice(-EVIDENCE_LINES).join('\n')
  return [`${label}: ${failure}`, tail ? `console (last lines):\n${tail}` : 'console: (nothing)', ...(vm.tripleFault ? ['qemu: Triple fault'] : [])].join('\n')
}

/** The guest's program: dist/vm-guest.cjs, one bundled file. */
export function guestEntry(): string {
  const found = builtFile('vm-guest.cjs')
  if (!found) {
    throw new NslabError({ code: 'PREREQUISITE', message: 'the program a VM runs (dist/vm-guest.cjs) is not built', fix: 'npm run build' })
  }
  return found
}

/** A file of nslab's build (dist/…), in nslab's own folder. */
export function builtFile(path: string): string | undefined {
  return [join(packageRoot(), 'dist', path)].find((c) => existsSync(c))
}
