// Finds the fenced code blocks of a lab's Markdown, wherever they stand (in
// lists and quotes too), with the line each starts on.
//
// The block structure comes from commonmark.js, the reference implementation
// of CommonMark (what GitHub's renderer follows for blocks). Its block parser
// reads the text one line at a time against the stack of open containers, so
// its time is linear in the text (times the nesting depth, which parseLab
// bounds first), and it gives every block its lines (sourcepos). marked,
// used here before, lexes with regexes over the rest of the file: two
// million blank lines ran V8's regex stack out, and other shapes of input
// took time growing faster than their size. Inline Markdown (emphasis,
// links) plays no part in finding blocks and is not parsed.

import { Parser, type Node } from 'commonmark'
import type { LineIndex } from './line-index.js'

export interface FencedBlock {
  /** Line of the opening fence. */
  line: number
  /** Offset of the start of the opening fence's line. */
  start: number
  /** Offset just after the block's last line (its newline included). */
  end: number
  /** The fence as written: ``` or ~~~ (or longer). */
  fence: string
  /** The info string as written, trimmed. */
  info: string
  /** Where the info string starts on its line (0-based), for the columns of errors. */
  infoColumn: number
  content: string
  /** False when no closing fence ends it (it then runs to the end of its container). */
  closed: boolean
}

/** A parser of blocks only: inline content is never looked at here. */
function blockParser(): Parser {
  const parser = new Parser()
  ;(parser as unknown as { processInlines: () => void }).processInlines = () => {}
  return parser
}

/** Newlines in a string, without splitting it (blocks can be big). */
function countNewlines(s: string): number {
  let n = 0
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++
  return n
}

/** The fenced blocks of text[from..], in document order. */
export function findCodeBlocks(text: string, from: number, index: LineIndex): FencedBlock[] {
  // Lines of the body are lines of the file from here on.
  const firstLine = index.lineAt(from)
  const doc = blockParser().parse(text.slice(index.startOf(firstLine)))
  const blocks: FencedBlock[] = []
  const walker = doc.walker()
  for (let event = walker.next(); event; event = walker.next()) {
    const node: Node = event.node
    // Only fenced blocks have an info string (an indented one has null).
    if (!event.entering || node.type !== 'code_block' || node.info === null) continue
    const [[startLine, startColumn], [endLine]] = node.sourcepos
    const line = firstLine + startLine - 1
    const last = firstLine + endLine - 1
    const source = index.textOf(line)
    const at = startColumn - 1
    const fenceChar = source[at] ?? '`'
    let afterFence = at
    while (source[afterFence] === fenceChar) afterFence++
    const fence = source.slice(at, afterFence)
    const rest = source.slice(afterFence)
    const info = rest.trim()
    const infoColumn = afterFence + (rest.length - rest.trimStart().length)
    const literal = node.literal ?? ''
    // Every content line ends with a newline in the literal: a closed block has
    // one line more than its content, its closing fence.
    const contentLines = countNewlines(literal)
    const closed = last - line === contentLines + 1
    blocks.push({
      line,
      start: index.startOf(line),
      end: index.startOf(last + 1),
      fence,
      info,
      infoColumn,
      content: literal.endsWith('\n') ? literal.slice(0, -1) : literal,
      closed,
    })
  }
  return blocks
}
