/**
 * What one process run gave back. A non-zero exit is data, not an exception:
 * a step or a check judges it.
 */
export interface ExecResult {
  /** The machine it ran on: 'host', a container, 'internet' (or 'local'). */
  machine: string
  /** The script or command line as run. */
  command: string
  /** null when it was killed by a signal. */
  exitCode: number | null
  signal?: string
  stdout: string
  stderr: string
  /** stdout and stderr interleaved as a terminal shows them. */
  output: string
  durationMs: number
  timedOut: boolean
  /** True when output was cut at the limit. */
  truncated?: boolean
}
