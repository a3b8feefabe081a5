// One learner's labs on a server: the labs served, and those open (a lab
// host, terminals, a task poller each). nslab serve has one; a server for a
// workshop would have one per learner.
import { sessionState } from '../learn/learner-session.js'
import { listSessions } from '../learn/session-store.js'
import type { LabCard } from './labs-page-html.js'
import { openLiveLab, type LiveLab } from './live-lab.js'
import type { ServedLab, ServedLabs } from './served-labs.js'

export interface LearnerSpace {
  readonly served: ServedLabs
  find(id: string): ServedLab | undefined
  /** The lab open for this learner (opened now if it was not). */
  live(id: string): LiveLab | undefined
  /** Every lab with the learner's progress, for the first page. */
  cards(): LabCard[]
  /** Close every lab: terminals end, lab hosts started here are taken down. */
  close(): Promise<void>
}

export function createLearnerSpace(served: ServedLabs, opts: { log?: (line: string) => void } = {}): LearnerSpace {
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
        l = openLiveLab({ served: s, ...(opts.log ? { log: opts.log } : {}) })
        open.set(id, l)
      }
      return l
    },
    cards() {
      const sessions = listSessions()
      return served.labs.map((s): LabCard => {
        const l = open.get(s.id)?.state()
        let progress: LabCard['progress']
        if (l && l.status === 'up') progress = { done: l.done, solved: l.solved }
        else {
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
