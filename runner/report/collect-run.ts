import type { LabResult, RunEvent } from '../run/run-event.js'

/** What a report written at the end needs from the events of a run. */
export interface CollectedRun {
  results: LabResult[]
  startTimes: Map<string, number>
  runStart: number
  jobs: number | null
  files: string[]
  /** Set by run-end; undefined for a run that never ended (interrupted). */
  durationMs: number | undefined
  onEvent(event: RunEvent): void
}

/** Collect a run's results as its events come (for the JSON and JUnit reporters). */
export function collectRun(): CollectedRun {
  const run: CollectedRun = {
    results: [],
    startTimes: new Map(),
    runStart: Date.now(),
    jobs: null,
    files: [],
    durationMs: undefined,
    onEvent(event) {
      const add = (r: LabResult) => {
        if (!run.results.includes(r)) run.results.push(r)
      }
      switch (event.type) {
        case 'run-start':
          run.runStart = event.time
          run.jobs = event.jobs
          run.files = [...event.files]
          return
        case 'lab-start':
          run.startTimes.set(event.file, event.time)
          return
        case 'lab-end':
          add(event.result)
          return
        case 'run-end':
          event.results.forEach(add)
          run.durationMs = event.durationMs
          return
        default:
          return
      }
    },
  }
  return run
}
