// How deep a line of Markdown nests lists and quotes, read from its start.
// Lists and quotes nested deeper than MAX_NESTING are refused (parseLab) or
// not rendered as Markdown (renderMarkdown) before a Markdown parser sees
// them: the work of a parser on a line grows with the depth of the
// containers open there, and marked recurses once per level.

import type { LineIndex } from './line-index.js'
import { MAX_NESTING } from './lab-text-limits.js'

// The depth of a line is the number of quote and list markers it starts
// with (blanks between them aside), plus one for every two columns of blanks
// in front of the first. A scan, not a regex: a regex repeating a group once
// per marker runs V8's regex stack out on a line of millions of >.

const isBlank = (c: number) => c === 32 || c === 9
const isDigit = (c: number) => c >= 48 && c <= 57

/** The markers at the start of the line at `start` and the blanks before the first: a line's nesting. */
export function nestingOf(text: string, start: number): number {
  const n = text.length
  // A list marker counts when a blank or the line's end follows it.
  const spaced = (i: number) => i < n && (isBlank(text.charCodeAt(i)) || text.charCodeAt(i) === 10)
  let markers = 0
  let indent = 0
  let i = start
  for (;;) {
    let j = i
    while (j < n && isBlank(text.charCodeAt(j))) j++
    const c = text.charCodeAt(j)
    let next = -1
    if (c === 62) next = j + 1
    else if ((c === 42 || c === 43 || c === 45) && spaced(j + 1)) next = j + 1
    else if (isDigit(c)) {
      let k = j
      while (k < n && k - j < 9 && isDigit(text.charCodeAt(k))) k++
      const d = text.charCodeAt(k)
      if ((d === 46 || d === 41) && spaced(k + 1)) next = k + 1
    }
    if (next < 0) break
    if (markers === 0) indent = j - i
    markers++
    i = next
  }
  return markers === 0 ? 0 : markers + Math.floor(indent / 2)
}

/** The first line nested deeper than MAX_NESTING, if any. */
export function tooDeep(text: string, from: number, index: LineIndex): { line: number; depth: number } | undefined {
  for (let line = index.lineAt(from); line <= index.lineCount; line++) {
    const start = index.startOf(line)
    const c = text.charCodeAt(start)
    // Fast path: most lines start with a letter, a backtick or nothing.
    if (!(isBlank(c) || c === 62 || c === 42 || c === 43 || c === 45 || isDigit(c))) continue
    const depth = nestingOf(text, start)
    if (depth > MAX_NESTING) return { line, depth }
  }
  return undefined
}

/** Whether some line of `text` nests deeper than MAX_NESTING. */
export function nestsTooDeep(text: string): boolean {
  for (let start = 0; start < text.length; ) {
    if (nestingOf(text, start) > MAX_NESTING) return true
    const nl = text.indexOf('\n', start)
    if (nl < 0) break
    start = nl + 1
  }
  return false
}
