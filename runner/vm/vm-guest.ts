// The program inside a throwaway VM. The VM's init starts it (node
// dist/vm-guest.cjs JOB) once the guest is up; it does one job and sends
// what comes of it back to the host as JSON lines on the virtio-serial port
// "nslab.events":
// - a run (a matrix cell): the labs with the ordinary namespace engine, every
//   event; the host turns them into the same reports as a local run;
// - a grade (nslab grade --kernel): the class's submissions with the same
//   machinery as a local grade (workers as unused uids, a cgroup each), every
//   grade; the host writes the same reports as a local grade.
// Nothing here touches the host: the guest has no network device, and the
// host's files are read-only under a tmpfs layer (a grading VM sees only
// what it runs on: guest-view.ts).

import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { prepareGradingHost } from '../grade/grading-host.js'
import { createEventsReporter } from '../report/events-reporter.js'
import { run } from '../host/exec.js'
import type { Grade, GradeLimits, Submission } from '../grade/grade.js'
import { gradeAll } from '../grade/grade-all.js'
import { NslabError } from '../util/nslab-error.js'
import type { Lab } from '../lab/lab.js'
import type { LabResult, RunEvent } from '../run/run-event.js'
import { runLab } from '../run/run-lab.js'
import { runPool } from '../run/run-pool.js'

/** What the host asks of the guest, in a JSON file the guest reads through the shared root. */
export type GuestJob = GuestRunJob | GuestGradeJob

/** Run labs (a cell of a kernel matrix). */
export interface GuestRunJob {
  /** Absent in a job of an older nslab: a run. */
  kind?: 'run'
  /**
   * The labs, parsed by the host: the guest loads no parser (under emulation
   * loading its modules alone takes many seconds).
   */
  labs: Lab[]
  cwd: string
  iptables: 'nft' | 'legacy'
  jobs: number
  /** Time limit of each lab (stretched by timeScale too). */
  timeoutMs: number
  bail: boolean
  /**
   * How much slower than a real machine this guest is (about 4 under software
   * emulation): step time limits and check windows of the labs are stretched
   * by it, so that a lab fails for what it does, not for how slow the CPU is.
   */
  timeScale?: number
}

/** Grade a class's submissions (nslab grade --kernel). */
export interface GuestGradeJob {
  kind: 'grade'
  /** The lab, parsed by the host. */
  lab: Lab
  /** The answers as the host loaded and checked them: the guest reads no learner's folder. */
  submissions: Submission[]
  cwd: string
  /** The back end inside the lab hosts; absent: what `iptables` is. */
  iptables?: 'nft' | 'legacy'
  jobs: number
  /** As the instructor gave them; the guest stretches the time limit by timeScale. */
  limits: GradeLimits
  walkthrough: boolean
  /** As in a run: lab time limits, check windows and the submission's limit are stretched by it. */
  timeScale?: number
}

/** Lines the guest sends besides RunEvents. */
export type GuestLine =
  | { type: 'vm-info'; release: string; iptables: string; uptimeMs: number }
  /** prerequisite: the guest lacks something nslab needs (exit 3 of a local run), not a failure of the VM's. */
  | { type: 'vm-error'; message: string; prerequisite?: boolean }
  | { type: 'vm-done' }
  /** Something the person waiting should know that does not stop the job. */
  | { type: 'vm-note'; message: string }
  /** A grade job: grading of submissions[index] begins. */
  | { type: 'vm-grade-start'; index: number }
  /** A grade job: submissions[index] is graded. */
  | { type: 'vm-grade'; index: number; grade: Grade }
  /** A grade job: every submission is graded; how the limits were enforced in the guest. */
  | { type: 'vm-grade-end'; durationMs: number; enforcedBy: string[] }

export const EVENTS_PORT_NAME = 'nslab.events'

/** The file the guest's second stage creates once the lab modules are loaded (see build-initramfs.ts). */
export const LAB_MODULES_DONE = '/run/nslab-vm/modules.done'

/** Longest wait for the lab modules (seconds under emulation, well under this). */
const MODULES_WAIT_MS = 120_000

/** The device of the virtio-serial port with that name (/dev/vportNpM), as sysfs names it. */
export function findEventsPort(sysfs = '/sys/class/virtio-ports'): string | undefined {
  let ports: string[] = []
  try {
    ports = readdirSync(sysfs)
  } catch {
    return undefined
  }
  for (const p of ports) {
    try {
      if (readFileSync(join(sysfs, p, 'name'), 'utf8').trim() === EVENTS_PORT_NAME) return `/dev/${p}`
    } catch {
      // a port without a name
    }
  }
  return undefined
}

/** Run the job; every line goes to write. Returns the exit code the guest's script sees. */
export async function runGuest(job: GuestJob, write: (line: string) => void): Promise<number> {
  const send = (l: GuestLine) => write(`${JSON.stringify(l)}\n`)
  const iptables = job.iptables ? `iptables-${job.iptables}` : 'iptables'
  const ipt = await run({ file: iptables, args: ['-V'], timeoutMs: 20_000 }).catch((e: unknown) => ({ stdout: '', output: String(e) }))
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  send({ type: 'vm-info', release: release(), iptables: ipt.stdout.trim() || `${iptables}: ${ipt.output.trim()}`, uptimeMs: Math.round(uptime * 1000) })
  // The lab modules load in the background while this program starts; the labs need them.
  if (existsSync('/run/nslab-vm/modules.order')) {
    const until = Date.now() + MODULES_WAIT_MS
    while (!existsSync(LAB_MODULES_DONE) && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
  }
  if (job.kind === 'grade') return gradeInGuest(job, send)
  const reporter = createEventsReporter({ write })
  const emit = (e: RunEvent) => reporter.onEvent(e)
  const { labs } = job
  // dockerd makes a cgroup per container: the guest's init mounts none.
  if (labs.some((l) => l.engine === 'docker')) {
    const why = await enableCgroups()
    if (why) send({ type: 'vm-note', message: `the guest has no cgroups for dockerd (${why})` })
  }
  if (job.timeScale && job.timeScale > 1) for (const lab of labs) stretchLab(lab, job.timeScale)
  const t0 = performance.now()
  let prerequisite: NslabError | undefined
  let failed = false
  emit({ type: 'run-start', files: labs.map((l) => l.file), jobs: job.jobs, time: Date.now() })
  const results = await runPool(
    labs,
    job.jobs,
    async (lab) => {
      try {
        const r = await runLab({ lab, emit, signal: AbortSignal.timeout(job.timeoutMs * (job.timeScale ?? 1)), iptables: job.iptables })
        if (r.status !== 'pass' && r.status !== 'skip') failed = true
        return r
      } catch (e) {
        if (e instanceof NslabError && e.exitCode === 3) {
          prerequisite ??= e
          return undefined
        }
        throw e
      }
    },
    () => prerequisite !== undefined || (job.bail && failed),
  )
  const done = results.filter((r): r is LabResult => r !== undefined)
  emit({ type: 'run-end', results: done, durationMs: performance.now() - t0 })
  if (prerequisite) send({ type: 'vm-error', message: (prerequisite as NslabError).toString(), prerequisite: true })
  send({ type: 'vm-done' })
  return done.every((r) => r.status === 'pass' || r.status === 'skip') ? 0 : 1
}

/**
 * A grade job: the class graded as `nslab grade` grades it here, as root of
 * the guest (workers as unused uids, a cgroup per submission), every grade
 * sent as it comes. Exit 0 when every submission got full marks.
 */
async function gradeInGuest(job: GuestGradeJob, send: (l: GuestLine) => void): Promise<number> {
  // The guest's init mounts no cgroups: the per-submission limits need them.
  const why = await enableCgroups()
  if (why) send({ type: 'vm-note', message: `the guest has no cgroups for the limits (${why}): rlimits stand in` })
  const k = job.timeScale && job.timeScale > 1 ? job.timeScale : 1
  const { lab } = job
  if (k > 1) stretchLab(lab, k)
  const limits: GradeLimits = { ...job.limits, timeoutMs: Math.round(job.limits.timeoutMs * k) }
  let host
  try {
    // engine: docker: a lab host binds the images onto /mnt, which a confined view has none of.
    if (lab.engine === 'docker') mkdirSync('/mnt', { recursive: true })
    host = await prepareGradingHost({ engine: lab.engine })
  } catch (e) {
    return failed(e, send)
  }
  try {
    const r = await gradeAll({
      lab,
      submissions: job.submissions,
      flags: { jobs: job.jobs, limits, walkthrough: job.walkthrough, ...(job.iptables ? { iptables: job.iptables } : {}) },
      host,
      onStart: (index) => send({ type: 'vm-grade-start', index }),
      onGrade: (grade, index) => send({ type: 'vm-grade', index, grade }),
    })
    send({ type: 'vm-grade-end', durationMs: r.durationMs, enforcedBy: r.enforcedBy })
    send({ type: 'vm-done' })
    return r.grades.every((g) => g.status === 'pass') ? 0 : 1
  } catch (e) {
    return failed(e, send)
  } finally {
    await host.close()
  }
}

/** What stopped a grade job, said as a local grade would say it (exit 3: the guest lacks something). */
function failed(e: unknown, send: (l: GuestLine) => void): number {
  if (e instanceof NslabError) {
    send({ type: 'vm-error', message: e.toString(), ...(e.exitCode === 3 ? { prerequisite: true } : {}) })
    return e.exitCode
  }
  send({ type: 'vm-error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
  return 70
}

/** cgroup v2 on /sys/fs/cgroup with pids, memory and cpu for its children; why not, if it cannot be. */
async function enableCgroups(): Promise<string | undefined> {
  const root = '/sys/fs/cgroup'
  try {
    if (!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${root} `)) {
      const r = await run({ file: 'mount', args: ['-t', 'cgroup2', 'cgroup2', root], timeoutMs: 20_000 })
      if (r.exitCode !== 0) return `mount -t cgroup2: ${r.output.trim()}`
    }
    const have = readFileSync(`${root}/cgroup.controllers`, 'utf8').trim().split(/\s+/)
    const want = ['pids', 'memory', 'cpu'].filter((c) => have.includes(c))
    writeFileSync(`${root}/cgroup.subtree_control`, want.map((c) => `+${c}`).join(' '))
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

/** Time limits and check windows of a lab, times k. */
export function stretchLab(lab: Lab, k: number): void {
  lab.timeoutMs = Math.round(lab.timeoutMs * k)
  for (const b of lab.blocks) {
    if (b.kind === 'script') b.timeoutMs = Math.round(b.timeoutMs * k)
    else if (b.kind === 'check') for (const c of b.checks) c.withinMs = Math.round(c.withinMs * k)
  }
}

/** The guest program's main: vm-guest-main.ts, bundled into dist/vm-guest.cjs. */
export async function main(argv: string[]): Promise<number> {
  const [jobFile] = argv
  if (!jobFile) {
    process.stderr.write('usage: vm-guest.cjs JOB.json (run by an nslab matrix VM, not by hand)\n')
    return 2
  }
  const port = findEventsPort()
  // Without the port (a kernel without virtio_console), the console carries the lines.
  const fd = port ? openSync(port, 'w') : 1
  const write = (line: string) => {
    const b = Buffer.from(line)
    for (let off = 0; off < b.length; ) off += writeSync(fd, b, off)
  }
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as GuestJob
  process.chdir(job.cwd)
  try {
    return await runGuest(job, write)
  } catch (e) {
    write(`${JSON.stringify({ type: 'vm-error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies GuestLine)}\n`)
    return 70
  }
}
