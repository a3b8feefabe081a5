// Text that came from a process (a step's output, a check's evidence) may
// carry colors, cursor moves, \r progress bars and bytes that no terminal
// line, XML file or YAML block should get. This keeps what a person would
// have seen on the screen, as lines of printable text.

// CSI sequences (colors, cursor moves), OSC sequences (titles, links) and
// two-byte escapes.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g
// C0 controls but tab and newline, DEL and the C1 controls.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g
// What XML 1.0 forbids besides controls: lone surrogates and U+FFFE/U+FFFF.
const NOT_TEXT = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g

export function plainText(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map(overwrite)
    .join('\n')
    .replace(CONTROL, '')
    .replace(NOT_TEXT, '')
}

/**
 * A line with \r in it shows what the last write left: "50%\r100%" shows
 * "100%", "abcdef\rXY" shows "XYcdef". Each column shows the last write that
 * reached it, so the writes are read from the last: each adds the columns
 * past those already written. (Writing them in order, one over the other,
 * copies the line once per \r: a long line and a million \r took minutes.)
 */
function overwrite(line: string): string {
  if (!line.includes('\r')) return line
  const parts = line.split('\r')
  const shown: string[] = []
  let covered = 0
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!
    if (part.length > covered) {
      shown.push(part.slice(covered))
      covered = part.length
    }
  }
  return shown.join('')
}

/** One line of plain text: tabs and newlines become spaces. */
export function oneLine(text: string): string {
  // A run of blanks holding a newline becomes one space. Not /\s*\n\s*/g: it
  // is quadratic in the length of a run of blanks without a newline.
  return plainText(text).replace(/\s+/g, (w) => (w.includes('\n') ? ' ' : w)).replace(/\t/g, ' ').trim()
}
