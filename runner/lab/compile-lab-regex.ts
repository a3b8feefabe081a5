// A lab author's regex (`stdout /regex/flags`) compiled for RE2JS, a port of
// RE2 that matches in time linear in the text, whatever the pattern. V8's own
// engine backtracks: `stdout /^(a+)+$/` against 33 a's and a b took 1.5
// minutes, and a lab's regex meets whatever a step printed. Why RE2JS: it is
// pure JavaScript (no native build, and it bundles into the VM guest), it is
// RE2's semantics ported in full (the DFA and NFA that make the linear bound),
// and it takes JavaScript's escapes through RE2JS.translateRegExp. V8's
// experimental linear engine would need a command line flag and is not
// meant for production.
//
// What RE2 cannot run in linear time it does not have: backreferences,
// lookahead, lookbehind. A regex using them is refused with a sentence
// saying so, at the check's line, when the lab is read.

import type { RE2JS } from 're2js'
import { loadPackage } from '../util/load-package.js'
import { MAX_REGEX_LENGTH } from './lab-text-limits.js'

export const REGEX_FLAGS = /^[imsu]*$/

/** A regex as written in a lab, shortened for a message. */
export function shownRegex(body: string, flags: string): string {
  const shown = body.length > 80 ? `${body.slice(0, 77)}…` : body
  return `/${shown}/${flags}`
}

/**
 * The JavaScript constructs RE2 has no linear-time form of, by name, if the
 * regex uses one. Escapes and [classes] are skipped as JavaScript reads them.
 */
function unsupported(body: string): string | undefined {
  let inClass = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c === '\\') {
      const d = body[i + 1]
      if (!inClass && d !== undefined && d >= '1' && d <= '9') return `a backreference (\\${d})`
      if (!inClass && d === 'k' && body[i + 2] === '<') return 'a backreference (\\k<…>)'
      i++
    } else if (inClass) {
      if (c === ']') inClass = false
    } else if (c === '[') inClass = true
    else if (c === '(' && body[i + 1] === '?') {
      const a = body[i + 2]
      const b = body[i + 3]
      if (a === '=') return 'a lookahead (?=…)'
      if (a === '!') return 'a negative lookahead (?!…)'
      if (a === '<' && b === '=') return 'a lookbehind (?<=…)'
      if (a === '<' && b === '!') return 'a negative lookbehind (?<!…)'
    }
  }
  return undefined
}

export type CompiledLabRegex = { regex: RE2JS } | { error: string }

/**
 * Compile `body` with `flags` (i, m, s, u) for matching command output:
 * always multi-line (^ and $ at each line's start and end), as the lab
 * format says. Never throws: a regex nslab cannot run is an error sentence
 * (without the "bad regex /…/:" the caller puts in front).
 */
export function compileLabRegex(body: string, flags: string): CompiledLabRegex {
  if (!REGEX_FLAGS.test(flags)) return { error: `bad regex flags "${flags}": use i, m, s or u` }
  // RE2's time is linear in the text for a given regex, and grows with the regex: compiling
  // takes some µs a character, and a match the regex's length times the text's at worst.
  if (body.length > MAX_REGEX_LENGTH) return { error: `it is ${body.length} characters: a regex is at most ${MAX_REGEX_LENGTH}` }
  const construct = unsupported(body)
  if (construct) {
    return {
      error: `${construct} cannot be matched in linear time: nslab matches regexes with RE2, which has no backreferences, lookahead or lookbehind`,
    }
  }
  const { RE2JS } = loadPackage<typeof import('re2js')>('re2js')
  let re2Flags = RE2JS.MULTILINE
  if (flags.includes('i')) re2Flags |= RE2JS.CASE_INSENSITIVE
  if (flags.includes('s')) re2Flags |= RE2JS.DOTALL
  try {
    return { regex: RE2JS.compile(RE2JS.translateRegExp(body), re2Flags) }
  } catch (e) {
    const message = String((e as Error)?.message ?? e).replace(/^error parsing regexp: /, '')
    return { error: `${message.length > 200 ? `${message.slice(0, 197)}…` : message} (nslab matches regexes with RE2)` }
  }
}
