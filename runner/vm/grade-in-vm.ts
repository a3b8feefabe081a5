// `nslab grade --kernel SPEC`: the whole class graded inside one throwaway VM
// on that kernel, for answers that must not reach this machine's kernel (a
// learner who finds a kernel bug gets the guest's kernel, not this one's).
// The host loads and checks the submissions as a local grade does and hands
// the loaded answers to the guest in its job (the guest reads no learner's
// folder); the guest grades them with the machinery of a local grade (as its
// root: workers as unused uids, a cgroup per submission) and sends each grade
// back as a line on the VM's events port; the host writes the reports. The
// VM has no network device and is gone when this returns, whatever happened.
import type { Accel } from './boot-vm.js'
import { LAB_MODULES } from './build-initramfs.js'
import type { Kernel } from './fetch-kernel.js'
import type { Grade, GradeStatus, Submission } from '../grade/grade.js'
import { notGraded, type GradeAllFlags, type GradeAllResult } from '../grade/grade-all.js'
import type { Lab } from '../lab/lab.js'
import { NslabError } from '../util/nslab-error.js'
import { builtFile, runGuestJob, vmEvidence, type VmInfo } from './run-guest-job.js'
import { vmTimeScale } from './vm-time-scale.js'
import type { GuestGradeJob, GuestLine } from './vm-guest.js'

export interface GradeInVmOptions {
  lab: Lab
  submissions: Submission[]
  flags: GradeAllFlags
  kernel: Kernel
  accel: Accel
  /** -cpu model (kvmWorks says which one runs under KVM). */
  cpu?: string
  /** The VM's time limit. */
  timeoutMs: number
  memoryMb?: number
  /** Give up on a VM that has said nothing by then (result.stalled): grade again without KVM. */
  stallTimeoutMs?: number
  /** Stretch the time limits inside the VM (default: 4 under TCG, 1 under KVM). */
  timeScale?: number
  /** Ctrl-C: the VM is ended; what it graded by then is kept. */
  signal?: AbortSignal
  /**
   * The guest sees all of this machine's files read-only (as a matrix VM
   * does) rather than only what it runs on (guestView). Default: confined as
   * root, all as an ordinary user (who cannot confine qemu, and whose own
   * files a local grade would put within the answers' reach anyway).
   */
  wholeRoot?: boolean
  /**
   * engine: docker: nslab's cache folder (NSLAB_CACHE), whose images the guest's lab hosts use,
   * read-only; put in the confined view (only the images of the lab hosts' owner).
   */
  imageCache?: string
  onUp?: (info: VmInfo, upMs: number) => void
  onGrade?: (g: Grade, index: number) => void
  /** A note from the guest (e.g. no cgroups there). */
  onNote?: (message: string) => void
}

export interface VmGradeResult extends GradeAllResult {
  /** The VM as reports name it: "debian:bookworm, Linux 6.1.0-56-amd64, iptables v1.8.9 (nf_tables)". */
  vm: string
  /** From qemu's start to the guest saying it is up. */
  upMs?: number
  /** Why the VM did not grade every submission, with the end of its console. */
  failure?: string
  /** Said nothing under KVM within stallTimeoutMs: nothing was graded; grade again under TCG. */
  stalled?: boolean
  timeScale: number
}

const STATUSES: GradeStatus[] = ['pass', 'partial', 'fail', 'error']

/** Grade the class inside a VM on the kernel; grades in the order of submissions, as gradeAll gives them. */
export async function gradeInVm(opts: GradeInVmOptions): Promise<VmGradeResult> {
  const { lab, submissions, flags } = opts
  const startTime = Date.now()
  const t0 = performance.now()
  // As the matrix's VMs: emulation and a busy machine both slow the guest, and its limits stretch with both (vm-time-scale.ts).
  const timeScale = opts.timeScale ?? vmTimeScale(opts.accel)
  // The guest's graders run the bundled worker of nslab's build, as here.
  if (!builtFile('bin/grade-worker.js')) throw new NslabError({ code: 'PREREQUISITE', message: 'nslab is not built: dist/bin/grade-worker.js is missing', fix: 'npm run build' })
  const job: GuestGradeJob = {
    kind: 'grade',
    lab,
    submissions,
    // Grading reads nothing relative to a folder; the instructor's is not in the guest's view.
    cwd: '/',
    jobs: flags.jobs,
    limits: flags.limits,
    walkthrough: flags.walkthrough,
    timeScale,
    ...(flags.iptables ? { iptables: flags.iptables } : {}),
  }
  const grades: (Grade | undefined)[] = new Array(submissions.length)
  const started = new Set<number>()
  let guestEnforcedBy: string[] | undefined
  let info: VmInfo | undefined

  const onLine = (line: string) => {
    let g: GuestLine
    try {
      g = JSON.parse(line) as GuestLine
    } catch {
      return
    }
    // What the guest says is read as untrusted: its answers ran there.
    switch (g.type) {
      case 'vm-grade-start':
        if (isIndex(g.index, submissions.length)) started.add(g.index)
        return
      case 'vm-grade': {
        if (!isIndex(g.index, submissions.length) || grades[g.index]) return
        const grade = guestGrade(g.grade, submissions[g.index]!, lab)
        if (!grade) return
        grades[g.index] = grade
        opts.onGrade?.(grade, g.index)
        return
      }
      case 'vm-grade-end':
        if (Array.isArray(g.enforcedBy)) guestEnforcedBy = g.enforcedBy.filter((s): s is string => typeof s === 'string')
        return
      case 'vm-note':
        if (typeof g.message === 'string') opts.onNote?.(g.message)
        return
    }
  }

  const r = await runGuestJob({
    kernel: opts.kernel,
    modules: [...LAB_MODULES.common, ...(flags.iptables ? LAB_MODULES[flags.iptables] : [...LAB_MODULES.nft, ...LAB_MODULES.legacy])],
    job,
    confined: !(opts.wholeRoot ?? process.getuid?.() !== 0),
    ...(opts.imageCache ? { imageCache: opts.imageCache } : {}),
    accel: opts.accel,
    ...(opts.cpu ? { cpu: opts.cpu } : {}),
    timeoutMs: opts.timeoutMs,
    memoryMb: opts.memoryMb ?? vmMemoryMb(flags.jobs),
    ...(opts.stallTimeoutMs !== undefined ? { stallTimeoutMs: opts.stallTimeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onUp: (i, upMs) => {
      info = i
      opts.onUp?.(i, upMs)
    },
    onLine,
  })
  const vm = vmName(opts.kernel, info)
  const base = { vm, timeScale, startTime, durationMs: performance.now() - t0, ...(r.upMs !== undefined ? { upMs: r.upMs } : {}) }
  if (r.stalled) return { ...base, grades: [], enforcedBy: [], stalled: true, ...(r.failure ? { failure: r.failure } : {}) }

  if (r.vmError && r.vmErrorPrerequisite && !r.failure) {
    // As a local grade: the guest cannot grade at all (it cannot build a lab host, say); no reports.
    throw new NslabError({ code: 'PREREQUISITE', message: `inside the VM (${vm}): ${r.vmError}` })
  }
  const failure = r.failure ?? (r.vmError ? `the grading inside the VM failed: ${r.vmError}` : undefined)
  const interrupted = opts.signal?.aborted === true || r.vm.aborted
  const out: VmGradeResult = { ...base, grades: [], enforcedBy: [vmSentence(vm, timeScale), ...(guestEnforcedBy ?? [])] }
  if (failure && !interrupted) out.failure = vmEvidence(vm, failure, r.vm)
  submissions.forEach((sub, i) => {
    const g = grades[i]
    if (g) out.grades.push(g)
    // As a local grade: on Ctrl-C, those being graded are not graded, those not begun are left out.
    else if (interrupted) {
      if (started.has(i)) out.grades.push(notGraded(lab, sub, 'grading was interrupted'))
    } else if (failure) out.grades.push(notGraded(lab, sub, failure.split('\n')[0]!, out.failure))
    else out.grades.push(notGraded(lab, sub, 'the VM sent no grade for it', 'the VM ended its grading without a grade for this submission'))
  })
  return out
}

/** How much memory a grading VM gets: room for its jobs' lab hosts (qemu takes it only as the guest uses it). */
export function vmMemoryMb(jobs: number): number {
  return Math.min(8192, 1024 + 256 * jobs)
}

/** A grade from the guest, with the learner as this machine knows them; undefined for anything else. */
function guestGrade(v: unknown, sub: Submission, lab: Lab): Grade | undefined {
  if (!v || typeof v !== 'object') return undefined
  const g = v as Grade
  const num = (n: unknown) => typeof n === 'number' && Number.isFinite(n)
  if (!num(g.points) || !num(g.max) || !STATUSES.includes(g.status) || !Array.isArray(g.exercises) || !Array.isArray(g.limitsHit) || !Array.isArray(g.notes)) return undefined
  if (!g.result || typeof g.result !== 'object' || !Array.isArray(g.result.blocks)) return undefined
  // The guest cannot rename a learner, nor file their grade under another lab.
  g.name = sub.name
  g.path = sub.path
  g.result.cell = sub.name
  g.result.file = lab.file
  return g
}

function isIndex(i: unknown, n: number): i is number {
  return typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < n
}

function vmName(kernel: Kernel, info: VmInfo | undefined): string {
  return [kernel.spec, info?.release && `Linux ${info.release}`, info?.iptables].filter(Boolean).join(', ')
}

/** The first line of the reports' "how the limits are enforced". */
function vmSentence(vm: string, timeScale: number): string {
  return (
    `graded inside a throwaway VM (${vm}; no network device): the answers ran on the guest's kernel, never on this machine's` +
    (timeScale > 1 ? `; under software emulation (TCG), so the time limits of the lab's scripts and checks and of each submission were ×${timeScale} there (as below)` : '')
  )
}
