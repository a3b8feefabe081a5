import { NslabError } from '../util/nslab-error.js'
import { safeTerminal } from '../util/safe-text.js'

/** Print an error the way a user reads it (never a stack trace) and give the exit code. */
export function reportFatal(e: unknown): number {
  if (e instanceof NslabError) {
    // Paths and names in a message may carry control characters of a lab's or a learner's.
    process.stderr.write(`nslab: ${safeTerminal(e.toString())}\n`)
    return e.exitCode
  }
  // A bug of nslab itself: say so plainly; the stack only on request.
  const msg = e instanceof Error ? e.message : String(e)
  process.stderr.write(`nslab: internal error: ${safeTerminal(msg)}\n`)
  if (process.env.NSLAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  return 70
}
