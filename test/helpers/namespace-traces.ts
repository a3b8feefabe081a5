// The processes of a sandbox, found by its namespaces, and which of them
// outlive its teardown. Namespace inode numbers are reused once freed (other
// tests run at the same time), so a process is known by its pid and start time.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

export interface Proc {
  pid: number
  start: string
}

function stat(pid: number | string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
}

/** Field 22 of /proc/PID/stat: when the process started. */
function startOf(s: string): string {
  return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? ''
}

function link(path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}

/** Every live (not zombie) process in the namespaces of the sandbox owned by `pid`. */
export function sandboxProcesses(pid: number): Proc[] {
  const inodes = new Set<string>()
  // Not 'net': the process that owns a sandbox stays in the machine's network namespace.
  for (const ns of ['mnt', 'user', 'pid_for_children']) {
    const l = link(`/proc/${pid}/ns/${ns}`)
    if (l) inodes.add(l.replace('pid_for_children', 'pid'))
  }
  const found: Proc[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const s = stat(d)
    if (!s || /\) Z /.test(s)) continue
    if (['pid', 'mnt', 'user'].some((ns) => inodes.has(link(`/proc/${d}/ns/${ns}`) ?? ''))) {
      found.push({ pid: Number(d), start: startOf(s) })
    }
  }
  return found
}

/** Those of `procs` that still run (same pid, same start time, not a zombie). */
export function stillRunning(procs: Proc[]): Proc[] {
  return procs.filter((p) => {
    const s = stat(p.pid)
    return s !== undefined && !/\) Z /.test(s) && startOf(s) === p.start
  })
}
