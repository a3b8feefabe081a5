// Exceptions are for broken labs, broken machines and bad usage; each carries
// a code (which also decides the exit status), and the file and line when
// there is one. Expected failures (a check that fails) are results, not these.

export type NslabErrorCode =
  /** The lab breaks the format (exit 2). */
  | 'LAB_INVALID'
  /** The command line is wrong (exit 2). */
  | 'USAGE'
  /** The machine lacks a program, package or kernel feature (exit 3). */
  | 'PREREQUISITE'
  /** The sandbox could not be built or entered (exit 3). */
  | 'SANDBOX'
  /** A lab named on the command line does not exist (exit 2). */
  | 'NOT_FOUND'

export class NslabError extends Error {
  readonly code: NslabErrorCode
  readonly file?: string
  readonly line?: number
  /** What fixes it, e.g. "apt-get install iproute2". */
  readonly fix?: string

  constructor(opts: { code: NslabErrorCode; message: string; file?: string; line?: number; fix?: string; cause?: unknown }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'NslabError'
    this.code = opts.code
    if (opts.file !== undefined) this.file = opts.file
    if (opts.line !== undefined) this.line = opts.line
    if (opts.fix !== undefined) this.fix = opts.fix
  }

  /** `file:line: message` as an author or user reads it. */
  override toString(): string {
    const where = this.file ? `${this.file}${this.line ? `:${this.line}` : ''}: ` : ''
    return `${where}${this.message}${this.fix ? `\n  fix: ${this.fix}` : ''}`
  }

  get exitCode(): number {
    return this.code === 'PREREQUISITE' || this.code === 'SANDBOX' ? 3 : 2
  }
}
