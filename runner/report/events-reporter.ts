import type { Reporter } from './reporter.js'
import type { RunEvent } from '../run/run-event.js'

export interface EventsReporterOptions {
  /** Called with each line, newline included (a file, a virtio-serial port, a pipe). */
  write(line: string): void
}

/**
 * Every RunEvent as one line of JSON: the stream a run inside a VM sends
 * back to the host, where it is read (readEventLine) and handed to the
 * ordinary reporters, so that a run in a VM reports like a local one.
 */
export function createEventsReporter(opts: EventsReporterOptions): Reporter {
  return {
    onEvent(event: RunEvent): void {
      opts.write(`${JSON.stringify(event)}\n`)
    },
    async close(): Promise<void> {},
  }
}

const TYPES = new Set(['run-start', 'lab-start', 'sandbox-up', 'block-start', 'block-end', 'lab-end', 'run-end'])

/** A line of that stream back as an event; undefined for anything else (console noise, a cut line). */
export function readEventLine(line: string): RunEvent | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const v = JSON.parse(line) as { type?: unknown }
    return typeof v.type === 'string' && TYPES.has(v.type) ? (v as RunEvent) : undefined
  } catch {
    return undefined
  }
}
