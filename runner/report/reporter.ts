import type { RunEvent } from '../run/run-event.js'

/**
 * Turns the runner's events into output (a terminal, TAP, JUnit XML, JSON).
 * A reporter knows nothing of how a lab runs: all it shows comes from events.
 */
export interface Reporter {
  onEvent(event: RunEvent): void
  /** Finish: stop redrawing, write files. Called once, after run-end (or on an interrupted run). */
  close(): Promise<void>
}
