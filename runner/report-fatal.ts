import { NslabError } from './nslab-error.js'

/** Print an error the way a user reads it (never a stack trace) and give the exit code. */
export function reportFatal(e: unknown): number {
  if (e instanceof NslabError) {
    process.stderr.write(`nslab: ${e.toString()}\n`)
    return e.exitCode
  }
  // A bug of nslab itself: say so plainly; the stack only on request.
  const msg = e instanceof Error ? e.message : String(e)
  process.stderr.write(`nslab: internal error: ${msg}\n`)
  if (process.env.NSLAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  return 70
}
