// A workshop on one server (nslab serve --workshop CLASS.yaml): a learner
// space per learner, each with its own token, sessions, uid and limits, and
// progress kept on disk; and what the instructor sees and does: the live
// table, a learner's terminals read-only, a message to everyone, a learner's
// lab reset, the gradebook.
//
// Learners are kept apart as graded submissions are (runner/grade): as root,
// each learner's lab hosts run as a uid of their own (uidBase + their place
// in the class file) that owns no file here, each lab host in its own cgroup
// (processes, memory, CPU: runner/host/lab-limits), and the learner's shells
// in a cgroup of the learner's own with the same limits; without cgroups (or
// as an ordinary user), rlimits.
import type { LabLimits } from '../host/lab-limits.js'
import { machinesOf } from '../lab/lab.js'
import { createCgroupLimits, type CgroupLimits } from '../host/cgroup-limits.js'
import type { ClassFile } from './class-file.js'
import { createLearnerSpace, type LearnerSpace } from './learner-space.js'
import type { LabActivity } from './live-lab.js'
import { createCheckScheduler } from './check-scheduler.js'
import type { MachineTerminal } from './machine-terminal.js'
import type { ServedLabs } from './served-labs.js'
import { workshopGradebook, type GradebookFormat } from './workshop-gradebook.js'
import { loadWorkshopState, saveWorkshopState, workshopStatePath, type KeptLab, type WorkshopState } from './workshop-store.js'
import type { WorkshopTable, WorkshopTableLab, WorkshopTableLearner } from './workshop-table.js'

export const INSTRUCTOR = 'instructor'
/** The first learner's uid (as root); the n-th learner of the class file runs as UID_BASE + n. */
export const WORKSHOP_UID_BASE = 1_810_000_000
/** How often an open page's current task is re-checked in a workshop, unless a command ended. */
export const WORKSHOP_POLL_MS = 3000
/**
 * How often a page where nothing was done (no command ended or running, no
 * Run or Check) has its task judged again anyway: for what runs in the
 * background. Its rounds in between cost a file's stat, not a check.
 */
export const WORKSHOP_IDLE_RECHECK_MS = 15_000

export interface WorkshopLearner {
  name: string
  token: string
  /** The uid their lab hosts run as (as root). */
  uid?: number
  space: LearnerSpace
}

export interface Workshop {
  readonly classFile: ClassFile
  readonly served: ServedLabs
  readonly instructorToken: string
  readonly learners: WorkshopLearner[]
  /** How the learners' limits are enforced, in words. */
  readonly limitsBy: string
  /** Where its state is kept. */
  readonly statePath: string
  learner(name: string): WorkshopLearner | undefined
  /** The learner a token is, or INSTRUCTOR; undefined: nobody. */
  principals(): Map<string, string>
  /** The live table (and keep what changed). */
  table(): WorkshopTable
  /** A message on every learner's open pages. */
  announce(text: string): number
  /** A learner's lab host afresh, at the task they were on. */
  reset(learner: string, lab: string): Promise<boolean>
  gradebook(lab: string, format: GradebookFormat): string | undefined
  /** A learner's terminal on a machine, if it is running: for a read-only view. */
  watch(learner: string, lab: string, machine: string): Promise<MachineTerminal | undefined>
  /** Keep the progress now (also done every second). */
  save(): void
  close(): Promise<void>
}

export interface WorkshopOptions {
  classFile: ClassFile
  served: ServedLabs
  log?: (line: string) => void
  /** Where the state is kept (default: in the session folder, by the class file's path). */
  statePath?: string
  uidBase?: number
}

export function createWorkshop(opts: WorkshopOptions): Workshop {
  const { classFile, served } = opts
  const statePath = opts.statePath ?? workshopStatePath(classFile.file)
  const state: WorkshopState = loadWorkshopState(statePath, classFile.file, classFile.learners)
  const root = process.getuid?.() === 0
  const uidBase = opts.uidBase ?? WORKSHOP_UID_BASE
  const limits = classFile.limits
  const groups: CgroupLimits[] = []
  let limitsBy = 'rlimits'

  const kept = (learner: string, lab: string): KeptLab => {
    const l = state.learners[learner]!
    return (l.labs[lab] ??= { passed: [], solved: [], hints: [] })
  }

  // One queue of checks for the whole class, a check per CPU at a time: what a learner just did is judged first
  // (30 pages judging on timers of their own kept 2 CPUs busy and ticks waited 6 s: bench/README.md).
  const checks = createCheckScheduler()
  const learners: WorkshopLearner[] = classFile.learners.map((name, i) => {
    const uid = root ? uidBase + i : undefined
    const wrapShell = shellLimits(limits, name)
    const space = createLearnerSpace(served, {
      ...(opts.log ? { log: (line: string) => opts.log!(`${name}: ${line}`) } : {}),
      labOptions: (lab) => {
        const k = kept(name, lab.id)
        return {
          sessionName: `ws-${name}-${lab.id}`.slice(0, 100),
          adopt: false,
          limits,
          ...(uid !== undefined ? { owner: uid } : {}),
          wrapShell,
          // A class's pages re-check less often when idle, and only when something was done or now and then:
          // with 30 open, once a second each kept two CPUs busy (bench/README.md); a command that ends in a
          // terminal is still judged at once, first in the queue.
          pollEveryMs: WORKSHOP_POLL_MS,
          idleRecheckMs: WORKSHOP_IDLE_RECHECK_MS,
          checks,
          progress: { passed: k.passed, solved: k.solved, hints: k.hints },
        }
      },
    })
    return { name, token: state.learners[name]!.token, ...(uid !== undefined ? { uid } : {}), space }
  })
  const byName = new Map(learners.map((l) => [l.name, l]))

  /** The learner's shells under limits of their own: a cgroup (as root), else rlimits set before the shell drops to their uid. */
  function shellLimits(l: LabLimits, name: string): (argv: string[]) => string[] {
    const cg = root ? createCgroupLimits(l, `ws-${name}`) : { unavailable: 'not root' }
    if (!('unavailable' in cg)) {
      groups.push(cg)
      limitsBy = cg.how
      const dirs = [...new Set(Object.values(cg.dirs).filter((d): d is string => typeof d === 'string' && d.startsWith('/')))]
      const join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; n=$((n-1)); done; exec "$@"'
      return (argv) => ['sh', '-c', join, 'sh', String(dirs.length), ...dirs, ...argv]
    }
    // RLIMIT_NPROC counts the learner's uid's processes: theirs alone (as root, their uid runs nothing else).
    const set = `ulimit -u ${l.maxProcs} 2>/dev/null; ulimit -v ${Math.floor(l.memoryBytes / 1024)} 2>/dev/null; exec "$@"`
    return (argv) => ['sh', '-c', set, 'sh', ...argv]
  }

  let lastSaved = ''
  const save = () => {
    const text = JSON.stringify(state)
    if (text === lastSaved) return
    try {
      saveWorkshopState(statePath, state)
      lastSaved = text
    } catch (e) {
      opts.log?.(`workshop: cannot keep the progress in ${statePath}: ${(e as Error).message}`)
    }
  }

  /** What each open lab says now, into the kept state. */
  const update = () => {
    const now = Date.now()
    for (const l of learners) {
      for (const lab of served.labs) {
        const live = l.space.opened(lab.id)
        if (!live) continue
        const a: LabActivity = live.activity()
        const k = kept(l.name, lab.id)
        if (a.status === 'up') {
          k.passed = a.passed
          k.solved = a.solved
        }
        k.hints = [...new Set([...k.hints, ...a.hints])].sort((x, y) => x - y)
        if (a.current !== k.current) {
          if (a.current === undefined) delete k.current
          else k.current = a.current
          k.since = now
        }
      }
    }
  }

  const table = (): WorkshopTable => {
    update()
    const rows: WorkshopTableLearner[] = learners.map((l) => {
      let current: WorkshopTableLearner['current']
      const labs = served.labs.map((lab): WorkshopTableLab => {
        const live = l.space.opened(lab.id)
        const a = live?.activity()
        const k = kept(l.name, lab.id)
        const cells = Array.from({ length: lab.tasks }, (_, i) =>
          k.solved.includes(i) ? ('solved' as const) : k.passed.includes(i) ? ('done' as const) : a?.status === 'up' && a.current === i ? ('current' as const) : ('pending' as const),
        )
        if (a?.status === 'up' && a.current !== undefined && k.since !== undefined && (!current || (live?.watched() && k.since > current.since))) {
          current = { lab: lab.id, task: a.current + 1, since: k.since }
        }
        return { id: lab.id, status: a?.status ?? 'closed', cells, done: k.passed.length, solved: k.solved.length, hints: k.hints.map((h) => h + 1), online: live?.watched() ?? false }
      })
      return {
        name: l.name,
        online: labs.some((x) => x.online),
        labs,
        ...(current ? { current } : {}),
        hints: labs.reduce((n, x) => n + x.hints.length, 0),
        finished: labs.every((x) => x.done >= x.cells.length),
        stuck: false,
      }
    })
    // Who has been on their task longest (of those on one): the first to help.
    const on = rows.filter((r) => r.current && !r.finished).sort((a, b) => a.current!.since - b.current!.since)
    if (on[0]) on[0].stuck = true
    return {
      type: 'table',
      title: classFile.title,
      now: Date.now(),
      limitsBy,
      labs: served.labs.map((s) => ({ id: s.id, title: s.lab.title, tasks: s.tasks, machines: machinesOf(s.lab.topology) })),
      learners: rows,
    }
  }

  const timer = setInterval(() => {
    update()
    save()
  }, 1000)
  timer.unref()
  save()

  return {
    classFile,
    served,
    instructorToken: state.instructorToken,
    learners,
    get limitsBy() {
      return limitsBy
    },
    statePath,
    learner: (name) => byName.get(name),
    principals() {
      const m = new Map<string, string>([[state.instructorToken, INSTRUCTOR]])
      for (const l of learners) m.set(l.token, l.name)
      return m
    },
    table,
    announce(text) {
      let n = 0
      for (const l of learners) {
        for (const lab of served.labs) {
          const live = l.space.opened(lab.id)
          if (live?.watched()) {
            live.announce('info', `From the instructor: ${text}`)
            n++
          }
        }
      }
      return n
    },
    async reset(name, labId) {
      const live = byName.get(name)?.space.opened(labId)
      if (!live) return false
      await live.act({ type: 'reset' })
      return true
    },
    gradebook(labId, format) {
      const lab = served.labs.find((l) => l.id === labId)
      if (!lab) return undefined
      update()
      return workshopGradebook(format, {
        lab,
        learners: learners.map((l) => ({ name: l.name, ...kept(l.name, lab.id) })),
        limits,
        limitsBy,
        startTime: state.startedAt,
        classFile: classFile.file,
      })
    },
    async watch(name, labId, machine) {
      return await byName.get(name)?.space.opened(labId)?.runningTerminal(machine)
    },
    save,
    async close() {
      clearInterval(timer)
      update()
      save()
      await Promise.all(learners.map((l) => l.space.close()))
      for (const g of groups) await g.release().catch(() => undefined)
    },
  }
}
