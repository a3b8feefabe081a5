// The tree is the architecture: runner/ is grouped into folders by what they
// do, and a folder imports only from the folders below it (checks/ sits
// between the lab host and the runner). Each folder says so in its README.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Bottom to top; a folder may import its own and those before it. */
const LAYERS = [['util'], ['lab'], ['host'], ['checks'], ['run'], ['report'], ['learn', 'grade'], ['serve'], ['vm'], ['cli', 'api']]
const rank = (folder: string) => LAYERS.findIndex((l) => l.includes(folder))

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}
/** runner/FOLDER/x.ts → FOLDER; checks/x.ts → checks. */
const folderOf = (file: string) => {
  const r = relative(ROOT, file).split('/')
  return r[0] === 'runner' ? (r[1] ?? '') : (r[0] ?? '')
}
const files = [...sources(join(ROOT, 'runner')), ...sources(join(ROOT, 'checks'))]
const edges: { from: string; to: string; file: string; spec: string }[] = []
for (const file of files) {
  const text = readFileSync(file, 'utf8')
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), m[1]!)
    edges.push({ from: folderOf(file), to: folderOf(target), file: relative(ROOT, file), spec: m[1]! })
  }
}

t.test('every source file is in a folder of the layout', async (t) => {
  for (const f of files) t.ok(rank(folderOf(f)) >= 0, `${relative(ROOT, f)} is in ${folderOf(f)}`)
  t.same(readdirSync(join(ROOT, 'runner')).filter((e) => e.endsWith('.ts')), [], 'no module lies loose in runner/')
})

t.test('folders import only from the folders below them', async (t) => {
  const up = edges.filter((e) => rank(e.to) > rank(e.from) || (rank(e.to) === rank(e.from) && e.to !== e.from))
  t.same(up.map((e) => `${e.file} imports ${e.spec}`), [], 'no import goes up or sideways')
})

t.test('each folder says what it is for and what it may import', async (t) => {
  for (const folder of LAYERS.flat().filter((f) => f !== 'checks')) {
    const readme = readFileSync(join(ROOT, 'runner', folder, 'README.md'), 'utf8')
    t.match(readme, /May import:/, `runner/${folder}/README.md names what it may import`)
  }
})

t.test('no two modules import each other, however far round (type imports aside)', async (t) => {
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const deps: string[] = []
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm)) {
      deps.push(resolve(dirname(file), (m[1] ?? m[2])!).replace(/\.js$/, '.ts'))
    }
    graph.set(file, deps)
  }
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string) => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'open') {
      cycles.push(stack.slice(stack.indexOf(f)).concat(f).map((x) => relative(ROOT, x)).join(' → '))
      return
    }
    state.set(f, 'open')
    stack.push(f)
    for (const d of graph.get(f) ?? []) visit(d)
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of files) visit(f)
  t.same(cycles, [], 'no cycle')
})
