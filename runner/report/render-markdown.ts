// Markdown for a terminal: a lab's prose as a learner reads it in nslab up
// and nslab check, not raw Markdown. marked's lexer parses; render-tokens.ts
// lays the tokens out.
//
// marked's time is not linear in its input: its block regexes run V8's
// regex stack out on a line of a few MB, and its emphasis rule scans the
// rest of a paragraph for every * or _ (a 64 KB paragraph of "*a_" took three
// minutes). So the Markdown it is given is bounded: a piece of prose larger
// than MAX_MARKDOWN, or nesting lists and quotes deeper than a lab may, is
// shown as plain text, wrapped (its first 64 KB), and a paragraph with more
// emphasis markers than MAX_DELIMITERS keeps them as text. The prose of a
// real lab is a few KB between two blocks; these limits are far above it.
import { Lexer, Tokenizer, type Token, type Tokens } from 'marked'
import { nestsTooDeep } from '../lab/nesting-depth.js'
import { renderTokens, type RenderMarkdownOptions } from './render-tokens.js'

export type { RenderMarkdownOptions }

/** Prose above this is plain text: 16 KB of the worst Markdown found lexes in a few hundred ms. */
export const MAX_MARKDOWN = 16 * 1024
/** *, _ and ~ of one paragraph above this are text, not emphasis. */
const MAX_DELIMITERS = 100

/** marked's emphasis and strikethrough rules, only where a paragraph has few markers. */
class BoundedTokenizer extends Tokenizer {
  #source = ''
  #many = false

  /** Whether this paragraph (the masked source of one inline run) has too many markers for the rules. */
  #tooMany(maskedSrc: string): boolean {
    if (maskedSrc !== this.#source) {
      this.#source = maskedSrc
      let n = 0
      for (let i = 0; i < maskedSrc.length && n <= MAX_DELIMITERS; i++) {
        const c = maskedSrc.charCodeAt(i)
        if (c === 42 || c === 95 || c === 126) n++
      }
      this.#many = n > MAX_DELIMITERS
    }
    return this.#many
  }

  override emStrong(src: string, maskedSrc: string, prevChar?: string): Tokens.Em | Tokens.Strong | undefined {
    return this.#tooMany(maskedSrc) ? undefined : super.emStrong(src, maskedSrc, prevChar)
  }

  override del(src: string, maskedSrc: string, prevChar?: string): Tokens.Del | undefined {
    return this.#tooMany(maskedSrc) ? undefined : super.del(src, maskedSrc, prevChar)
  }
}

/** Markdown's own defaults, so that another part of nslab calling marked.use() changes nothing here. */
function boundedLexer(): Lexer {
  return new Lexer({
    async: false,
    breaks: false,
    extensions: null,
    gfm: true,
    hooks: null,
    pedantic: false,
    renderer: null,
    silent: false,
    tokenizer: new BoundedTokenizer(),
    walkTokens: null,
  })
}

/** Plain text shown at most: a screenful many times over (laying out a word costs some µs). */
const MAX_PLAIN = 64 * 1024

/** Text shown as it is written: one paragraph per run of lines between blank lines, the first 64 KB of it. */
export function plainTokens(text: string): Token[] {
  const tokens: Token[] = []
  let shown = text
  let more = ''
  if (text.length > MAX_PLAIN) {
    const cut = Math.max(text.lastIndexOf('\n', MAX_PLAIN), text.lastIndexOf(' ', MAX_PLAIN), MAX_PLAIN / 2)
    shown = text.slice(0, cut)
    more = `[… ${Math.ceil((text.length - cut) / 1024)} KB more of this text not shown]`
  }
  for (const para of [...shown.split(/\n[ \t]*\n/), more]) {
    const t = para.trim()
    if (t === '') continue
    const inline: Tokens.Text = { type: 'text', raw: t, text: t, escaped: false }
    tokens.push({ type: 'paragraph', raw: t, text: t, tokens: [inline] } as Tokens.Paragraph)
  }
  return tokens
}

/** marked's tokens of a Markdown text: plain data, kept in a session so that nslab check need not lex. */
export function lexMarkdown(markdown: string): Token[] {
  const text = markdown.replace(/\r\n?/g, '\n')
  if (text.length > MAX_MARKDOWN || nestsTooDeep(text)) return plainTokens(text)
  try {
    // A plain array: the token list's `links` are already resolved into its links.
    return [...boundedLexer().lex(text)]
  } catch (e) {
    // marked's regexes out of stack on a shape not foreseen: the text is still worth showing.
    if (e instanceof RangeError) return plainTokens(text)
    throw e
  }
}

/** Render Markdown to lines of terminal text (no trailing newline). */
export function renderMarkdown(markdown: string, opts: RenderMarkdownOptions): string {
  return renderTokens(lexMarkdown(markdown), opts)
}
