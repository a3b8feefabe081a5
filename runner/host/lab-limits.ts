// Limits on everything a lab host runs — its init, its containers' commands,
// every step and shell that enters it: processes, memory and CPU, so that a
// lab (or an answer, or a learner) that forks or allocates without end stops
// at its own limit and not at the machine's. As root: a cgroup per lab host
// (cgroup-limits), joined by each process of the lab before it runs anything
// of the lab, through a descriptor of the cgroup's cgroup.procs that nslab
// opened (the kernel checks the opener's rights, so the lab's uid needs none,
// and the lab never holds the descriptor: it is closed before the lab's code
// runs). As an ordinary user: rlimits (RLIMIT_NPROC counts the user's own
// processes, RLIMIT_AS each process's memory).
import { closeSync, openSync } from 'node:fs'
import { createCgroupLimits, type CgroupLimits, type LimitCounters } from './cgroup-limits.js'
import { processCountOf } from './process-count-of.js'

export interface LabLimits {
  /** Processes (and threads) of the lab host at once. */
  maxProcs: number
  /** Memory of the lab host's processes together (each process's, with rlimits). */
  memoryBytes: number
  /** CPUs the lab host may use at once (cgroup cpu quota); 0: no limit. */
  cpus: number
}

/** What `nslab run` gives each lab host unless told otherwise (--max-procs, --memory, --cpus, --no-limits). */
export const DEFAULT_LAB_LIMITS: LabLimits = { maxProcs: 1024, memoryBytes: 2 * 1024 ** 3, cpus: 1 }

/** The first descriptor a lab host's processes find the cgroup.procs files on (3 carries the script). */
export const CGROUP_FD = 4

export interface AppliedLimits {
  /** How the limits are enforced, e.g. "cgroup v1: pids, memory, cpu" or "rlimits". */
  how: string
  /** Descriptors to hand each process of the lab at CGROUP_FD, CGROUP_FD+1, … */
  fds: number[]
  /** What each process of the lab does first: joins the cgroups, sets its rlimits (as shell lines: limitsShell). */
  plan: LimitsPlan
  counters(): LimitCounters
  /** End what is left in the cgroups and remove them; close the descriptors. */
  release(): Promise<void>
}

/** An rlimit as `ulimit -H -S` sets it (both values): RLIMIT_CORE, RLIMIT_NPROC, RLIMIT_AS (bytes). */
export type Rlimit = { resource: 'core' | 'nproc' | 'as'; value: number }

export interface LimitsPlan {
  /** cgroup.procs descriptors at CGROUP_FD, CGROUP_FD+1, …: writing 0 to each joins that cgroup. */
  cgroupFds: number
  rlimits: Rlimit[]
}

const ULIMIT_FLAG: Record<Rlimit['resource'], string> = { core: '-c', nproc: '-u', as: '-v' }

/**
 * A plan as the shell lines a bash of the lab runs first: writing 0 moves the writer (a write that fails
 * means no lab runs outside its limits: exit 125), the descriptors closed after; the rlimits best effort.
 */
export function limitsShell(plan: LimitsPlan): string {
  const fds = Array.from({ length: plan.cgroupFds }, (_, i) => CGROUP_FD + i)
  const join = fds.length
    ? `{ ${fds.map((fd) => `echo 0 >&${fd}`).join('; ')}; } || { echo "nslab: cannot join the lab host's cgroup" >&2; exit 125; }; exec ${fds.map((fd) => `${fd}>&-`).join(' ')}; `
    : ''
  // ulimit -v counts KiB.
  return join + plan.rlimits.map((r) => `ulimit -H -S ${ULIMIT_FLAG[r.resource]} ${r.resource === 'as' ? r.value / 1024 : r.value} 2>/dev/null || :; `).join('')
}

/**
 * Limits for one lab host. `parallel`: lab hosts of this user at once
 * (RLIMIT_NPROC counts all of a user's processes, so each gets its share
 * above what the user already runs).
 */
export function applyLabLimits(limits: LabLimits, parallel = 1): AppliedLimits {
  const root = process.getuid?.() === 0
  const cg: CgroupLimits | { unavailable: string } = root ? createCgroupLimits(limits, 'run') : { unavailable: 'not root' }
  if (!('unavailable' in cg)) {
    const dirs = [...new Set(Object.values(cg.dirs).filter((d): d is string => typeof d === 'string'))]
    let fds: number[] = []
    try {
      fds = dirs.map((d) => openSync(`${d}/cgroup.procs`, 'w'))
    } catch {
      for (const fd of fds) closeSync(fd)
      void cg.release()
      return rlimits()
    }
    return {
      how: cg.how,
      fds,
      plan: { cgroupFds: fds.length, rlimits: [{ resource: 'core', value: 0 }] },
      counters: () => cg.counters(),
      async release() {
        for (const fd of fds) closeSync(fd)
        fds = []
        await cg.release()
      },
    }
  }
  return rlimits()

  function rlimits(): AppliedLimits {
    const uid = process.getuid?.() ?? 0
    // Root's lab hosts run as a uid of their own that runs nothing else.
    const base = root ? 0 : processCountOf(uid) + limits.maxProcs * Math.max(0, parallel - 1)
    return {
      how: 'rlimits',
      fds: [],
      plan: { cgroupFds: 0, rlimits: [{ resource: 'core', value: 0 }, { resource: 'nproc', value: base + limits.maxProcs }, { resource: 'as', value: Math.floor(limits.memoryBytes / 1024) * 1024 }] },
      counters: () => ({ procsRefused: 0, oomKills: 0 }),
      release: async () => undefined,
    }
  }
}
