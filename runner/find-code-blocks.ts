// Finds the fenced code blocks of a lab's Markdown with marked, wherever they
// stand (in lists and quotes too), with the line each starts on. marked gives
// tokens no lines, so lines come from offsets: top-level tokens' raw texts
// tile the source exactly; a block nested in a list or a quote is found in
// its container's stretch of source from a moving cursor (its raw text has
// the container's markers stripped, so it is found by its opening line).

import { Lexer, walkTokens, type Token, type Tokens } from 'marked'
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
  /** False when no closing fence ends it (marked then runs it to the end of its container). */
  closed: boolean
}

/** Markdown's own defaults, so that another part of nslab calling marked.use() changes nothing here. */
function freshLexer(): Lexer {
  return new Lexer({
    async: false,
    breaks: false,
    extensions: null,
    gfm: true,
    hooks: null,
    pedantic: false,
    renderer: null,
    silent: false,
    tokenizer: null,
    walkTokens: null,
  })
}

const OPENING = /^(`{3,}|~{3,})(.*)$/
/** What may stand before a nested fence on its line: indentation, quote markers, list markers. */
const CONTAINER_PREFIX = /^[ \t>*+\-0-9.)]*$/

/** First line, last line and number of lines of a raw text, trailing newlines aside (no split: blocks can be big). */
function rawLines(raw: string): { first: string; last: string; count: number } {
  let end = raw.length
  while (end > 0 && raw.charCodeAt(end - 1) === 10) end--
  const firstEnd = raw.indexOf('\n')
  if (firstEnd < 0 || firstEnd >= end) return { first: raw.slice(0, end), last: raw.slice(0, end), count: 1 }
  let count = 1
  let lastStart = 0
  for (let i = firstEnd; i >= 0 && i < end; i = raw.indexOf('\n', i + 1)) {
    count++
    lastStart = i + 1
  }
  return { first: raw.slice(0, firstEnd), last: raw.slice(lastStart, end), count }
}

function isClosing(line: string, fence: string): boolean {
  const m = /^ {0,3}(`+|~+) *$/.exec(line)
  return !!m && m[1]![0] === fence[0] && m[1]!.length >= fence.length
}

/** The fenced blocks of text[from..], in document order. */
export function findCodeBlocks(text: string, from: number, index: LineIndex): FencedBlock[] {
  const body = text.slice(from)
  const tokens = freshLexer().blockTokens(body)
  const blocks: FencedBlock[] = []
  let offset = 0
  let exact = true
  let cursor = from

  const place = (tok: Tokens.Code, lineStart: number) => {
    const lines = rawLines(tok.raw)
    const first = lines.first.trimStart()
    const m = OPENING.exec(first)
    const fence = m ? m[1]! : '```'
    const info = m ? m[2]!.trim() : ''
    const line = index.lineAt(lineStart)
    const closed = lines.count >= 2 && isClosing(lines.last, fence)
    const end = index.startOf(line + lines.count)
    const source = index.textOf(line)
    const afterFence = Math.max(0, source.indexOf(fence)) + fence.length
    const infoColumn = afterFence + (source.length - afterFence - source.slice(afterFence).trimStart().length)
    blocks.push({ line, start: lineStart, end, fence, info, infoColumn, content: tok.text, closed })
    cursor = Math.max(cursor, end)
  }

  /** Where a nested block's opening line starts, searching text[cursor..limit). */
  const locate = (tok: Tokens.Code, limit: number): number => {
    const nl = tok.raw.indexOf('\n')
    const needle = (nl < 0 ? tok.raw : tok.raw.slice(0, nl)).trimStart()
    let at = needle === '' ? -1 : text.indexOf(needle, cursor)
    while (at >= 0 && at < limit) {
      const lineStart = index.startOf(index.lineAt(at))
      const after = at + needle.length
      if ((after === text.length || text.charCodeAt(after) === 10) && CONTAINER_PREFIX.test(text.slice(lineStart, at))) {
        return lineStart
      }
      at = text.indexOf(needle, at + 1)
    }
    // marked may have turned tabs into spaces: compare line by line, loosely.
    const want = needle.replace(/\t/g, ' ').replace(/ +/g, ' ')
    const last = index.lineAt(Math.max(cursor, Math.min(limit, text.length) - 1))
    for (let l = index.lineAt(cursor); l <= last; l++) {
      const t = index.textOf(l).replace(/^[ \t>*+\-0-9.)]*/, '').replace(/\t/g, ' ').replace(/ +/g, ' ')
      if (t === want) return index.startOf(l)
    }
    // Not found (never seen): the cursor's line is the best guess.
    return index.startOf(index.lineAt(cursor))
  }

  for (const tok of tokens) {
    const start = offset
    offset += tok.raw.length
    // Raw texts tile the source; a code token checks that they still do where it matters.
    if (exact && tok.type === 'code' && !body.startsWith(tok.raw, start)) exact = false
    if (tok.type === 'code') {
      const code = tok as Tokens.Code
      if (code.codeBlockStyle === 'indented') continue
      place(code, exact ? index.startOf(index.lineAt(from + start)) : locate(code, text.length))
    } else if (tok.type === 'list' || tok.type === 'blockquote') {
      const nested: Tokens.Code[] = []
      walkTokens([tok], (t: Token) => {
        if (t.type === 'code' && (t as Tokens.Code).codeBlockStyle !== 'indented') nested.push(t as Tokens.Code)
      })
      if (nested.length === 0) continue
      if (exact) cursor = Math.max(cursor, from + start)
      const limit = exact ? Math.min(text.length, from + offset) : text.length
      for (const code of nested) place(code, locate(code, limit))
    }
  }
  return blocks
}
