import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { dirname } from 'node:path'
import type { Accel } from '../vm/boot-vm.js'
import { colorEnabled } from '../util/colors.js'
import { formatDuration } from '../util/format-duration.js'
import type { Grade, GradeLimits, Submission } from '../grade/grade.js'
import { gradeAll, type GradeAllResult } from '../grade/grade-all.js'
import { gradeHtml } from '../grade/grade-html.js'
import { gradeInVm } from '../vm/grade-in-vm.js'
import { gradeJsonText } from '../grade/grade-json.js'
import { gradebookCsv } from '../grade/gradebook-csv.js'
import { prepareDocker, prepareGradingHost } from '../grade/grading-host.js'
import { fetchKernel } from '../vm/fetch-kernel.js'
import { requireKernel } from '../host/kernel-features.js'
import { interruptOnSignals } from './interrupt-on-signals.js'
import { kvmWorks } from '../vm/kvm-works.js'
import type { Lab } from '../lab/lab.js'
import { labExercises } from '../lab/lab-exercises.js'
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import { loadSubmission } from '../grade/load-submission.js'
import { NslabError } from '../util/nslab-error.js'
import { parseSize } from '../util/parse-size.js'
import { nslabVersion as nslabVersionSync } from '../util/nslab-version.js'
import { asCommandUsage, COMMON_OPTIONS_HELP, readCommandArgs, type ParsedArgs } from './parse-command-args.js'
import { parseDurationArg } from './parse-duration-arg.js'
import { parseKernelSpec, specLabel } from '../vm/parse-kernel-spec.js'
import { findProgram } from '../host/require-programs.js'
import { TCG_TIME_SCALE } from '../vm/run-vm-cell.js'
import { safeTerminal } from '../util/safe-text.js'
import { progressLine, scoreboard } from '../grade/scoreboard.js'

export { enforcedBy, gradeAll } from '../grade/grade-all.js'

export const GRADE_HELP = `Usage: nslab grade LAB [options] [--] SUBMISSIONS…

Grades learners' answers to a lab's exercises. A submission is a learner's
folder holding one file per exercise, named after the exercise's id
(exercise-1.sh, exercise-2.sh, … unless the lab names them), or a single file
for a lab with one exercise. Each submission runs on a fresh lab host of its
own: setup, steps, the learner's answer in place of each solution, the checks.
An exercise scores the checks after it that pass. Answers are untrusted code:
they run inside their sandbox, within limits (docs/instructors.md).
Put -- before the submissions (nslab grade LAB --csv g.csv -- *): after it,
a name is a submission even when it starts with -.

Reports (FILE - : to stdout, and the progress to stderr):
  --csv FILE             the gradebook as CSV (one row per learner)
  --html FILE            one self-contained page: the class, and every learner's checks
  --json FILE            everything, for scripts (docs/instructors.md)
  --junit FILE           JUnit XML (a test suite per learner)

Options:
  -j, --jobs N           submissions graded in parallel (default: 8 per CPU, at most 64,
                         and one per 256 MB of memory; engine: docker: one per CPU and per GB)
  --timeout DURATION     each submission's time limit, as a whole (default 3m)
  --max-output SIZE      what one script may print before it is stopped (default 1M)
  --max-procs N          processes (and threads) of one submission at once (default 256)
  --memory SIZE          memory of one submission's processes together (default 512M)
  --max-file SIZE        largest file an answer may write (default 64M)
  --cpus N               CPUs one submission may use at once (default 1; 0: no limit)
  --walkthrough          also run the checks before the first exercise (no points)
  --iptables nft|legacy  the iptables back end inside the lab hosts

In a VM (docs/instructors.md, docs/kernels.md):
  --kernel SPEC          grade the whole class inside one throwaway VM booted from that kernel
                         (debian:bookworm, debian:trixie, … or IMAGE[:MODULES]), with no network:
                         no answer runs on this machine's kernel. For answers you do not trust
                         when a kernel bug is a worry (namespaces do not shield the kernel).
                         It costs the VM's boot (some 10 s without KVM, where the lab also runs
                         about 4 times slower and its time limits are stretched as much)
  --accel auto|kvm|tcg   KVM where it works (default), or software emulation
  --vm-timeout DURATION  the VM's own time limit (default: every submission at its limit, and more)
${COMMON_OPTIONS_HELP}Exit: 0 every submission got full marks, 1 some did not (or could not be graded),
2 an invalid lab or usage, 3 the machine lacks a prerequisite.
`

export interface GradeFlags {
  lab: string
  submissions: string[]
  jobs: number
  csv?: string
  html?: string
  json?: string
  junit?: string
  limits: GradeLimits
  walkthrough: boolean
  iptables?: 'nft' | 'legacy'
  /** --kernel: grade inside a VM on it. */
  kernel?: string
  accel: 'auto' | Accel
  vmTimeoutMs?: number
  /** -j was given (a VM has a default of its own). */
  jobsGiven: boolean
}

export const DEFAULT_LIMITS: GradeLimits = {
  timeoutMs: 180_000,
  maxOutputBytes: 1024 * 1024,
  maxProcs: 256,
  memoryBytes: 512 * 1024 * 1024,
  fileBytes: 64 * 1024 * 1024,
  cpus: 1,
}

function defaultJobs(): number {
  // Most of a lab's time is waiting (pings, check windows), not computing (bench/README.md#grading);
  // a submission in flight holds about 100 MB (its grader and its lab host).
  return Math.max(2, Math.min(availableParallelism() * 8, 64, Math.floor(totalmem() / (256 * 1024 * 1024))))
}

/**
 * engine: docker: each submission starts a dockerd, its containerd and the lab's containers
 * (some 300 MB, and seconds of CPU to start): one per CPU and per GB of memory.
 */
function defaultDockerJobs(): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / (1024 * 1024 * 1024))))
}

export const GRADE_OPTIONS = {
  jobs: { type: 'string', short: 'j' },
  csv: { type: 'string' },
  html: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  timeout: { type: 'string' },
  'max-output': { type: 'string' },
  'max-procs': { type: 'string' },
  memory: { type: 'string' },
  'max-file': { type: 'string' },
  cpus: { type: 'string' },
  walkthrough: { type: 'boolean', default: false },
  iptables: { type: 'string' },
  kernel: { type: 'string', multiple: true },
  accel: { type: 'string' },
  'vm-timeout': { type: 'string' },
} as const

export function parseGradeFlags(argv: string[]): GradeFlags | 'help' {
  // Submissions are learners' folders, named by learners: `nslab grade LAB -- *`.
  const v = readCommandArgs(argv, { command: 'nslab grade', usage: 'nslab grade LAB -- *', options: GRADE_OPTIONS })
  const o = v.values
  if (o.help) return 'help'
  return asCommandUsage('nslab grade', () => gradeFlags(o, v.positionals))
}

function gradeFlags(o: ParsedArgs<typeof GRADE_OPTIONS>['values'], positionals: string[]): GradeFlags {
  const [lab, ...submissions] = positionals
  if (!lab || submissions.length === 0) throw new NslabError({ code: 'USAGE', message: 'needs a lab and at least one submission: nslab grade LAB -- SUBMISSIONS…' })
  const onStdout = (['csv', 'html', 'json', 'junit'] as const).filter((k) => o[k] === '-')
  if (onStdout.length > 1) throw new NslabError({ code: 'USAGE', message: `only one report can go to stdout, not ${onStdout.map((k) => `--${k} -`).join(' and ')}` })
  const int = (text: string | undefined, option: string, fallback: number, min: number): number => {
    if (text === undefined) return fallback
    const n = Number(text)
    if (!Number.isInteger(n) || n < min) throw new NslabError({ code: 'USAGE', message: `${option} takes a whole number ≥ ${min}, not "${text}"` })
    return n
  }
  if (o.iptables !== undefined && o.iptables !== 'nft' && o.iptables !== 'legacy') {
    throw new NslabError({ code: 'USAGE', message: `--iptables takes nft or legacy, not "${o.iptables}"` })
  }
  const cpus = o.cpus === undefined ? DEFAULT_LIMITS.cpus : Number(o.cpus)
  if (!Number.isFinite(cpus) || cpus < 0) throw new NslabError({ code: 'USAGE', message: `--cpus takes a number ≥ 0, not "${o.cpus}"` })
  if (o.kernel && o.kernel.length > 1) {
    throw new NslabError({ code: 'USAGE', message: `grades on one kernel, not ${o.kernel.length} (--kernel ${o.kernel.join(', --kernel ')}): grade once per kernel` })
  }
  if (o.accel !== undefined && o.accel !== 'auto' && o.accel !== 'kvm' && o.accel !== 'tcg') {
    throw new NslabError({ code: 'USAGE', message: `--accel takes auto, kvm or tcg, not "${o.accel}"` })
  }
  if (!o.kernel && (o.accel !== undefined || o['vm-timeout'] !== undefined)) {
    throw new NslabError({ code: 'USAGE', message: `${o.accel !== undefined ? '--accel' : '--vm-timeout'} applies to grading in a VM: add --kernel SPEC` })
  }
  const flags: GradeFlags = {
    lab,
    submissions,
    jobs: int(o.jobs, '--jobs', defaultJobs(), 1),
    jobsGiven: o.jobs !== undefined,
    accel: (o.accel ?? 'auto') as GradeFlags['accel'],
    walkthrough: o.walkthrough,
    limits: {
      timeoutMs: o.timeout === undefined ? DEFAULT_LIMITS.timeoutMs : parseDurationArg(o.timeout, '--timeout'),
      maxOutputBytes: o['max-output'] === undefined ? DEFAULT_LIMITS.maxOutputBytes : parseSize(o['max-output'], '--max-output'),
      maxProcs: int(o['max-procs'], '--max-procs', DEFAULT_LIMITS.maxProcs, 16),
      memoryBytes: o.memory === undefined ? DEFAULT_LIMITS.memoryBytes : parseSize(o.memory, '--memory'),
      fileBytes: o['max-file'] === undefined ? DEFAULT_LIMITS.fileBytes : parseSize(o['max-file'], '--max-file'),
      cpus,
    },
  }
  if (flags.limits.memoryBytes < 64 * 1024 * 1024) throw new NslabError({ code: 'USAGE', message: '--memory must be at least 64M: the grader itself needs some' })
  for (const k of ['csv', 'html', 'json', 'junit'] as const) if (o[k]) flags[k] = o[k]
  if (o.iptables) flags.iptables = o.iptables as 'nft' | 'legacy'
  if (o.kernel?.[0] !== undefined) {
    // Said wrong, it is said now, not after the class is loaded.
    parseKernelSpec(o.kernel[0])
    flags.kernel = o.kernel[0]
  }
  if (o['vm-timeout'] !== undefined) flags.vmTimeoutMs = parseDurationArg(o['vm-timeout'], '--vm-timeout')
  return flags
}

export async function gradeCommand(argv: string[]): Promise<number> {
  const flags = parseGradeFlags(argv)
  if (flags === 'help') {
    process.stdout.write(GRADE_HELP)
    return 0
  }
  const { labs, problems, files } = loadLabs([flags.lab])
  if (problems.length) {
    process.stderr.write(problems.map(formatProblem).join('\n') + `\n${problems.length} problem${problems.length > 1 ? 's' : ''}: nothing was graded\n`)
    return 2
  }
  if (files.length !== 1 || !labs[0]) throw new NslabError({ code: 'USAGE', message: `nslab grade grades one lab; ${flags.lab} holds ${files.length}` })
  const lab = labs[0]
  // This machine's kernel lacks what the lab needs: grading here would fail every answer (grade --kernel instead).
  if (!flags.kernel) requireKernel(lab)
  const exercises = labExercises(lab)
  if (exercises.length === 0) {
    throw new NslabError({ code: 'USAGE', message: `${lab.file} has no exercises (no \`sh solution\` blocks): there is nothing to grade`, file: lab.file })
  }
  const submissions = uniqueNames(flags.submissions.map((p) => loadSubmission(p, exercises.map((e) => e.id))))
  // A report on stdout (--csv -, …) is all of stdout: then people's lines go to stderr.
  const stream = [flags.csv, flags.html, flags.json, flags.junit].includes('-') ? process.stderr : process.stdout
  const color = colorEnabled(stream)
  // Names of labs, exercises and learners are in it: their controls as escapes, our colors kept.
  const out = (s: string) => stream.write(safeTerminal(s))
  const onGrade = (g: Grade) => out(`${progressLine(g, { color, width: stream.columns ?? 100 })}\n`)
  const header = (jobs: number, where = '') => {
    out(`Grading ${lab.file} (${exercises.map((e) => `${e.id}: ${e.max} check${e.max === 1 ? '' : 's'}`).join(', ')})\n`)
    out(`${submissions.length} submission${submissions.length === 1 ? '' : 's'}, ${Math.min(jobs, submissions.length)} at a time${where}\n\n`)
  }
  const interrupt = interruptOnSignals()
  let graded: GradeAllResult & { bootMs?: number }
  let jobs = flags.jobs
  try {
    if (flags.kernel) {
      const vm = await gradeClassInVm({ lab, submissions, flags, signal: interrupt.signal, out, header, onGrade })
      graded = vm
      jobs = vm.jobs
    } else {
      if (lab.engine === 'docker' && !flags.jobsGiven) jobs = defaultDockerJobs()
      const host = await prepareGradingHost({ engine: lab.engine, note: (line) => process.stderr.write(`nslab: ${line}\n`) })
      header(jobs)
      try {
        graded = await gradeAll({ lab, submissions, flags: { ...flags, jobs }, host, signal: interrupt.signal, onGrade })
      } finally {
        await host.close()
      }
    }
  } finally {
    interrupt.dispose()
  }
  const { grades, durationMs, startTime, enforcedBy } = graded
  out(`\n${scoreboard(grades, exercises, { color, width: stream.columns ?? 100 })}`)
  out(`graded in ${formatDuration(durationMs)}${graded.bootMs !== undefined ? `, the VM's boot included (${formatDuration(graded.bootMs)})` : ''}\n`)

  const version = safeVersion()
  const writes: [string | undefined, () => string | Promise<string>][] = [
    [flags.csv, () => gradebookCsv(grades, exercises)],
    [flags.json, () => gradeJsonText({ version, startTime, durationMs, lab, exercises, limits: flags.limits, enforcedBy, grades })],
    [flags.html, () => gradeHtml({ lab, exercises, grades, limits: flags.limits, enforcedBy, version, startTime, durationMs })],
  ]
  if (flags.junit) {
    const { junitXml } = await import('../report/junit-reporter.js')
    const results = grades.map((g) => g.result)
    writes.push([flags.junit, () => junitXml(results, durationMs)])
  }
  for (const [file, make] of writes) {
    if (!file) continue
    if (file === '-') {
      const text = await make()
      await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()))
      continue
    }
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, await make())
    out(`wrote ${file}\n`)
  }
  if (interrupt.signal.aborted) return interrupt.exitCode()
  return grades.length === submissions.length && grades.every((g) => g.status === 'pass') ? 0 : 1
}

/**
 * --kernel: the class graded inside one VM on that kernel (grade-in-vm.ts),
 * under KVM where it works; a KVM that stalls the guest is given up for TCG.
 * A VM that did not boot or died leaves the submissions it did not grade as
 * not graded (exit 1), and says why on stderr with the end of its console.
 */
async function gradeClassInVm(opts: {
  lab: Lab
  submissions: Submission[]
  flags: GradeFlags
  signal: AbortSignal
  out: (s: string) => void
  header: (jobs: number, where: string) => void
  onGrade: (g: Grade) => void
}): Promise<GradeAllResult & { jobs: number; bootMs?: number }> {
  const { flags, out } = opts
  const spec = parseKernelSpec(flags.kernel!)
  if (!findProgram('qemu-system-x86_64')) {
    throw new NslabError({ code: 'PREREQUISITE', message: 'this machine lacks `qemu-system-x86_64`, which --kernel needs', fix: 'apt-get install qemu-system-x86' })
  }
  let accel: Accel = flags.accel === 'auto' ? 'kvm' : flags.accel
  let cpu: string | undefined
  let why: string | undefined
  if (flags.accel !== 'tcg') {
    const kvm = await kvmWorks()
    if (kvm.ok) cpu = kvm.cpu
    else if (flags.accel === 'kvm') throw new NslabError({ code: 'PREREQUISITE', message: `--accel kvm: KVM does not work here: ${kvm.why}` })
    else {
      accel = 'tcg'
      why = kvm.why
    }
  }
  const kernel = await fetchKernel(spec, { log: (l) => out(`nslab: ${l}\n`) })
  // engine: docker: root here, and the images built here first (the guest has no network); the
  // guest sees the cache read-only.
  const docker = opts.lab.engine === 'docker' ? await prepareDocker({ note: (l) => out(`nslab: ${l}\n`) }) : undefined
  const jobs = flags.jobsGiven ? flags.jobs : defaultVmJobs(accel, opts.lab)
  opts.header(jobs, `, inside a VM on ${specLabel(spec)}`)
  if (why) out(`nslab: KVM does not work here (${why}); the VM runs under software emulation (TCG), which is slower\n`)
  const grade = (a: Accel) => {
    out(`▶ booting ${kernel.release ?? kernel.image} (${a.toUpperCase()}), no network…\n`)
    return gradeInVm({
      lab: opts.lab,
      submissions: opts.submissions,
      flags: { ...flags, jobs },
      kernel,
      accel: a,
      ...(cpu && a === 'kvm' ? { cpu } : {}),
      timeoutMs: flags.vmTimeoutMs ?? defaultVmTimeout(a, opts.submissions.length, jobs, flags.limits),
      signal: opts.signal,
      ...(a === 'kvm' && flags.accel === 'auto' ? { stallTimeoutMs: KVM_STALL_MS } : {}),
      ...(docker?.NSLAB_CACHE ? { imageCache: docker.NSLAB_CACHE } : {}),
      onUp: (info, upMs) => out(`  up in ${formatDuration(upMs)}: Linux ${info.release}, ${info.iptables}\n\n`),
      onGrade: (g) => opts.onGrade(g),
      onNote: (m) => out(`nslab: in the VM: ${m}\n`),
    })
  }
  let r = await grade(accel)
  if (r.stalled) {
    out(`nslab: the VM said nothing under KVM in ${formatDuration(KVM_STALL_MS)}; grading under software emulation (TCG) instead\n`)
    r = await grade('tcg')
  }
  if (r.failure) process.stderr.write(`${safeTerminal(`nslab: ${r.failure}`)}\n`)
  return { ...r, jobs, ...(r.upMs !== undefined ? { bootMs: r.upMs } : {}) }
}

/** A guest under KVM is up in a second or two; silence this long means KVM does not really work. */
const KVM_STALL_MS = 30_000

/**
 * Submissions at once inside a VM: one vCPU under TCG (a lab host's setup is
 * work for it), two under KVM; most of a submission's time is waiting either way.
 * engine: docker: each submission starts a dockerd, which is all work (minutes
 * of it under TCG): one at a time under TCG, two under KVM.
 */
function defaultVmJobs(accel: Accel, lab: Lab): number {
  if (lab.engine === 'docker') return accel === 'kvm' ? 2 : 1
  return accel === 'kvm' ? 8 : 4
}

/** The VM's own limit, against a guest that hangs: its boot, then every round of submissions at its limit. */
function defaultVmTimeout(accel: Accel, n: number, jobs: number, limits: GradeLimits): number {
  const k = accel === 'tcg' ? TCG_TIME_SCALE : 1
  const rounds = Math.ceil(n / Math.max(1, jobs))
  return (accel === 'kvm' ? 60_000 : 120_000) + rounds * (limits.timeoutMs * k + 30_000)
}

/** Two learners with the same folder name are told apart by their paths. */
function uniqueNames(subs: Submission[]): Submission[] {
  const count = new Map<string, number>()
  for (const s of subs) count.set(s.name, (count.get(s.name) ?? 0) + 1)
  return subs.map((s) => ((count.get(s.name) ?? 0) > 1 ? { ...s, name: s.path.replace(/\/+$/, '') } : s))
}

function safeVersion(): string {
  try {
    return nslabVersionSync()
  } catch {
    return 'unknown'
  }
}
