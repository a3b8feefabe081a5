// One learner's labs on a server: the labs served, and those open (a lab
// host, terminals, a task poller each). nslab serve has one; a workshop
// (nslab serve --workshop) has one per learner, each with its own session
// names, uid, limits and kept progress.
import { sessionState } from '../learn/learner-session.js'
import { listSessions } from '../learn/session-store.js'
import type { LabCard } from './labs-page-html.js'
import { openLiveLab, type LiveLab, type LiveLabOptions } from './live-lab.js'
import type { ServedLab, ServedLabs } from './served-labs.js'

export interface LearnerSpace {
  readonly served: ServedLabs
  find(id: string): ServedLab | undefined
  /** The lab open for this learner (opened now if it was not). */
  live(id: string): LiveLab | undefined
  /** The lab if it is open (never opens one). */
  opened(id: string): LiveLab | undefined
  /** Every lab with the learner's progress, for the first page. */
  cards(): LabCard[]
  /** Close every lab: terminals end, lab hosts started here are taken down. */
  close(): Promise<void>
}

export interface LearnerSpaceOptions {
  log?: (line: string) => void
  /**
   * A workshop's learner: each lab's own options (session name, uid, limits,
   * kept progress). Without it, labs are the machine's user's, shared with nslab up.
   */
  labOptions?: (lab: ServedLab) => Omit<LiveLabOptions, 'served' | 'log'>
}

export function createLearnerSpace(served: ServedLabs, opts: LearnerSpaceOptions = {}): LearnerSpace {
  const open = new Map<string, LiveLab>()
  const byId = new Map(served.labs.map((l) => [l.id, l]))
  let closing = false
  return {
    served,
    find: (id) => byId.get(id),
    live(id) {
      const s = byId.get(id)
      if (!s || closing) return undefined
      let l = open.get(id)
      if (!l) {
        l = openLiveLab({ served: s, ...(opts.log ? { log: opts.log } : {}), ...(opts.labOptions?.(s) ?? {}) })
        open.set(id, l)
      }
      return l
    },
    opened: (id) => open.get(id),
    cards() {
      const sessions = opts.labOptions ? [] : listSessions()
      return served.labs.map((s): LabCard => {
        const l = open.get(s.id)?.state()
        let progress: LabCard['progress']
        if (l && l.status === 'up') progress = { done: l.done, solved: l.solved }
        else if (opts.labOptions) {
          const kept = opts.labOptions(s).progress
          if (kept && kept.passed.length) progress = { done: kept.passed.length, solved: kept.solved.length }
        } else {
          const found = sessions.find((x) => x.lab === s.file && sessionState(x) === 'up')
          if (found) progress = { done: found.passed.length, solved: found.solved.length }
        }
        return { id: s.id, title: s.lab.title, ...(s.lab.summary ? { summary: s.lab.summary } : {}), tasks: s.tasks, ...(progress ? { progress } : {}) }
      })
    },
    async close() {
      closing = true
      await Promise.all([...open.values()].map((l) => l.close()))
      open.clear()
    },
  }
}
