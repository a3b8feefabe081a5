// The labs written in the docs, as a reader copies them: a ````markdown block
// whose text starts with front matter (---) is a whole lab. Words after
// `markdown` in its info string say what else the docs promise of it:
// `exit=N` (nslab run ends with N, for a lab that shows a failure) and
// `prove` (nslab prove passes too). As txm does for READMEs.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { findCodeBlocks } from '../../runner/lab/find-code-blocks.js'
import { LineIndex } from '../../runner/lab/line-index.js'

export interface DocLab {
  /** docs/lab-format.md */
  doc: string
  /** Line of the opening fence. */
  line: number
  text: string
  exit: number
  prove: boolean
}

export function docLabs(root: string): DocLab[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`)
  const out: DocLab[] = []
  for (const doc of ['README.md', ...docs]) {
    const text = readFileSync(join(root, doc), 'utf8')
    for (const b of findCodeBlocks(text, 0, new LineIndex(text))) {
      const [lang, ...words] = b.info.split(/\s+/)
      if (lang !== 'markdown' && lang !== 'md') continue
      if (!b.content.startsWith('---\n')) continue
      const exit = words.find((w) => w.startsWith('exit='))
      out.push({ doc, line: b.line, text: b.content, exit: exit ? Number(exit.slice(5)) : 0, prove: words.includes('prove') })
    }
  }
  return out
}
