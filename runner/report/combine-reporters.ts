import type { Reporter } from './reporter.js'

/**
 * One reporter that hands each event to several (the terminal and a --junit
 * and a --json file). One that throws does not keep the others from their events;
 * the first error is thrown once all have had the event.
 */
export function combineReporters(reporters: Reporter[]): Reporter {
  return {
    onEvent(event) {
      let failure: { error: unknown } | undefined
      for (const r of reporters) {
        try {
          r.onEvent(event)
        } catch (error) {
          failure ??= { error }
        }
      }
      if (failure) throw failure.error
    },
    async close() {
      const settled = await Promise.allSettled(reporters.map((r) => r.close()))
      const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
      if (rejected) throw rejected.reason
    },
  }
}
