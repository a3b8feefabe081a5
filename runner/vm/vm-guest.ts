// The run inside a matrix VM. The VM's init starts it (node dist/vm-guest.cjs JOB)
// once the guest is up; it runs the labs with the ordinary namespace engine
// and sends every event back to the host as a JSON line on the virtio-serial
// port "nslab.events". The host turns them into the same reports as a local
// run. Nothing here touches the host: the guest has no network device, and
// the host's files are read-only under a tmpfs layer.

import { existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { createEventsReporter } from '../report/events-reporter.js'
import { run } from '../host/exec.js'
import { NslabError } from '../util/nslab-error.js'
import type { Lab } from '../lab/lab.js'
import type { LabResult, RunEvent } from '../run/run-event.js'
import { runLab } from '../run/run-lab.js'
import { runPool } from '../run/run-pool.js'

/** What the host asks of the guest, in a JSON file the guest reads through the shared root. */
export interface GuestJob {
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

/** Lines the guest sends besides RunEvents. */
export type GuestLine =
  | { type: 'vm-info'; release: string; iptables: string; uptimeMs: number }
  | { type: 'vm-error'; message: string }
  | { type: 'vm-done' }

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
  const ipt = await run({ file: `iptables-${job.iptables}`, args: ['-V'], timeoutMs: 20_000 }).catch((e: unknown) => ({ stdout: '', output: String(e) }))
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  send({ type: 'vm-info', release: release(), iptables: ipt.stdout.trim() || `iptables-${job.iptables}: ${ipt.output.trim()}`, uptimeMs: Math.round(uptime * 1000) })
  // The lab modules load in the background while this program starts; the labs need them.
  if (existsSync('/run/nslab-vm/modules.order')) {
    const until = Date.now() + MODULES_WAIT_MS
    while (!existsSync(LAB_MODULES_DONE) && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
  }
  const reporter = createEventsReporter({ write })
  const emit = (e: RunEvent) => reporter.onEvent(e)
  const { labs } = job
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
        if (r.status !== 'pass') failed = true
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
  if (prerequisite) send({ type: 'vm-error', message: (prerequisite as NslabError).toString() })
  send({ type: 'vm-done' })
  return done.every((r) => r.status === 'pass') ? 0 : 1
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
