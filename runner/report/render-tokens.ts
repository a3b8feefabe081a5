// Markdown tokens (marked's lexer's output) laid out for a terminal:
// headings bold and underlined, paragraphs wrapped, code indented, inline
// code highlighted, lists with bullets, links as "text (url)". Without color
// (NO_COLOR, not a terminal) the same layout stays readable as plain text:
// inline code keeps its backticks, headings are underlined with = and -.
// Only types come from marked here: tokens lexed once (nslab up) are laid
// out by nslab check without loading the lexer.
import type { Token, Tokens } from 'marked'
import { breakUnits, columns, joinsWithoutSpace } from '../util/text-columns.js'

export interface RenderMarkdownOptions {
  /** ANSI styles (see colorEnabled in colors.ts). */
  color: boolean
  /** Wrap paragraphs to this many columns (default 80). */
  width?: number
}

type Style = 'bold' | 'underline' | 'italic' | 'dim' | 'code' | 'strike' | 'link'

const SGR: Record<Style, [number, number]> = {
  bold: [1, 22],
  underline: [4, 24],
  italic: [3, 23],
  dim: [2, 22],
  code: [36, 39],
  strike: [9, 29],
  link: [34, 39],
}

/** A run of text in one set of styles; '\n' alone is a hard line break. */
interface Segment {
  text: string
  styles: Style[]
}

interface Ctx {
  color: boolean
  width: number
}

/** Lay out block tokens as lines of terminal text (no trailing newline). */
export function renderTokens(tokens: Token[], opts: RenderMarkdownOptions): string {
  const ctx: Ctx = { color: opts.color, width: Math.max(opts.width ?? 80, 20) }
  return blocks(tokens, ctx, ctx.width).join('\n')
}

/** out.push(...more) without spreading: a spread of a hundred thousand lines overflows the stack. */
function append<T>(out: T[], more: T[]): void {
  for (const x of more) out.push(x)
}

function paint(text: string, styles: Style[], color: boolean): string {
  if (!color || styles.length === 0 || text === '') return text
  const uniq = [...new Set(styles)]
  return uniq.map((s) => `\x1b[${SGR[s][0]}m`).join('') + text + uniq.map((s) => `\x1b[${SGR[s][1]}m`).reverse().join('')
}

// ── blocks ────────────────────────────────────────────────────────────────

/** Render block tokens into lines that fit `width`, with blank lines between blocks. */
function blocks(tokens: Token[], ctx: Ctx, width: number, tight = false): string[] {
  const out: string[] = []
  for (const t of tokens) {
    const lines = block(t, ctx, width)
    if (lines.length === 0) continue
    if (out.length > 0 && !tight) out.push('')
    append(out, lines)
  }
  return out
}

function block(t: Token, ctx: Ctx, width: number): string[] {
  const tok = t as Token
  switch (tok.type) {
    case 'space':
    case 'def':
      return []
    case 'heading': {
      const h = tok as Tokens.Heading
      const extra: Style[] = h.depth === 1 ? ['bold', 'underline'] : ['bold']
      const lines = wrap(inline(h.tokens, extra, ctx, false), width, '', '', ctx)
      if (!ctx.color && h.depth <= 2) {
        const longest = lines.reduce((n, l) => Math.max(n, columns(l)), 0)
        lines.push((h.depth === 1 ? '=' : '-').repeat(longest))
      }
      return lines
    }
    case 'paragraph': {
      const p = tok as Tokens.Paragraph
      return wrap(inline(p.tokens, [], ctx, true), width, '', '', ctx)
    }
    case 'text': {
      // Text at block level: the content of a tight list item.
      const x = tok as Tokens.Text
      return wrap(x.tokens ? inline(x.tokens, [], ctx, true) : [{ text: decode(x.text), styles: [] }], width, '', '', ctx)
    }
    case 'code': {
      const c = tok as Tokens.Code
      return c.text.replace(/\n+$/, '').split('\n').map((l) => `    ${paint(l, ['code'], ctx.color)}`.trimEnd())
    }
    case 'blockquote': {
      const q = tok as Tokens.Blockquote
      const bar = ctx.color ? paint('│', ['dim'], true) + ' ' : '> '
      return blocks(q.tokens, ctx, width - 2).map((l) => (l === '' ? bar.trimEnd() : bar + l))
    }
    case 'list':
      return list(tok as Tokens.List, ctx, width)
    case 'table':
      return table(tok as Tokens.Table, ctx)
    case 'hr':
      return [paint((ctx.color ? '─' : '-').repeat(Math.min(width, 40)), ['dim'], ctx.color)]
    case 'html': {
      const h = tok as Tokens.HTML
      const text = stripHtml(h.text).trim()
      return text ? wrap([{ text, styles: [] }], width, '', '', ctx) : []
    }
    default: {
      const g = tok as Tokens.Generic
      if (g.tokens) return blocks(g.tokens, ctx, width)
      const text = typeof g.text === 'string' ? g.text : g.raw
      return text.trim() ? wrap([{ text: decode(text), styles: [] }], width, '', '', ctx) : []
    }
  }
}

function list(l: Tokens.List, ctx: Ctx, width: number): string[] {
  const out: string[] = []
  const start = typeof l.start === 'number' ? l.start : 1
  const last = start + l.items.length - 1
  const numWidth = String(last).length
  l.items.forEach((item, i) => {
    let marker = l.ordered ? `${String(start + i).padStart(numWidth)}. ` : ctx.color ? '• ' : '- '
    if (item.task) marker += item.checked ? '[x] ' : '[ ] '
    const pad = ' '.repeat([...marker].length)
    const tokens = item.tokens.filter((t) => t.type !== 'checkbox')
    const body = blocks(tokens, ctx, width - pad.length, !item.loose)
    if (l.loose && i > 0) out.push('')
    body.forEach((line, j) => {
      if (j === 0) out.push(`${ctx.color && !l.ordered ? paint(marker, ['dim'], true) : marker}${line}`)
      else out.push(line === '' ? '' : pad + line)
    })
    if (body.length === 0) out.push(marker.trimEnd())
  })
  return out
}

function table(t: Tokens.Table, ctx: Ctx): string[] {
  const cellText = (c: Tokens.TableCell) => inline(c.tokens, c.header ? ['bold'] : [], ctx, false)
  const rows = [t.header, ...t.rows].map((r) => r.map((c) => cellText(c)))
  const widths: number[] = []
  for (const r of rows) r.forEach((segs, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(segs))))
  const line = (segs: Segment[][]) =>
    segs
      .map((s, i) => {
        const w = widths[i] ?? 0
        const text = s.map((x) => paint(x.text, x.styles, ctx.color)).join('')
        const gap = ' '.repeat(Math.max(w - visible(s), 0))
        return t.align[i] === 'right' ? gap + text : text + gap
      })
      .join('  ')
      .trimEnd()
  const [head, ...body] = rows
  const rule = paint(widths.map((w) => (ctx.color ? '─' : '-').repeat(w)).join('  '), ['dim'], ctx.color)
  return [line(head ?? []), rule, ...body.map(line)]
}

// ── inline ────────────────────────────────────────────────────────────────

function inline(tokens: Token[], styles: Style[], ctx: Ctx, allowBreaks: boolean): Segment[] {
  const out: Segment[] = []
  for (const t of tokens) {
    const tok = t as Token
    switch (tok.type) {
      case 'text': {
        const x = tok as Tokens.Text
        if (x.tokens) append(out, inline(x.tokens, styles, ctx, allowBreaks))
        else out.push({ text: decode(x.text), styles })
        break
      }
      case 'escape':
        out.push({ text: decode((tok as Tokens.Escape).text), styles })
        break
      case 'strong':
        append(out, inline((tok as Tokens.Strong).tokens, [...styles, 'bold'], ctx, allowBreaks))
        break
      case 'em':
        append(out, inline((tok as Tokens.Em).tokens, [...styles, 'italic'], ctx, allowBreaks))
        break
      case 'del':
        append(out, inline((tok as Tokens.Del).tokens, [...styles, 'strike'], ctx, allowBreaks))
        break
      case 'codespan': {
        const text = decode((tok as Tokens.Codespan).text)
        // Without color the backticks are what says "this is code".
        out.push(ctx.color ? { text, styles: [...styles, 'code'] } : { text: `\`${text}\``, styles })
        break
      }
      case 'br':
        out.push(allowBreaks ? { text: '\n', styles: [] } : { text: ' ', styles: [] })
        break
      case 'link': {
        const l = tok as Tokens.Link
        const text = inline(l.tokens, ctx.color ? [...styles, 'link'] : styles, ctx, allowBreaks)
        append(out, text)
        const shown = text.map((s) => s.text).join('')
        const href = l.href.replace(/^mailto:/, '')
        if (href && href !== shown && !href.startsWith('#')) out.push({ text: ` (${href})`, styles: ctx.color ? [...styles, 'dim'] : styles })
        break
      }
      case 'image': {
        const im = tok as Tokens.Image
        out.push({ text: `[image: ${decode(im.text) || 'untitled'}]`, styles }, { text: ` (${im.href})`, styles: ctx.color ? [...styles, 'dim'] : styles })
        break
      }
      case 'html': {
        const raw = (tok as Tokens.Tag).text
        if (/^<br\s*\/?>$/i.test(raw)) out.push(allowBreaks ? { text: '\n', styles: [] } : { text: ' ', styles: [] })
        else {
          const text = stripHtml(raw)
          if (text) out.push({ text, styles })
        }
        break
      }
      default: {
        const g = tok as Tokens.Generic
        if (g.tokens) append(out, inline(g.tokens, styles, ctx, allowBreaks))
        else out.push({ text: decode(typeof g.text === 'string' ? g.text : g.raw), styles })
      }
    }
  }
  return out
}

// ── wrapping ──────────────────────────────────────────────────────────────

function visible(segs: Segment[]): number {
  return segs.reduce((n, s) => n + columns(s.text), 0)
}

/**
 * Fill lines of at most `width` columns with the words of the segments. Each
 * piece of a word is painted on its own, so a style never spills into the
 * indentation of the next line. Chinese text has no spaces between words: a
 * line may break between two of its characters (breakUnits), with no space
 * put in where it does not.
 */
function wrap(segs: Segment[], width: number, first: string, rest: string, ctx: Ctx): string[] {
  type Piece = { text: string; styles: Style[] }
  /** tight: joined to the word before without a space. */
  type Word = { pieces: Piece[]; tight: boolean }
  const lines: string[] = []
  const words: (Word | 'break')[] = []
  let current: Word = { pieces: [], tight: false }
  let tightNext = false
  const endWord = () => {
    if (current.pieces.length) words.push(current)
    current = { pieces: [], tight: tightNext }
    tightNext = false
  }
  const lastChar = () => {
    const p = current.pieces[current.pieces.length - 1]
    // The last code point (at most two UTF-16 units), not a spread of the whole piece.
    return p ? [...p.text.slice(-2)].pop() : undefined
  }
  for (const s of segs) {
    if (s.text === '\n') {
      endWord()
      words.push('break')
      continue
    }
    // Soft line breaks in the source are spaces, except between two Chinese characters.
    const text = s.text.replace(/(.?)\n(.?)/gu, (_, a: string, b: string) => a + (joinsWithoutSpace(a || undefined, b || undefined) ? '' : ' ') + b)
    const parts = text.split(/( +)/)
    for (const p of parts) {
      if (p === '') continue
      if (/^ +$/.test(p)) {
        endWord()
        current.tight = false
        continue
      }
      breakUnits(p).forEach((unit, i) => {
        const before = lastChar()
        if (i > 0 || (before !== undefined && breakUnits(before + [...unit][0]!).length === 2)) {
          tightNext = true
          endWord()
        }
        current.pieces.push({ text: unit, styles: s.styles })
      })
    }
  }
  endWord()

  let line = ''
  let used = 0
  let indent = first
  let lastStyles: Style[] = []
  const flush = () => {
    lines.push((indent + line).trimEnd())
    indent = rest
    line = ''
    used = 0
  }
  for (const w of words) {
    if (w === 'break') {
      flush()
      continue
    }
    const len = w.pieces.reduce((n, p) => n + columns(p.text), 0)
    const room = width - columns(indent)
    const gap = w.tight ? 0 : 1
    if (used > 0 && used + gap + len > room) flush()
    if (used > 0 && gap) {
      // The space between two words of one underlined heading or link is part of it.
      const next = w.pieces[0]?.styles ?? []
      line += paint(' ', lastStyles.filter((s) => (s === 'underline' || s === 'strike') && next.includes(s)), ctx.color)
      used += 1
    }
    line += w.pieces.map((p) => paint(p.text, p.styles, ctx.color)).join('')
    lastStyles = w.pieces[w.pieces.length - 1]?.styles ?? []
    used += len
  }
  if (line !== '' || lines.length === 0) flush()
  return lines
}

// ── text ──────────────────────────────────────────────────────────────────

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', mdash: '—', ndash: '–', hellip: '…', copy: '©', rarr: '→', larr: '←' }

/** marked leaves character references as written; a terminal shows the characters. */
function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m
    }
    return ENTITIES[name.toLowerCase()] ?? m
  })
}

/** HTML in prose: comments go, tags go, their text stays. */
function stripHtml(html: string): string {
  return decode(stripTags(html.replace(/<!--[\s\S]*?(-->|$)/g, '')))
}

/**
 * What /<[^>]*>/g would leave, in one pass: that regex is quadratic in a run
 * of < without a > after it (each < is tried and scans to the end).
 */
function stripTags(text: string): string {
  const out: string[] = []
  let from = 0
  for (;;) {
    const open = text.indexOf('<', from)
    if (open < 0) break
    const close = text.indexOf('>', open + 1)
    // No > after this <: none after any later < either.
    if (close < 0) break
    out.push(text.slice(from, open))
    from = close + 1
  }
  out.push(text.slice(from))
  return out.join('')
}
