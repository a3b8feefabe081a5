// Markdown for a terminal: a lab's prose as a learner reads it in nslab up
// and nslab check, not raw Markdown. marked's lexer parses; render-tokens.ts
// lays the tokens out.
import { lexer, type Token } from 'marked'
import { renderTokens, type RenderMarkdownOptions } from './render-tokens.js'

export type { RenderMarkdownOptions }

/** marked's tokens of a Markdown text: plain data, kept in a session so that nslab check need not lex. */
export function lexMarkdown(markdown: string): Token[] {
  // A plain array: the token list's `links` are already resolved into its links.
  return [...lexer(markdown.replace(/\r\n?/g, '\n'))]
}

/** Render Markdown to lines of terminal text (no trailing newline). */
export function renderMarkdown(markdown: string, opts: RenderMarkdownOptions): string {
  return renderTokens(lexMarkdown(markdown), opts)
}
