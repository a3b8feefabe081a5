import { NslabError } from '../util/nslab-error.js'

/**
 * A command line nslab cannot take, said in one form for every command, on
 * stderr, as coreutils and git say it: `nslab run: unknown option --verbos
 * (did you mean --verbose?)`, then `Try 'nslab run --help'.` (report-fatal.ts
 * prints it). Never the whole help: it would push the one line that matters
 * off the screen.
 */
export class UsageError extends NslabError {
  /** As the user typed it: "nslab run", "nslab report merge". */
  readonly command: string

  constructor(command: string, message: string) {
    super({ code: 'USAGE', message })
    this.name = 'UsageError'
    this.command = command
  }
}

/** The two lines of a usage error. */
export function usageText(command: string, message: string): string {
  return `${command}: ${message}\nTry '${command} --help'.\n`
}
