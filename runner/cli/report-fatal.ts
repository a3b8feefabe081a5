import { NslabError } from '../util/nslab-error.js'
import { safeTerminal } from '../util/safe-text.js'
import { UsageError, usageText } from './usage-error.js'

/** Exit status of a bug of nslab's own (sysexits.h EX_SOFTWARE). */
export const INTERNAL_ERROR_EXIT = 70

/**
 * Print an error the way a user reads it (never a stack trace) and give the exit code;
 * to this process's stderr, or to a session agent's client's (session-agent.ts).
 */
export function reportFatal(e: unknown, write: (text: string) => void = (t) => process.stderr.write(t), env: NodeJS.ProcessEnv = process.env): number {
  if (e instanceof UsageError) {
    write(safeTerminal(usageText(e.command, e.message)))
    return e.exitCode
  }
  if (e instanceof NslabError) {
    // Paths and names in a message may carry control characters of a lab's or a learner's.
    write(`nslab: ${safeTerminal(e.toString())}\n`)
    return e.exitCode
  }
  // A bug of nslab itself: say so plainly; the stack only on request.
  const msg = e instanceof Error ? e.message : String(e)
  write(`nslab: internal error: ${safeTerminal(msg)}\n`)
  if (env.NSLAB_DEBUG && e instanceof Error) write(`${e.stack}\n`)
  else write('(NSLAB_DEBUG=1 shows where; please report it with that)\n')
  return INTERNAL_ERROR_EXIT
}
