import type { Token } from 'marked'
import type { Lab } from '../lab/lab.js'
import { saveSession, type Session } from './session-store.js'

/** Prose lexed as Markdown in one lab, at most: the shipped labs have under 10 KB. */
const MAX_LEXED = 64 * 1024

/** The lab's prose as Markdown tokens: each block's (null when it has none) and the epilogue's. */
export interface LabProse {
  blocks: (Token[] | null)[]
  epilogue: Token[]
}

/**
 * The lab's prose, lexed. Lexing loads marked and warms its regular
 * expressions, which costs more than a passing nslab check may take; so it is
 * done once (nslab up) and kept in the session next to the parsed lab.
 */
export async function labProse(lab: Lab, session?: Session): Promise<LabProse> {
  const cached = session?.labCache?.prose
  if (cached && session?.labCache?.lab === lab) return cached
  const { lexMarkdown, plainTokens } = await import('../report/render-markdown.js')
  // marked's time per byte is bounded, not small (render-markdown.ts): past
  // MAX_LEXED bytes of prose, a lab's prose is shown as plain text.
  let budget = MAX_LEXED
  const lex = (text: string) => {
    budget -= text.length
    return budget >= 0 ? lexMarkdown(text) : plainTokens(text)
  }
  const prose: LabProse = {
    blocks: lab.blocks.map((b) => (b.prose.trim() ? lex(b.prose) : null)),
    epilogue: lab.epilogue.trim() ? lex(lab.epilogue) : [],
  }
  if (session?.labCache && session.labCache.lab === lab) {
    session.labCache.prose = prose
    saveSession(session)
  }
  return prose
}
