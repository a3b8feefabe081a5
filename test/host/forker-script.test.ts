// The forker's perl program: it loads no module (for its start), so the
// tests hold it to what strict, warnings, Fcntl and Errno would have.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { FORKER_SCRIPT } from '../../runner/host/forker-script.js'

t.test('it compiles clean under strict and warnings', async (t) => {
  const r = spawnSync('perl', ['-Mstrict', '-Mwarnings', '-c', '-'], { input: FORKER_SCRIPT, encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stderr, '- syntax OK\n', 'no warning either')
})

t.test('it uses no module', async (t) => {
  // Pragmas too (use strict, use warnings: modules of their own), wherever a statement starts.
  t.notMatch(FORKER_SCRIPT, /(^|[;{}])\s*(use|require)\s+[\w:]+/m)
  // %! would load Errno the first time it is read.
  t.notMatch(FORKER_SCRIPT, /\$!\{/)
})

t.test("its constants are Fcntl's and Errno's", async (t) => {
  const names = ['O_RDONLY', 'O_NONBLOCK', 'F_GETFL', 'F_SETFL', 'EAGAIN']
  const ours = Object.fromEntries(names.map((n) => [n, Number(new RegExp(`sub ${n}\\(\\) \\{ (\\d+) \\}`).exec(FORKER_SCRIPT)?.[1])]))
  const r = spawnSync('perl', ['-MFcntl', '-MErrno', '-e', `print join(' ', ${names.map((n) => (n === 'EAGAIN' ? 'Errno::EAGAIN()' : `Fcntl::${n}()`)).join(', ')})`], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  const theirs = Object.fromEntries(r.stdout.split(' ').map((v, i) => [names[i], Number(v)]))
  t.same(ours, theirs)
})
