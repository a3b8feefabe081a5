// The control groups of a docker-engine lab host. dockerd and runc put each
// container in cgroups of its own, so the lab host needs a cgroup subtree it
// may write: nslab (root) makes one per lab host in every hierarchy, under
// its own cgroup, and hands the lab two children of it:
//
//   nslab-docker-PID-START-N/        limits (root's; the lab cannot change them)
//     outer/                         the lab host's init, steps and shells (joined by descriptor)
//     lab/                           owned by the lab's root: the root of the lab's cgroup
//       docker/<id>/ …               namespace, where dockerd makes its containers' cgroups
//
// (cgroup v2 forbids processes in a cgroup whose children have controllers,
// so the lab's init moves itself from lab/ into lab/init/ before dockerd
// starts.) The kernel keeps cgroup folders after their processes end: stop()
// removes the tree, and `nslab gc` removes what a killed nslab left
// (sweepDockerCgroups), known by its name: the maker's pid and start time.
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { LabLimits } from '../lab-limits.js'

/** One cgroup hierarchy as the lab's init mounts it. */
export interface CgroupHierarchy {
  /** Folder name under /sys/fs/cgroup inside the lab ("cpu,cpuacct", "systemd"; "" for v2). */
  name: string
  /** mount -o options for it ("cpu,cpuacct", "none,name=systemd"; "" for v2). */
  options: string
}

export interface DockerCgroups {
  version: 1 | 2
  /** The lab host's top cgroup folders, one a hierarchy (what release removes). */
  tops: string[]
  /** The hierarchies the lab's init mounts. */
  hierarchies: CgroupHierarchy[]
  /** Descriptors of outer/cgroup.procs (the init, steps, shells join by writing 0). */
  outerFds: number[]
  /** Descriptors of lab/cgroup.procs (the lab's init joins before its cgroup namespace). */
  labFds: number[]
  /** Which limits hold, e.g. "cgroup v1: pids, memory, cpu" (undefined: none asked). */
  limitsBy?: string
  /** Close the descriptors (once every process that needs them has them). */
  closeFds(): void
  /** Remove the tree (its processes must be gone): waits a little for dying ones. */
  release(): Promise<void>
}

const PREFIX = 'nslab-docker-'
let seq = 0

interface Mount {
  point: string
  fs: string
  superOptions: string[]
}

function mounts(): Mount[] {
  const out: Mount[] = []
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ')
    if (!pre || !post) continue
    const point = pre.split(' ')[4]
    const [fs, , superOptions] = post.split(' ')
    if (!point || (fs !== 'cgroup' && fs !== 'cgroup2')) continue
    out.push({ point: point.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), fs, superOptions: (superOptions ?? '').split(',') })
  }
  return out
}

/** Where this machine's hierarchies are, with this process's folder in each. */
export function cgroupLayout(): { version: 1 | 2; found: { mount: string; own: string; hierarchy: CgroupHierarchy }[] } | { unavailable: string } {
  let own: string
  let all: Mount[]
  try {
    own = readFileSync('/proc/self/cgroup', 'utf8')
    all = mounts()
  } catch (e) {
    return { unavailable: `cannot read this process's cgroups: ${(e as Error).message}` }
  }
  const paths = new Map<string, string>()
  for (const line of own.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (m) paths.set(m[2] ?? '', m[3] ?? '/')
  }
  const v1 = all.filter((m) => m.fs === 'cgroup')
  if (v1.length) {
    const found: { mount: string; own: string; hierarchy: CgroupHierarchy }[] = []
    const seen = new Set<string>()
    for (const m of v1) {
      // The controllers (or name=) of the hierarchy: its super options minus the generic ones.
      const ctl = m.superOptions.filter((o) => o !== 'rw' && o !== 'ro' && o !== 'xattr' && !o.startsWith('release_agent') && o !== 'clone_children' && o !== 'noprefix' && o !== 'cpuset_v2_mode')
      const key = [...ctl].sort().join(',')
      if (!key || seen.has(key)) continue
      const path = [...paths].find(([names]) => names && [...names.split(',')].sort().join(',') === key)?.[1]
      if (path === undefined) continue
      seen.add(key)
      const named = ctl.find((c) => c.startsWith('name='))
      const name = named ? named.slice(5) : ctl.join(',')
      found.push({ mount: m.point, own: path, hierarchy: { name, options: named ? `none,${named}` : ctl.join(',') } })
    }
    if (found.length) return { version: 1, found }
  }
  const unified = all.find((m) => m.fs === 'cgroup2')
  const path = paths.get('')
  if (unified && path !== undefined) return { version: 2, found: [{ mount: unified.point, own: path, hierarchy: { name: '', options: '' } }] }
  return { unavailable: 'no cgroup hierarchy is mounted' }
}

/** This process's start time (clock ticks after boot): with its pid it names it for good. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/**
 * Make a lab host's cgroups (see the top of this file), with its limits on
 * the top folder, lab/ given to `owner` (the lab's root outside). Throws an
 * Error saying why when the machine gives none.
 */
export function createDockerCgroups(owner: number, limits?: LabLimits): DockerCgroups {
  const layout = cgroupLayout()
  if ('unavailable' in layout) throw new Error(layout.unavailable)
  const name = `${PREFIX}${process.pid}-${startTimeOf(process.pid) ?? 0}-${++seq}`
  const tops: string[] = []
  const hierarchies: CgroupHierarchy[] = []
  const outerFds: number[] = []
  const labFds: number[] = []
  const limited = new Set<string>()
  const closeFds = () => {
    for (const fd of [...outerFds, ...labFds]) {
      try {
        closeSync(fd)
      } catch {
        // closed already
      }
    }
    outerFds.length = 0
    labFds.length = 0
  }
  try {
    for (const f of layout.found) {
      const parent = `${f.mount}${f.own === '/' ? '' : f.own}`
      const top = join(parent, name)
      try {
        mkdirCgroup(top, parent)
      } catch (e) {
        // A hierarchy this process may not write (a read-only systemd one): the lab does without it.
        if (layout.version === 2) throw e
        continue
      }
      tops.push(top)
      hierarchies.push(f.hierarchy)
      if (layout.version === 2) delegateControllers(parent, top)
      if (limits) for (const c of setLimits(layout.version, top, f.hierarchy.options.split(','), limits)) limited.add(c)
      for (const child of ['outer', 'lab']) mkdirCgroup(join(top, child), top)
      const lab = join(top, 'lab')
      const files = layout.version === 2 ? ['cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads'] : ['cgroup.procs', 'tasks']
      chownSync(lab, owner, owner)
      for (const file of files) if (existsSync(join(lab, file))) chownSync(join(lab, file), owner, owner)
      outerFds.push(openSync(join(top, 'outer', 'cgroup.procs'), 'w'))
      labFds.push(openSync(join(lab, 'cgroup.procs'), 'w'))
    }
    if (tops.length === 0) throw new Error('no cgroup hierarchy can be written here')
  } catch (e) {
    closeFds()
    for (const t of tops) removeTree(t)
    throw e
  }
  const controllers = ['pids', 'memory', 'cpu'].filter((c) => limited.has(c))
  return {
    version: layout.version,
    tops,
    hierarchies,
    outerFds,
    labFds,
    ...(limits ? { limitsBy: controllers.length ? `cgroup v${layout.version}: ${controllers.join(', ')}` : `cgroup v${layout.version}: none of pids, memory, cpu` } : {}),
    closeFds,
    release: async () => {
      closeFds()
      await releaseCgroupTrees(tops)
    },
  }
}

function mkdirCgroup(dir: string, parent: string): void {
  // mkdir(2), no recursion: the parent must be a cgroup folder of this hierarchy.
  mkdirSync(dir)
  // A cpuset cgroup of v1 starts with no CPUs and no memory nodes: nothing could join it.
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const mine = join(dir, f)
    if (!existsSync(mine)) continue
    if (readFileSync(mine, 'utf8').trim() === '') writeFileSync(mine, readFileSync(join(parent, f), 'utf8'))
  }
}

/** v2: the controllers the parent hands down, enabled for the lab host's own children. */
function delegateControllers(parent: string, top: string): void {
  let available: string[] = []
  try {
    available = readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean)
  } catch {
    return
  }
  for (const c of available) {
    try {
      writeFileSync(join(top, 'cgroup.subtree_control'), `+${c}\n`)
    } catch {
      // not delegable here (cpuset on some machines): the lab does without it
    }
  }
}

function setLimits(version: 1 | 2, dir: string, controllers: string[], limits: LabLimits): string[] {
  const done: string[] = []
  const w = (file: string, value: string | number) => writeFileSync(join(dir, file), `${value}\n`)
  const has = (c: string) => (version === 2 ? existsSync(join(dir, `${c}.max`)) || (c === 'memory' && existsSync(join(dir, 'memory.max'))) : controllers.includes(c))
  if (has('pids')) {
    w('pids.max', limits.maxProcs)
    done.push('pids')
  }
  if (has('memory')) {
    if (version === 1) {
      w('memory.limit_in_bytes', limits.memoryBytes)
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) w('memory.memsw.limit_in_bytes', limits.memoryBytes)
    } else {
      w('memory.max', limits.memoryBytes)
      if (existsSync(join(dir, 'memory.swap.max'))) w('memory.swap.max', 0)
    }
    done.push('memory')
  }
  if (limits.cpus && (version === 1 ? controllers.includes('cpu') : existsSync(join(dir, 'cpu.max')))) {
    const period = 100_000
    const quota = Math.max(1000, Math.round(limits.cpus * period))
    if (version === 1) {
      w('cpu.cfs_period_us', period)
      w('cpu.cfs_quota_us', quota)
    } else w('cpu.max', `${quota} ${period}`)
    done.push('cpu')
  }
  return done
}

/** The processes in a cgroup folder and every folder below it. */
function procsBelow(dir: string, depth = 0): number[] {
  const out: number[] = []
  try {
    for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (/^\d+$/.test(l)) out.push(Number(l))
    if (depth < 16) for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...procsBelow(join(dir, e.name), depth + 1))
  } catch {
    // gone
  }
  return out
}

/** rmdir a cgroup folder and everything below it, deepest first; false when some stays. */
function removeTree(dir: string, depth = 0): boolean {
  let ok = true
  try {
    if (depth < 16) for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) ok = removeTree(join(dir, e.name), depth + 1) && ok
    rmdirSync(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ok = false
  }
  return ok
}

/**
 * End what is left in the trees (by pid, from their own lists: only the lab
 * host's processes are there) and remove them, retrying while dying
 * processes still hold a folder.
 */
export async function releaseCgroupTrees(tops: string[]): Promise<void> {
  const until = Date.now() + 5000
  for (;;) {
    const left = new Set(tops.flatMap((t) => procsBelow(t)))
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
    const removed = tops.map((t) => removeTree(t)).every(Boolean)
    if (removed || Date.now() > until) return
    await new Promise((r) => setTimeout(r, 30))
  }
}

/**
 * The cgroup trees of docker-engine lab hosts whose nslab is gone (killed
 * before its teardown), anywhere in this machine's hierarchies: those named
 * nslab-docker-PID-START-N whose process PID with that start time is no more,
 * and which hold no process. `nslab gc` removes them.
 */
export function staleDockerCgroups(): string[] {
  const layout = cgroupLayout()
  if ('unavailable' in layout) return []
  const stale: string[] = []
  const walk = (dir: string, depth: number) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue
      const m = /^nslab-docker-(\d+)-(\d+)-\d+$/.exec(e.name)
      const p = join(dir, e.name)
      if (m) {
        if (startTimeOf(Number(m[1])) !== m[2] && procsBelow(p).length === 0) stale.push(p)
      } else if (depth < 6) walk(p, depth + 1)
    }
  }
  for (const mount of new Set(layout.found.map((f) => f.mount))) walk(mount, 0)
  return stale
}

/** Remove the trees staleDockerCgroups found; a sentence for each lab host whose cgroups went. */
export async function sweepDockerCgroups(): Promise<string[]> {
  // Only root makes them (engine: docker is root's), and only root may remove them.
  if (process.getuid?.() !== 0) return []
  const stale = staleDockerCgroups()
  await releaseCgroupTrees(stale)
  const gone = new Map<string, number>()
  for (const d of stale) if (!existsSync(d)) gone.set(basename(d), (gone.get(basename(d)) ?? 0) + 1)
  return [...gone].map(([name, n]) => `removed the cgroups of a docker-engine lab host whose nslab was killed (${name}, ${n} hierarch${n === 1 ? 'y' : 'ies'})`)
}
