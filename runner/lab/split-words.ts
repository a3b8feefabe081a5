// Splits a check line or an info string into words as a shell would:
// spaces separate, 'single' and "double" quotes group, a backslash escapes.
// A word that starts `key=` (key unquoted) is an option.

export interface Word {
  /** The word unquoted; for an option, its value unquoted. */
  text: string
  /** Set when the word is an option `key=value`. */
  key?: string
  /** Offsets of the word in the line as written. */
  start: number
  end: number
  /** The word as written, quotes and all. */
  raw: string
}

export type SplitResult = { words: Word[] } | { error: string }

const KEY = /[A-Za-z][A-Za-z0-9_-]*=/y
/** In double quotes a backslash escapes only these, as in a shell. */
const DQ_ESCAPABLE = new Set(['"', '\\', '$', '`'])

/** `column0` is where `line` starts in the text it came from, for the columns of errors. */
export function splitWords(line: string, column0 = 0): SplitResult {
  const words: Word[] = []
  const n = line.length
  let i = 0
  for (;;) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++
    if (i >= n) break
    const start = i
    let key: string | undefined
    KEY.lastIndex = i
    const k = KEY.exec(line)
    if (k) {
      key = k[0].slice(0, -1)
      i += k[0].length
    }
    let text = ''
    while (i < n && line[i] !== ' ' && line[i] !== '\t') {
      const c = line[i]!
      if (c === "'") {
        const close = line.indexOf("'", i + 1)
        if (close < 0) return { error: `a ' opened at column ${column0 + i + 1} is never closed` }
        text += line.slice(i + 1, close)
        i = close + 1
      } else if (c === '"') {
        const open = i
        i++
        for (;;) {
          if (i >= n) return { error: `a " opened at column ${column0 + open + 1} is never closed` }
          const d = line[i]!
          if (d === '"') break
          if (d === '\\' && i + 1 < n && DQ_ESCAPABLE.has(line[i + 1]!)) {
            text += line[i + 1]
            i += 2
          } else {
            text += d
            i++
          }
        }
        i++
      } else if (c === '\\' && i + 1 < n) {
        text += line[i + 1]
        i += 2
      } else {
        // A run of plain characters at once: one slice, not one string per character.
        let j = i + 1
        while (j < n) {
          const d = line.charCodeAt(j)
          if (d === 32 || d === 9 || d === 39 || d === 34 || d === 92) break
          j++
        }
        text += line.slice(i, j)
        i = j
      }
    }
    const word: Word = { text, start, end: i, raw: line.slice(start, i) }
    if (key !== undefined) word.key = key
    words.push(word)
  }
  return { words }
}
