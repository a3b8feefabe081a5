// Offsets ↔ 1-based lines of one text, built once so that a 5 MB lab needs no
// rescans: lineAt is a binary search.

export class LineIndex {
  /** Offset of the start of each line; starts[0] is line 1. A typed array: a lab can have millions of lines. */
  readonly starts: Int32Array
  readonly length: number

  constructor(readonly text: string) {
    let count = 1
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++
    const starts = new Int32Array(count)
    let k = 1
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[k++] = i + 1
    this.starts = starts
    this.length = text.length
  }

  get lineCount(): number {
    return this.starts.length
  }

  /** The line an offset is on. */
  lineAt(offset: number): number {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }

  /** Offset of the start of a line; past the last line, the end of the text. */
  startOf(line: number): number {
    return line - 1 < this.starts.length ? this.starts[line - 1]! : this.length
  }

  /** A line's text, without its newline. */
  textOf(line: number): string {
    const start = this.startOf(line)
    const next = line < this.starts.length ? this.starts[line]! - 1 : this.length
    return this.text.slice(start, Math.max(start, next))
  }
}
