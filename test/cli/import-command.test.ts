// nslab import through its real command line: the lab on stdout or in -o
// FILE (never over a file without -f), the counts and notes on stderr, and
// the lab it writes lints clean.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const ROOT = new URL('../..', import.meta.url).pathname
const CLI = join(ROOT, 'dist/bin/nslab.cjs')
const TUTORIAL = join(ROOT, 'test/fixtures/tutorials/netns-nat.md')

function nslab(args: string[]) {
  // env -u: tap hooks every node process a test starts; nslab runs as a user runs it.
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.before(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`)
})

t.test('the lab on stdout, what import did on stderr', async (t) => {
  const r = nslab(['import', TUTORIAL])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^---\ntitle: "A namespace on the outside network"\ntopology:\n {2}internet: true\n---\n/)
  t.match(r.stdout, /```sh step\nip netns add ns1\n/)
  t.match(r.stderr, /nslab import: the lab is above: 5 steps, 3 output blocks, 2 places where a check could go\./)
  t.match(r.stderr, /8\.8\.8\.8 is 203\.0\.113\.10/)
})

t.test('-o writes a lab that lints clean, and is not overwritten without -f', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-import-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lab = join(dir, 'lab.md')
  const r = nslab(['import', TUTORIAL, '-o', lab])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, '')
  t.match(r.stderr, new RegExp(`wrote ${lab}`))
  const lint = nslab(['lint', lab])
  t.equal(lint.code, 0, lint.stdout + lint.stderr)
  writeFileSync(lab, 'mine\n')
  const again = nslab(['import', TUTORIAL, '-o', lab])
  t.equal(again.code, 2)
  t.match(again.stderr, /exists: give -f to overwrite it/)
  t.equal(readFileSync(lab, 'utf8'), 'mine\n', 'the file is as it was')
  t.equal(nslab(['import', TUTORIAL, '-o', lab, '-f']).code, 0)
  t.match(readFileSync(lab, 'utf8'), /^---\ntitle:/)
})

t.test('usage errors', async (t) => {
  const none = nslab(['import'])
  t.equal(none.code, 2)
  t.match(none.stderr, /^nslab import: takes one tutorial .*\nTry 'nslab import --help'.\n$/)
  const missing = nslab(['import', '/nonexistent/tutorial.md'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /cannot read \/nonexistent\/tutorial\.md: ENOENT/)
  t.match(nslab(['import', '--help']).stdout, /^Usage: nslab import TUTORIAL\.md/)
})
