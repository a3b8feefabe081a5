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

/** A line with \r in it shows what the last write left: "50%\r100%" shows "100%". */
function overwrite(line: string): string {
  if (!line.includes('\r')) return line
  let shown = ''
  for (const part of line.split('\r')) shown = part + shown.slice(part.length)
  return shown
}

/** One line of plain text: tabs and newlines become spaces. */
export function oneLine(text: string): string {
  // A run of blanks holding a newline becomes one space. Not /\s*\n\s*/g: it
  // is quadratic in the length of a run of blanks without a newline.
  return plainText(text).replace(/\s+/g, (w) => (w.includes('\n') ? ' ' : w)).replace(/\t/g, ' ').trim()
}
