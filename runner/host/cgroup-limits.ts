// Limits on a whole submission's processes, by the kernel's control groups:
// a cgroup per submission, made under the grading process's own cgroup (so
// every limit above it still holds), the submission's worker moved into it
// before it starts anything, and removed afterwards. Every process the
// submission starts — the sandbox, the learner's scripts, their children —
// is born inside it and cannot leave: the cgroup files are not reachable from
// inside the sandbox. cgroup v1 (pids, memory, cpu controllers) and v2 (when
// the controllers are delegated to our cgroup) are both read.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import type { LabLimits } from './lab-limits.js'

type Controller = 'pids' | 'memory' | 'cpu'

/** Where a submission's cgroups are: what the worker reads its counters from. */
export interface CgroupDirs {
  version: 1 | 2
  pids?: string
  memory?: string
  cpu?: string
}

export interface LimitCounters {
  /** Forks the pids limit refused. */
  procsRefused: number
  /** Processes the memory limit's OOM killer ended. */
  oomKills: number
}

export interface CgroupLimits {
  dirs: CgroupDirs
  /** Which limits these cgroups enforce, e.g. "cgroup v1: pids, memory, cpu". */
  how: string
  /** Move a process (before it starts any other) into every cgroup. */
  join(pid: number): void
  /** Move a process back to the cgroups of the grading process (a worker kept for the next job). */
  leave(pid: number): void
  counters(): LimitCounters
  /** End what is left inside (by pid, from the cgroup's own list), then remove the cgroups. */
  release(): Promise<void>
}

let seq = 0

/** Cgroups for one submission, or why there can be none here (then rlimits are the fallback). */
export function createCgroupLimits(limits: LabLimits, label = 'grade'): CgroupLimits | { unavailable: string } {
  const found = findControllers()
  if ('unavailable' in found) return found
  const name = `nslab-${label}-${process.pid}-${++seq}`
  const made: string[] = []
  const dirs: CgroupDirs = { version: found.version }
  try {
    for (const c of ['pids', 'memory', 'cpu'] as Controller[]) {
      if (c === 'cpu' && !limits.cpus) continue
      const parent = found.parents[c]
      if (!parent) continue
      const dir = `${parent}/${name}`
      // v2: one directory holds every controller.
      if (!made.includes(dir)) {
        mkdirSync(dir)
        made.push(dir)
      }
      dirs[c] = dir
      setLimit(found.version, c, dir, limits)
    }
  } catch (e) {
    for (const d of made.reverse()) tryRmdir(d)
    return { unavailable: `cannot make a cgroup under ${Object.values(found.parents)[0] ?? '/sys/fs/cgroup'}: ${(e as Error).message}` }
  }
  if (!dirs.pids && !dirs.memory) {
    for (const d of made.reverse()) tryRmdir(d)
    return { unavailable: 'neither the pids nor the memory controller is available to this process' }
  }
  const controllers = (['pids', 'memory', 'cpu'] as Controller[]).filter((c) => dirs[c])
  return {
    dirs,
    how: `cgroup v${found.version}: ${controllers.join(', ')}`,
    join(pid) {
      for (const d of made) writeFileSync(`${d}/cgroup.procs`, `${pid}\n`)
    },
    leave(pid) {
      for (const d of made) {
        try {
          writeFileSync(`${d.replace(/\/[^/]+$/, '')}/cgroup.procs`, `${pid}\n`)
        } catch {
          // gone already: nothing to move
        }
      }
    },
    counters: () => readLimitCounters(dirs),
    async release() {
      const until = Date.now() + 5000
      for (;;) {
        const left = new Set<number>()
        for (const d of made) for (const pid of procsOf(d)) left.add(pid)
        if (left.size === 0) break
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {
            // gone already
          }
        }
        if (Date.now() > until) break
        await new Promise((r) => setTimeout(r, 50))
      }
      for (const d of [...made].reverse()) {
        for (let i = 0; i < 40 && !tryRmdir(d); i++) await new Promise((r) => setTimeout(r, 50))
      }
    },
  }
}

/** The counters of a submission's cgroups (readable by anyone, the worker included). */
export function readLimitCounters(dirs: CgroupDirs): LimitCounters {
  const field = (file: string | undefined, key: string): number => {
    if (!file) return 0
    try {
      const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'))
      return m ? Number(m[1]) : 0
    } catch {
      return 0
    }
  }
  return {
    procsRefused: field(dirs.pids && `${dirs.pids}/pids.events`, 'max'),
    oomKills: field(dirs.memory && `${dirs.memory}/${dirs.version === 1 ? 'memory.oom_control' : 'memory.events'}`, 'oom_kill'),
  }
}

function setLimit(version: 1 | 2, c: Controller, dir: string, limits: LabLimits): void {
  const w = (file: string, value: string | number) => writeFileSync(`${dir}/${file}`, `${value}\n`)
  if (c === 'pids') w('pids.max', limits.maxProcs)
  if (c === 'memory') {
    if (version === 1) {
      w('memory.limit_in_bytes', limits.memoryBytes)
      // Memory plus swap, so that the limit cannot be dodged by swapping (absent without swap accounting).
      if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) w('memory.memsw.limit_in_bytes', limits.memoryBytes)
    } else {
      w('memory.max', limits.memoryBytes)
      if (existsSync(`${dir}/memory.swap.max`)) w('memory.swap.max', 0)
    }
  }
  if (c === 'cpu') {
    const period = 100_000
    const quota = Math.max(1000, Math.round(limits.cpus * period))
    if (version === 1) {
      w('cpu.cfs_period_us', period)
      w('cpu.cfs_quota_us', quota)
    } else w('cpu.max', `${quota} ${period}`)
  }
}

/** Each controller's cgroup directory of this process, under which ours go. */
function findControllers(): { version: 1 | 2; parents: Partial<Record<Controller, string>> } | { unavailable: string } {
  let mountinfo: string
  let own: string
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')
    own = readFileSync('/proc/self/cgroup', 'utf8')
  } catch (e) {
    return { unavailable: `cannot read this process's cgroups: ${(e as Error).message}` }
  }
  const mounts: { point: string; fs: string; options: string[] }[] = []
  for (const line of mountinfo.split('\n')) {
    // id parent maj:min root point options [optional…] - fstype source superoptions
    const [pre, post] = line.split(' - ')
    if (!pre || !post) continue
    const point = pre.split(' ')[4]
    const [fs, , superOptions] = post.split(' ')
    if (!point || !fs || (fs !== 'cgroup' && fs !== 'cgroup2')) continue
    mounts.push({ point: unescapeMount(point), fs, options: (superOptions ?? '').split(',') })
  }
  const paths = new Map<string, string>()
  for (const line of own.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (m) paths.set(m[2] ?? '', m[3] ?? '/')
  }
  const v1: Partial<Record<Controller, string>> = {}
  for (const c of ['pids', 'memory', 'cpu'] as Controller[]) {
    const mount = mounts.find((x) => x.fs === 'cgroup' && x.options.includes(c))
    const path = [...paths].find(([names]) => names.split(',').includes(c))?.[1]
    if (mount && path !== undefined) v1[c] = join(mount.point, path)
  }
  if (v1.pids || v1.memory) return { version: 1, parents: v1 }
  const unified = mounts.find((x) => x.fs === 'cgroup2')
  const path = paths.get('')
  if (unified && path !== undefined) {
    const dir = join(unified.point, path)
    let enabled: string[] = []
    try {
      enabled = readFileSync(`${dir}/cgroup.subtree_control`, 'utf8').trim().split(/\s+/)
    } catch {
      // not readable: nothing delegated
    }
    const parents: Partial<Record<Controller, string>> = {}
    for (const c of ['pids', 'memory', 'cpu'] as Controller[]) if (enabled.includes(c)) parents[c] = dir
    if (parents.pids || parents.memory) return { version: 2, parents }
    return {
      unavailable: `cgroup v2: the pids and memory controllers are not enabled for the children of ${dir} (cgroup.subtree_control: "${enabled.join(' ')}")`,
    }
  }
  return { unavailable: 'no cgroup controllers are mounted' }
}

function join(mount: string, path: string): string {
  return `${mount}${path === '/' ? '' : path}`.replace(/\/+$/, '')
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

function procsOf(dir: string): number[] {
  try {
    return readFileSync(`${dir}/cgroup.procs`, 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number)
  } catch {
    return []
  }
}

function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT'
  }
}

/**
 * Cgroups of lab hosts and submissions whose nslab is gone (killed before it
 * could remove them): nslab-run-PID-N and nslab-grade-PID-N, empty, with PID
 * dead. Root only; returns what it removed.
 */
export function removeStaleCgroups(): string[] {
  if (process.getuid?.() !== 0) return []
  let mountinfo = ''
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')
  } catch {
    return []
  }
  const roots = new Set<string>()
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ')
    if (!pre || !post) continue
    const fs = post.split(' ')[0]
    if (fs === 'cgroup' || fs === 'cgroup2') roots.add(unescapeMount(pre.split(' ')[4] ?? ''))
  }
  const stale: string[] = []
  const walk = (dir: string, depth: number) => {
    let entries: string[] = []
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
    } catch {
      return
    }
    for (const e of entries) {
      const m = /^nslab-(?:run|grade)-(\d+)-\d+$/.exec(e)
      if (m) {
        if (!pidAlive(Number(m[1]))) stale.push(`${dir}/${e}`)
      } else if (depth < 6) walk(`${dir}/${e}`, depth + 1)
    }
  }
  for (const r of roots) walk(r, 0)
  // Only empty ones: a lab host's processes end with its init, so a cgroup with processes in it
  // belongs to an nslab that lives on (in another pid namespace, where its pid means another process).
  return stale.filter((d) => procsOf(d).length === 0 && tryRmdir(d))
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
