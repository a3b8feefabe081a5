import type { RE2JS } from 're2js'
import { compileLabRegex, shownRegex } from '../runner/lab/compile-lab-regex.js'
import type { Check } from '../runner/lab/lab.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { invalidProbe } from './invalid-probe.js'
import { previousStep } from './previous-step.js'

/**
 * `stdout "text"` / `stdout /regex/`: what the block run just before printed
 * on stdout contains the text, or matches the regex. A regex is written
 * unquoted; quoted text is always text ("/etc/" is a path, not a regex).
 * Regexes are written as in JavaScript, always multi-line (^ and $ match at
 * each line's start and end), with the flags written after the closing slash:
 * /x/i. They run on RE2 (compile-lab-regex.ts), in time linear in the output:
 * V8's backtracking took minutes on /^(a+)+$/ and 34 characters.
 */
export async function stdoutProbe(check: Check, ctx: CheckContext): Promise<Probe> {
  const [arg] = check.args
  if (check.args.length !== 1 || arg === undefined) return invalidProbe('stdout needs one text or /regex/: stdout "Welcome"')
  // parseCheck hands the regex over as written (options.regex, options.flags);
  // a Check made by hand says it by an unquoted /…/.
  const m = check.options.regex !== undefined ? [arg, check.options.regex, check.options.flags ?? ''] : writtenQuoted(check.source) ? null : /^\/(.*)\/([a-z]*)$/s.exec(arg)
  let re: RE2JS | undefined
  if (m) {
    const compiled = compileLabRegex(m[1]!, m[2] ?? '')
    if ('error' in compiled) return invalidProbe(`${shownRegex(m[1]!, m[2] ?? '')} is not a regex nslab can run: ${compiled.error}`)
    re = compiled.regex
  }
  const p = ctx.previous
  if (!p) return invalidProbe('there is no step before this check to judge')
  const evidence = [evidenceOf(p)]
  const step = previousStep(p)
  const what = re ? arg : JSON.stringify(arg)
  const expected = re ? `stdout matching ${what}` : `stdout containing ${what}`
  const got = firstLines(p.stdout)
  const holds = re ? re.test(p.stdout) : p.stdout.includes(arg)
  const verb = re ? (holds ? 'printed a match for' : 'printed nothing matching') : holds ? 'printed' : 'did not print'
  const printed = holds ? '' : p.stdout.trim() === '' ? ' (its stdout was empty)' : ` (it printed: ${got})`
  return { holds, sentence: `${step} ${verb} ${what}${printed}`, expected, got, evidence }
}

/** Whether the check's argument was quoted in the lab ("…" or '…'): then it is text. */
function writtenQuoted(source: string): boolean {
  return /^\s*(?:no\s+)?stdout\s+["']/.test(source)
}

/** The start of the output on one line, newlines shown as ⏎. */
function firstLines(s: string): string {
  // Each run of blanks holding a newline becomes ⏎ (not /\s*\n\s*/g, which is
  // quadratic in the length of a run of blanks without a newline).
  const t = s.trim().replace(/\s+/g, (w) => (w.includes('\n') ? ' ⏎ ' : w))
  return t.length > 120 ? `${t.slice(0, 117)}…` : t
}
