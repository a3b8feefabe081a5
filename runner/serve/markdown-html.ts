// A lab's prose as HTML, the way GitHub shows Markdown, for a page that hands
// out shells: a lab is untrusted input, so nothing of it may become markup of
// its own. marked parses (the tokens come bounded from lab-prose.ts); this
// renderer escapes every raw HTML tag as text, drops HTML comments (as GitHub
// hides them), keeps links only to http(s), mailto and the page's own labs,
// and shows images as links (the page loads nothing from elsewhere).
import { Parser, Renderer, type Token, type Tokens } from 'marked'
import { escapeHtml } from './html-escape.js'

export interface MarkdownHtmlOptions {
  /** The page's address for a relative link (another lab), or undefined to show it as text. */
  localLink?: (href: string) => string | undefined
}

class SafeRenderer extends Renderer {
  constructor(private readonly opts: MarkdownHtmlOptions) {
    super()
  }

  override html(token: Tokens.HTML | Tokens.Tag): string {
    // A comment is the author's note to themselves; anything else is shown as the text it is.
    if (/^\s*<!--[\s\S]*?-->\s*$/.test(token.text)) return ''
    return 'block' in token && token.block ? `<p class="raw-html">${escapeHtml(token.text.trim())}</p>\n` : escapeHtml(token.text)
  }

  override link(token: Tokens.Link): string {
    const text = token.tokens ? this.parser.parseInline(token.tokens) : escapeHtml(token.text)
    const href = safeHref(token.href, this.opts)
    if (!href) return `<span class="link-text">${text}</span>`
    const external = /^(https?:|mailto:)/i.test(href)
    const title = token.title ? ` title="${escapeHtml(token.title)}"` : ''
    return `<a href="${escapeHtml(href)}"${title}${external ? ' rel="noopener noreferrer" target="_blank"' : ''}>${text}</a>`
  }

  override image(token: Tokens.Image): string {
    const alt = escapeHtml(token.text || 'image')
    const href = safeHref(token.href, this.opts)
    return href && /^https?:/i.test(href) ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer" target="_blank">[image: ${alt}]</a>` : `<span class="link-text">[image: ${alt}]</span>`
  }
}

/** A link's target when it is one the page may follow; undefined otherwise (javascript:, data:, …). */
function safeHref(href: string, opts: MarkdownHtmlOptions): string | undefined {
  const h = href.trim()
  // Controls and spaces inside a scheme are how filters are fooled ("java\tscript:").
  if (/[\u0000-\u001f\u007f]/.test(h)) return undefined
  if (/^(https?:\/\/|mailto:)/i.test(h)) return h
  if (h.startsWith('#')) return h
  if (/^[a-z][a-z0-9+.-]*:/i.test(h) || h.startsWith('//')) return undefined
  return opts.localLink?.(h)
}

/** Markdown tokens (lexMarkdown's) as safe HTML. */
export function markdownHtml(tokens: Token[], opts: MarkdownHtmlOptions = {}): string {
  const renderer = new SafeRenderer(opts)
  const parser = new Parser({ renderer, gfm: true, async: false, breaks: false, pedantic: false, silent: false, hooks: null, extensions: null, tokenizer: null, walkTokens: null })
  renderer.parser = parser
  return parser.parse(tokens)
}
