// findCodeBlocks is CommonMark's block algorithm cut down to fences; this
// compares it with commonmark.js, the reference implementation, on every
// Markdown file of the project and on thousands of mutations of them (the
// mutations of test/fuzz-parse.test.ts, plus Markdown's own edge cases: tabs,
// lazy lines, HTML blocks, list items that start blank). FIND_CASES and
// FIND_SEED override the defaults.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Parser } from 'commonmark'
import t from 'tap'
import { findCodeBlocks, type FencedBlock } from '../../runner/lab/find-code-blocks.js'
import { LineIndex } from '../../runner/lab/line-index.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const CASES = Number(process.env.FIND_CASES ?? 4000)
const SEED = Number(process.env.FIND_SEED ?? 20_261_201)

/** The fenced blocks as commonmark.js sees them, in the shape of findCodeBlocks. */
function reference(text: string, index: LineIndex): FencedBlock[] {
  const parser = new Parser()
  ;(parser as unknown as { processInlines: () => void }).processInlines = () => {}
  const walker = parser.parse(text).walker()
  const out: FencedBlock[] = []
  for (let e = walker.next(); e; e = walker.next()) {
    const node = e.node
    if (!e.entering || node.type !== 'code_block' || node.info === null) continue
    const [[line, col], [last]] = node.sourcepos
    const source = index.textOf(line)
    const at = col - 1
    let after = at
    while (source[after] === source[at]) after++
    const rest = source.slice(after)
    const literal = node.literal ?? ''
    const contentLines = literal.split('\n').length - 1
    out.push({
      line,
      start: index.startOf(line),
      end: index.startOf(last + 1),
      fence: source.slice(at, after),
      info: rest.trim(),
      infoColumn: after + (rest.length - rest.trimStart().length),
      content: literal.endsWith('\n') ? literal.slice(0, -1) : literal,
      closed: last - line === contentLines + 1,
    })
  }
  return out
}

function markdownFiles(dir: string): string[] {
  try {
    return readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => join(root, dir, f))
  } catch {
    return []
  }
}

// As parseLab hands text over: decoded, without NUL (a file with one is refused first), CRLF made LF.
const files = ['labs', 'docs', 'bench', '.', 'test/fixtures/labs/valid', 'test/fixtures/labs/invalid', 'test/fixtures/labs-learner', 'test/fixtures/grade-labs']
  .flatMap(markdownFiles)
  .map((f) => ({ f, text: readFileSync(f, 'utf8').replace(/^\ufeff/, '').replace(/\r\n?/g, '\n') }))
  .filter((x) => !x.text.includes('\0'))
const texts = files.map((x) => x.text)

function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const rand = random(SEED)
const int = (n: number) => Math.floor(rand() * n)
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!

const PIECES = [
  '```', '````', '~~~', '~~~~', '```sh step', '``` `', '```check', '> ', '>', '- ', '-', '* ', '+ ', '1. ', '1)', '2. ', '10. ', '  ', '   ',
  '    ', '\t', ' \t', '<details>', '</details>', '<div>', '<!--', '-->', '<?x', '?>', '<!X', '<![CDATA[', ']]>', '<script>', '</script>',
  '<a href="x">', '<b c=d/>', '</p >', '***', '* * *', '---', '___', '===', '# h', '###### h', '####### h', '| a |', '|---|', '[a]: /u',
  '', 'text', '\\`\\`\\`', '&amp;',
]

const mutations: ((lines: string[]) => string[])[] = [
  (l) => [...l.slice(0, int(l.length + 1)), pick(PIECES) + (rand() < 0.5 ? pick(PIECES) : '') + (rand() < 0.6 ? 'text' : ''), ...l.slice(int(l.length + 1))],
  (l) => {
    const at = int(l.length + 1)
    return [...l.slice(0, at), pick(PIECES) + (rand() < 0.5 ? 'x' : ''), ...l.slice(at)]
  },
  (l) => {
    const a = int(l.length)
    return [...l.slice(0, a), ...l.slice(a + 1 + int(4))]
  },
  (l) => {
    const a = int(l.length)
    const n = 1 + int(12)
    const p = pick(['> ', '>', '- ', '* ', '1. ', '  ', '   ', '    ', '\t', '> - ', ' > '])
    return l.map((x, i) => (i >= a && i < a + n ? p + x : x))
  },
  (l) => {
    const a = int(l.length)
    const n = 1 + int(12)
    return l.map((x, i) => (i >= a && i < a + n ? x.replace(/^[ \t>*+\-0-9.)]{1,4}/, '') : x))
  },
  (l) => {
    const i = int(l.length)
    const x = l[i] ?? ''
    const at = int(x.length + 1)
    const out = [...l]
    out[i] = x.slice(0, at) + pick(PIECES) + x.slice(at + int(3))
    return out
  },
  (l) => {
    const a = int(l.length)
    const at = int(l.length + 1)
    return [...l.slice(0, at), ...l.slice(a, a + 1 + int(8)), ...l.slice(at)]
  },
]

const key = (b: FencedBlock) => JSON.stringify(b)

t.test('the Markdown files of the project: the fences commonmark.js finds', async (t) => {
  t.ok(texts.length >= 10, `${texts.length} files`)
  for (let i = 0; i < texts.length; i++) {
    const index = new LineIndex(texts[i]!)
    t.same(findCodeBlocks(texts[i]!, 0, index).map(key), reference(texts[i]!, index).map(key), files[i]!.f)
  }
})

t.test(`${CASES} mutations (seed ${SEED}): the fences commonmark.js finds`, async (t) => {
  const failures: string[] = []
  let fences = 0
  for (let c = 0; c < CASES && failures.length < 5; c++) {
    let lines = pick(texts).split('\n')
    for (let k = 1 + int(4); k > 0; k--) lines = pick(mutations)(lines)
    const text = lines.join('\n') + (rand() < 0.8 ? '\n' : '')
    const index = new LineIndex(text)
    const want = reference(text, index).map(key)
    const got = findCodeBlocks(text, 0, index).map(key)
    fences += want.length
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      const missing = want.filter((w) => !got.includes(w))
      const extra = got.filter((g) => !want.includes(g))
      failures.push(`case ${c}: ${JSON.stringify(text).slice(0, 4000)}\n  commonmark.js only: ${missing.join(' ').slice(0, 600)}\n  findCodeBlocks only: ${extra.join(' ').slice(0, 600)}`)
    }
  }
  t.same(failures, [], 'the same fences, lines, info strings, contents and ends')
  t.comment(`${fences} fences compared`)
})

t.test('from an offset: lines are the file\'s', async (t) => {
  const text = '---\ntitle: x\n---\n\n```sh step\ntrue\n```\n'
  const index = new LineIndex(text)
  const [b] = findCodeBlocks(text, index.startOf(4), index)
  t.match(b, { line: 5, content: 'true', closed: true, fence: '```', info: 'sh step', infoColumn: 3 })
})
