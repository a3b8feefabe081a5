// One queue for the whole server's task checks, so that they share the CPUs
// instead of fighting for them. With 30 pages each re-checking on a timer of
// its own, a check (a few short processes) started the moment it was due, and
// 30 learners pressing Enter in the same second waited behind everyone's
// timers: a task ticked some 6 s after its command on 2 CPUs
// (bench/README.md). Here at most `concurrency` checks run at once; a check
// asked for because the learner did something (a command ended, Check now)
// goes before every routine re-check waiting, and routine ones take turns in
// the order they asked (round-robin over the pages). No library: p-limit and
// p-queue have no "jump the queue, but only ahead of the routine ones" that
// stays this small, and a waiting check must leave the queue when aborted.
import { availableParallelism } from 'node:os'

export interface CheckScheduler {
  /**
   * Run `fn` once a slot is free. `urgent`: the learner just did something;
   * it goes before the routine checks waiting. Aborted while waiting: it
   * never runs, and the promise rejects with the signal's reason.
   */
  run<T>(urgent: boolean, signal: AbortSignal, fn: () => Promise<T>): Promise<T>
  /** Checks running now and waiting (for the tests and the instructor's log). */
  load(): { running: number; waiting: number }
}

interface Waiting {
  start: () => void
  signal: AbortSignal
  drop: () => void
}

/** Default: one check per CPU (each is mostly process starts and waits on them). */
export function createCheckScheduler(concurrency = Math.max(1, availableParallelism())): CheckScheduler {
  let running = 0
  const urgent: Waiting[] = []
  const routine: Waiting[] = []

  const next = () => {
    while (running < concurrency) {
      const w = urgent.shift() ?? routine.shift()
      if (!w) return
      if (w.signal.aborted) continue
      w.drop()
      running++
      w.start()
    }
  }

  return {
    run<T>(isUrgent: boolean, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
      if (signal.aborted) return Promise.reject(signal.reason)
      return new Promise<T>((resolve, reject) => {
        const queue = isUrgent ? urgent : routine
        const onAbort = () => {
          const i = queue.indexOf(w)
          if (i >= 0) queue.splice(i, 1)
          reject(signal.reason)
        }
        const w: Waiting = {
          signal,
          drop: () => signal.removeEventListener('abort', onAbort),
          start: () => {
            // The slot is held until fn settles, aborted or not: what it started still runs.
            void (async () => {
              try {
                resolve(await fn())
              } catch (e) {
                reject(e)
              } finally {
                running--
                next()
              }
            })()
          },
        }
        signal.addEventListener('abort', onAbort, { once: true })
        queue.push(w)
        next()
      })
    },
    load: () => ({ running, waiting: urgent.length + routine.length }),
  }
}
