import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { lint } from '../../runner/lab/lint.js'
import { NslabError } from '../../runner/util/nslab-error.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = relative(process.cwd(), join(root, 'test/fixtures/labs'))
const valid = join(fixtures, 'valid')
const invalid = join(fixtures, 'invalid')

t.test('a folder of valid labs: its *.md, sorted, and no problem', async (t) => {
  const r = await lint([valid])
  t.same(r.files, ['everything.md', 'own-bridge.md', 'snat-example-bom.md', 'snat-example-crlf.md', 'snat-example.md'].map((f) => join(valid, f)))
  t.same(r.problems, [])
})

t.test('a folder of invalid labs: every problem of every file, each with its file', async (t) => {
  const r = await lint([invalid])
  const names = readdirSync(invalid).filter((f) => f.endsWith('.md')).sort()
  t.same(r.files, names.map((f) => join(invalid, f)))
  for (const f of r.files) t.ok(r.problems.some((p) => p.file === f), `${f} has a problem`)
  t.ok(r.problems.length > r.files.length, 'more than one problem of a file is reported')
  t.ok(
    r.problems.some((p) => p.file === join(invalid, 'unknown-check.md') && p.line === 14 && p.message === 'unknown check "pnig" (did you mean "ping"?)'),
  )
})

t.test('files and folders named together', async (t) => {
  const r = await lint([join(valid, 'snat-example.md'), join(invalid, 'unknown-role.md')])
  t.same(r.files, [join(valid, 'snat-example.md'), join(invalid, 'unknown-role.md')])
  t.same(r.problems, [{ file: join(invalid, 'unknown-role.md'), line: 11, message: 'unknown role "stpe" (did you mean "step"?)' }])
})

t.test('a path that does not exist is NOT_FOUND', async (t) => {
  const missing = join(fixtures, 'no-such-lab.md')
  const e = await lint([missing]).then(
    () => undefined,
    (err: unknown) => err,
  )
  t.ok(e instanceof NslabError, 'an NslabError')
  t.match(e, { code: 'NOT_FOUND', exitCode: 2 })
  t.match(String(e), missing)
})

t.test('a folder README is not a lab', async (t) => {
  const dir = t.testdir({
    'README.md': '# The labs\n\nNot a lab.\n',
    'b.md': '---\ntitle: B\n---\n\n```sh step\ntrue\n```\n',
    'a.md': '# no front matter\n',
    'notes.txt': 'not markdown',
  })
  const r = await lint([dir])
  t.same(r.files, [join(dir, 'a.md'), join(dir, 'b.md')])
  t.same(r.problems.map((p) => [p.file, p.line]), [[join(dir, 'a.md'), 1]])
})

t.test('every lab shipped in labs/ is valid (lint with no path)', async (t) => {
  process.chdir(root)
  const r = await lint([])
  t.ok(r.files.every((f) => f.startsWith('labs')), 'the default is labs/')
  t.same(r.problems, [], `${r.files.length} shipped labs`)
})
