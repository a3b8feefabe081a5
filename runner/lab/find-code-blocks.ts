// Finds the fenced code blocks of a lab's Markdown, wherever they stand (in
// lists and quotes too), with the line each starts on.
//
// Written here instead of calling a Markdown library, because of time: the
// block structure of CommonMark is a line-by-line algorithm, linear in the
// text, and this is that algorithm as commonmark.js (the reference
// implementation) runs it, cut down to what decides where a fenced block is:
// the stack of open quotes and list items, and the one open leaf (a
// paragraph, for lazy lines; a fence; an indented code block; an HTML block).
// No tree is built and inline Markdown is never looked at. marked, used
// before, lexes with regexes over the rest of the file: two million blank
// lines ran V8's regex stack out, and long lists took seconds per MB;
// commonmark.js itself builds a node per block and took 5 s per MB of list
// items. test/find-code-blocks.test.ts compares this with commonmark.js.
//
// Known difference from commonmark.js: a paragraph made only of link
// reference definitions followed by a setext underline (=== or ---) is taken
// for a heading; it only changes whether a later line can be a lazy
// continuation, never where a fence is in ordinary text.

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

const CODE_INDENT = 4
const TAB = 9
const SPACE = 32

interface Container {
  quote: boolean
  /** List items: the columns a line needs to continue the item, and whether the item holds a block yet. */
  contentIndent: number
  hasChild: boolean
}

type Leaf =
  | { kind: 'paragraph' }
  | { kind: 'indented' }
  | { kind: 'html'; type: number }
  | { kind: 'fence'; char: number; length: number; offset: number; line: number; start: number; fence: string; info: string; infoColumn: number; lines: string[] }

// The HTML block starts of CommonMark 4.6, types 1 to 6, read at the line's first non-blank.
const HTML_OPEN: RegExp[] = [
  /<(?:script|pre|textarea|style)(?:\s|>|$)/iy,
  /<!--/y,
  /<[?]/y,
  /<![A-Za-z]/y,
  /<!\[CDATA\[/y,
  /<[/]?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[123456]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|section|search|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:\s|[/]?[>]|$)/iy,
]
const HTML_CLOSE: RegExp[] = [/<\/(?:script|pre|textarea|style)>/i, /-->/, /\?>/, />/, /\]\]>/]

const isSpaceOrTab = (c: number) => c === SPACE || c === TAB
/** JavaScript's \s, as the regexes of commonmark.js read it. */
const isWhite = (c: number) =>
  c === SPACE || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const isDigit = (c: number) => c >= 48 && c <= 57

/** Whether `ln` from `i` is an HTML open or closing tag and nothing but blanks after it (type 7). A scan: the regex repeats a group per attribute. */
function isLoneTag(ln: string, i: number): boolean {
  const n = ln.length
  const c = (k: number) => (k < n ? ln.charCodeAt(k) : -1)
  const white = (k: number) => {
    while (k < n && isWhite(ln.charCodeAt(k))) k++
    return k
  }
  const tagName = (k: number) => {
    if (!isAsciiLetter(c(k))) return -1
    k++
    while (isAsciiLetter(c(k)) || isDigit(c(k)) || c(k) === 45) k++
    return k
  }
  if (c(i) !== 60) return false
  let k: number
  if (c(i + 1) === 47) {
    k = tagName(i + 2)
    if (k < 0) return false
    k = white(k)
    if (c(k) !== 62) return false
    return white(k + 1) === n
  }
  k = tagName(i + 1)
  if (k < 0) return false
  for (;;) {
    const w = white(k)
    const a = c(w)
    // An attribute: blanks, a name, and maybe = and a value.
    if (w > k && (isAsciiLetter(a) || a === 95 || a === 58)) {
      let e = w + 1
      while (isAsciiLetter(c(e)) || isDigit(c(e)) || c(e) === 58 || c(e) === 46 || c(e) === 95 || c(e) === 45) e++
      const eq = white(e)
      if (c(eq) === 61) {
        const v = white(eq + 1)
        const q = c(v)
        if (q === 34 || q === 39) {
          const close = ln.indexOf(q === 34 ? '"' : "'", v + 1)
          if (close < 0) return false
          k = close + 1
        } else {
          let u = v
          while (u < n) {
            const d = ln.charCodeAt(u)
            if (d <= 32 || d === 34 || d === 39 || d === 61 || d === 60 || d === 62 || d === 96) break
            u++
          }
          if (u === v) return false
          k = u
        }
      } else k = e
      continue
    }
    k = w
    break
  }
  if (c(k) === 47) k++
  if (c(k) !== 62) return false
  return white(k + 1) === n
}

/** The fenced blocks of text[from..], in document order. */
export function findCodeBlocks(text: string, from: number, index: LineIndex): FencedBlock[] {
  const blocks: FencedBlock[] = []
  const stack: Container[] = []
  let leaf: Leaf | undefined

  // Where the line is read from: commonmark.js's offset, column and tab state.
  let ln = ''
  let offset = 0
  let column = 0
  let partiallyConsumedTab = false
  let nextNonspace = 0
  let nextNonspaceColumn = 0
  let indent = 0
  let indented = false
  let blank = false

  const findNextNonspace = () => {
    let i = offset
    let cols = column
    for (;;) {
      const c = i < ln.length ? ln.charCodeAt(i) : -1
      if (c === SPACE) {
        i++
        cols++
      } else if (c === TAB) {
        i++
        cols += 4 - (cols % 4)
      } else break
    }
    blank = i >= ln.length
    nextNonspace = i
    nextNonspaceColumn = cols
    indent = cols - column
    indented = indent >= CODE_INDENT
  }
  const advanceNextNonspace = () => {
    offset = nextNonspace
    column = nextNonspaceColumn
    partiallyConsumedTab = false
  }
  const advanceOffset = (count: number, columns: boolean) => {
    while (count > 0 && offset < ln.length) {
      if (ln.charCodeAt(offset) === TAB) {
        const charsToTab = 4 - (column % 4)
        if (columns) {
          partiallyConsumedTab = charsToTab > count
          const charsToAdvance = charsToTab > count ? count : charsToTab
          column += charsToAdvance
          offset += partiallyConsumedTab ? 0 : 1
          count -= charsToAdvance
        } else {
          partiallyConsumedTab = false
          column += charsToTab
          offset += 1
          count -= 1
        }
      } else {
        partiallyConsumedTab = false
        offset += 1
        column += 1
        count -= 1
      }
    }
  }
  const peek = (i: number) => (i < ln.length ? ln.charCodeAt(i) : -1)

  const finishFence = (f: Extract<Leaf, { kind: 'fence' }>, lastLine: number, closed: boolean) => {
    blocks.push({
      line: f.line,
      start: f.start,
      end: index.startOf(lastLine + 1),
      fence: f.fence,
      info: f.info,
      infoColumn: f.infoColumn,
      content: f.lines.join('\n'),
      closed,
    })
  }
  const closeLeaf = (lastLine: number) => {
    if (leaf?.kind === 'fence') finishFence(leaf, lastLine, false)
    leaf = undefined
  }

  // What the line being read continues, for closeUnmatched: set once a line's open blocks are matched.
  let allClosed = true
  let keepLeaf = false
  let matchedContainers = 0
  let currentLine = 0
  /** Close what this line does not continue: commonmark.js's closeUnmatchedBlocks. */
  const closeUnmatched = () => {
    if (allClosed) return
    if (leaf && !keepLeaf) closeLeaf(currentLine - 1)
    stack.length = matchedContainers
    allClosed = true
  }
  /** A new block in the innermost open container: an open paragraph there ends. */
  const addChild = () => {
    if (leaf) closeLeaf(currentLine - 1)
    const parent = stack[stack.length - 1]
    if (parent && !parent.quote) parent.hasChild = true
  }

  const first = index.lineAt(from)
  // A final newline ends the last line; it does not start another.
  const lastLine = text.endsWith('\n') ? index.lineCount - 1 : index.lineCount
  for (let lineNo = first; lineNo <= lastLine; lineNo++) {
    ln = index.textOf(lineNo)
    offset = 0
    column = 0
    partiallyConsumedTab = false

    // 1. Which open blocks this line continues.
    let matched = 0
    let failed = false
    for (; matched < stack.length; matched++) {
      const c = stack[matched]!
      findNextNonspace()
      if (c.quote) {
        if (indented || peek(nextNonspace) !== 62) {
          failed = true
          break
        }
        advanceNextNonspace()
        advanceOffset(1, false)
        if (isSpaceOrTab(peek(offset))) advanceOffset(1, true)
      } else if (blank) {
        if (!c.hasChild) {
          failed = true
          break
        }
        advanceNextNonspace()
      } else if (indent >= c.contentIndent) {
        advanceOffset(c.contentIndent, true)
      } else {
        failed = true
        break
      }
    }
    let leafMatched = false
    if (!failed && leaf) {
      findNextNonspace()
      if (leaf.kind === 'fence') {
        if (indent <= 3 && peek(nextNonspace) === leaf.char) {
          let e = nextNonspace
          while (peek(e) === leaf.char) e++
          let r = e
          while (isSpaceOrTab(peek(r))) r++
          if (e - nextNonspace >= 3 && e - nextNonspace >= leaf.length && r === ln.length) {
            finishFence(leaf, lineNo, true)
            leaf = undefined
            continue
          }
        }
        for (let i = leaf.offset; i > 0 && isSpaceOrTab(peek(offset)); i--) advanceOffset(1, true)
        leafMatched = true
      } else if (leaf.kind === 'indented') {
        if (indent >= CODE_INDENT) {
          advanceOffset(CODE_INDENT, true)
          leafMatched = true
        } else if (blank) {
          advanceNextNonspace()
          leafMatched = true
        }
      } else if (leaf.kind === 'html') {
        leafMatched = !(blank && (leaf.type === 6 || leaf.type === 7))
      } else {
        leafMatched = !blank
      }
    }
    // Everything open goes on: no block closes before this line is placed.
    allClosed = !failed && (!leaf || leafMatched)
    keepLeaf = !failed && leafMatched
    const tipWasParagraph = leaf?.kind === 'paragraph'
    // The last block this line continues is a paragraph (not a lazy one).
    let containerIsParagraph = !failed && leafMatched && leaf?.kind === 'paragraph'
    matchedContainers = matched
    currentLine = lineNo

    // 2. New blocks this line starts, containers first, until a leaf.
    let matchedLeaf = leafMatched && leaf !== undefined && leaf.kind !== 'paragraph'
    let lineDone = false
    while (!matchedLeaf) {
      findNextNonspace()
      const c = peek(nextNonspace)
      // #`~*+_=<>0-9- : no block starts with anything else.
      if (!indented && !(c === 35 || c === 96 || c === 126 || c === 42 || c === 43 || c === 95 || c === 61 || c === 60 || c === 62 || isDigit(c) || c === 45)) {
        advanceNextNonspace()
        break
      }
      // A quote.
      if (!indented && c === 62) {
        advanceNextNonspace()
        advanceOffset(1, false)
        if (isSpaceOrTab(peek(offset))) advanceOffset(1, true)
        closeUnmatched()
        addChild()
        stack.push({ quote: true, contentIndent: 0, hasChild: false })
        containerIsParagraph = false
        continue
      }
      // An ATX heading: # to ######, then a blank or the line's end.
      if (!indented && c === 35) {
        let e = nextNonspace
        while (peek(e) === 35) e++
        if (e - nextNonspace <= 6 && (e === ln.length || isSpaceOrTab(peek(e)))) {
          closeUnmatched()
          addChild()
          lineDone = true
          break
        }
      }
      // A fence: three or more backticks (and no backtick after them on the line) or tildes.
      if (!indented && (c === 96 || c === 126)) {
        let e = nextNonspace
        while (peek(e) === c) e++
        const length = e - nextNonspace
        if (length >= 3 && (c === 126 || ln.indexOf('`', e) < 0)) {
          closeUnmatched()
          addChild()
          const rest = ln.slice(e)
          const info = rest.trim()
          leaf = {
            kind: 'fence',
            char: c,
            length,
            offset: indent,
            line: lineNo,
            start: index.startOf(lineNo),
            fence: ln.slice(nextNonspace, e),
            info,
            infoColumn: e + (rest.length - rest.trimStart().length),
            lines: [],
          }
          lineDone = true
          break
        }
      }
      // An HTML block.
      if (!indented && c === 60) {
        let type = 0
        for (let t = 0; t < HTML_OPEN.length; t++) {
          const re = HTML_OPEN[t]!
          re.lastIndex = nextNonspace
          if (re.test(ln)) {
            type = t + 1
            break
          }
        }
        // Type 7 (any other tag alone on its line) cannot interrupt a paragraph, lazy or not.
        if (type === 0 && !containerIsParagraph && !(!allClosed && !blank && tipWasParagraph) && isLoneTag(ln, nextNonspace)) type = 7
        if (type > 0) {
          closeUnmatched()
          addChild()
          leaf = { kind: 'html', type }
          matchedLeaf = true
          break
        }
      }
      // A setext underline turns the paragraph it continues into a heading.
      if (!indented && containerIsParagraph && (c === 61 || c === 45)) {
        let e = nextNonspace
        while (peek(e) === c) e++
        while (isSpaceOrTab(peek(e))) e++
        if (e === ln.length) {
          closeUnmatched()
          leaf = undefined
          lineDone = true
          break
        }
      }
      // A thematic break: three or more of one of * _ -, blanks between.
      if (!indented && (c === 42 || c === 95 || c === 45)) {
        let count = 0
        let e = nextNonspace
        for (; e < ln.length; e++) {
          const d = ln.charCodeAt(e)
          if (d === c) count++
          else if (!isSpaceOrTab(d)) break
        }
        if (count >= 3 && e === ln.length) {
          closeUnmatched()
          addChild()
          lineDone = true
          break
        }
      }
      // A list item.
      if (!indented && (c === 42 || c === 43 || c === 45 || isDigit(c))) {
        let markerEnd = -1
        if (c === 42 || c === 43 || c === 45) markerEnd = nextNonspace + 1
        else {
          let e = nextNonspace
          while (isDigit(peek(e)) && e - nextNonspace < 10) e++
          const digits = e - nextNonspace
          const d = peek(e)
          // Only a list starting at 1 may interrupt a paragraph.
          if (digits <= 9 && (d === 46 || d === 41) && (!containerIsParagraph || Number(ln.slice(nextNonspace, e)) === 1)) markerEnd = e + 1
        }
        const after = peek(markerEnd)
        let ok = markerEnd > 0 && (after === -1 || after === TAB || after === SPACE)
        // An empty item cannot interrupt a paragraph.
        if (ok && containerIsParagraph && !/[^ \t\f\v\r\n]/.test(ln.slice(markerEnd))) ok = false
        if (ok) {
          const markerOffset = indent
          const markerLength = markerEnd - nextNonspace
          advanceNextNonspace()
          advanceOffset(markerLength, true)
          const spacesStartCol = column
          const spacesStartOffset = offset
          do {
            advanceOffset(1, true)
          } while (column - spacesStartCol < 5 && isSpaceOrTab(peek(offset)))
          const blankItem = peek(offset) === -1
          const spacesAfterMarker = column - spacesStartCol
          let padding: number
          if (spacesAfterMarker >= 5 || spacesAfterMarker < 1 || blankItem) {
            padding = markerLength + 1
            column = spacesStartCol
            offset = spacesStartOffset
            if (isSpaceOrTab(peek(offset))) advanceOffset(1, true)
          } else padding = markerLength + spacesAfterMarker
          closeUnmatched()
          addChild()
          stack.push({ quote: false, contentIndent: markerOffset + padding, hasChild: false })
          containerIsParagraph = false
          continue
        }
      }
      // Indented code, which cannot interrupt a paragraph.
      if (indented && !(leaf?.kind === 'paragraph') && !blank) {
        advanceOffset(CODE_INDENT, true)
        closeUnmatched()
        addChild()
        leaf = { kind: 'indented' }
        matchedLeaf = true
        break
      }
      advanceNextNonspace()
      break
    }
    if (lineDone) {
      // A heading, a thematic break or a fence's opening line: nothing more of it belongs to a block.
      continue
    }

    // 3. The rest of the line: a lazy paragraph line, a line of the open leaf, or a new paragraph.
    if (!allClosed && !blank && leaf?.kind === 'paragraph') continue
    closeUnmatched()
    if (leaf) {
      if (leaf.kind === 'fence') {
        let prefix = ''
        if (partiallyConsumedTab) {
          offset += 1
          prefix = ' '.repeat(4 - (column % 4))
        }
        leaf.lines.push(prefix + ln.slice(offset))
      } else if (leaf.kind === 'html' && leaf.type <= 5 && HTML_CLOSE[leaf.type - 1]!.test(ln.slice(offset))) {
        leaf = undefined
      }
    } else if (offset < ln.length && !blank) {
      addChild()
      leaf = { kind: 'paragraph' }
    }
  }
  closeLeaf(lastLine)
  return blocks
}
