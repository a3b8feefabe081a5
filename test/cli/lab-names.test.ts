// Labs by name, from any folder: the labs that come with nslab (labs/ of its
// package), a lab author's own labs/ here first; nslab labs lists them; and
// with no lab named and no labs/ here, nslab says what to do in one line.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { bundledLabsDir, labNames, resolveLabPath } from '../../runner/lab/resolve-lab-path.js'
import { findLabs } from '../../runner/lab/find-labs.js'
import { CLI, learner, requireBuild, ROOT } from '../helpers/learner-cli.js'

/** The labs that come with nslab, by name (labs/*.md), as nslab lists them. */
const SHIPPED = readdirSync(join(ROOT, 'labs')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort()

requireBuild()

const base = mkdtempSync(join(tmpdir(), 'nslab-names-'))
t.teardown(() => rmSync(base, { recursive: true, force: true }))

/** nslab in a folder, as a learner of its own (NSLAB_STATE_DIR). */
function nslabIn(cwd: string, env: NodeJS.ProcessEnv) {
  return (args: string[]) => {
    const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 300_000 })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
}

const TINY = ['---', 'title: Tiny', 'summary: one step, one check', '---', '', '```sh step', 'echo hello', '```', '', '```check', 'stdout "hello"', '```', ''].join('\n')

/** A folder with labs/ of its own: one named like a lab of nslab's. */
function authorFolder(): string {
  const d = join(base, 'author')
  mkdirSync(join(d, 'labs'), { recursive: true })
  writeFileSync(join(d, 'labs', 'tiny.md'), TINY)
  writeFileSync(join(d, 'labs', 'snat-outbound.md'), TINY.replace('title: Tiny', 'title: My own SNAT'))
  writeFileSync(join(d, 'loose.md'), TINY)
  return d
}

t.test('the resolver: a path as given, NAME.md here, labs/NAME here, then nslab\'s own', async (t) => {
  const d = authorFolder()
  const empty = join(base, 'empty')
  mkdirSync(empty, { recursive: true })
  t.equal(bundledLabsDir(), join(ROOT, 'labs'))
  t.equal(resolveLabPath('labs/tiny.md', d), 'labs/tiny.md', 'a path as given')
  t.equal(resolveLabPath('loose', d), 'loose.md', 'NAME.md here')
  t.equal(resolveLabPath('tiny', d), 'labs/tiny.md', 'a lab of labs/ here')
  t.equal(resolveLabPath('tiny.md', d), 'labs/tiny.md')
  t.equal(resolveLabPath('snat-outbound', d), 'labs/snat-outbound.md', "one's own labs/ wins over nslab's")
  t.equal(resolveLabPath('snat-outbound', empty), join(ROOT, 'labs/snat-outbound.md'), "nslab's own, from an empty folder")
  t.equal(resolveLabPath('dnat-port-forward.md', empty), join(ROOT, 'labs/dnat-port-forward.md'))
  t.same(findLabs(['tiny', 'container-to-container'], d), ['labs/tiny.md', join(ROOT, 'labs/container-to-container.md')])
  t.same(
    labNames(d).map((l) => l.name),
    ['snat-outbound', 'tiny', ...SHIPPED.filter((n) => n !== 'snat-outbound')],
    'names: labs/ here first, then those of nslab not hidden by them',
  )
  t.throws(() => resolveLabPath('snat-outbond', empty), { code: 'NOT_FOUND', message: 'no such lab: snat-outbond (did you mean snat-outbound?)' })
  t.throws(() => resolveLabPath('nothing-like-it', empty), { code: 'NOT_FOUND', message: `no such lab: nothing-like-it (labs: ${SHIPPED.join(', ')})` })
  t.throws(() => resolveLabPath('labs/tinny.md', d), { code: 'NOT_FOUND', message: 'no such lab or folder: labs/tinny.md (did you mean labs/tiny.md?)' })
})

t.test('from an empty folder: run, lint, labs, up by name; run with nothing to run says what to do', async (t) => {
  const L = learner()
  t.teardown(() => L.cleanup())
  const empty = join(base, 'empty2')
  mkdirSync(empty, { recursive: true })
  const here = nslabIn(empty, L.env)

  const none = here(['run'])
  t.equal(none.code, 2)
  t.equal(none.stdout, '')
  t.equal(none.stderr, 'nslab: no labs/ folder here: name a lab file, a folder, or a lab by name (nslab run snat-outbound; nslab labs lists them)\n', 'one line that says what to do')
  t.match(here(['lint']).stderr, /^nslab: no labs\/ folder here: .*\(nslab lint snat-outbound; /)
  t.match(here(['prove']).stderr, /^nslab: no labs\/ folder here: /)

  const labs = here(['labs'])
  t.equal(labs.code, 0, labs.stderr)
  t.match(labs.stdout, /^Labs that come with nslab:\n/)
  for (const name of ['container-to-container', 'dnat-port-forward', 'snat-outbound']) t.match(labs.stdout, new RegExp(`^  ${name} +\\S.*\\(\\d+ tasks\\)$`, 'm'), `lists ${name} with its title and tasks`)
  t.match(labs.stdout, /box1's private address never leaves the host/, 'and its summary')
  const json = JSON.parse(here(['labs', '--json']).stdout) as { name: string; title: string; tasks: number; problems: number }[]
  t.same(json.map((l) => l.name), SHIPPED)
  t.ok(json.every((l) => l.tasks > 0 && l.problems === 0 && l.title.length > 0), 'each with a title and tasks')

  t.equal(here(['lint', 'snat-outbound', 'dnat-port-forward']).stdout, '2 labs valid\n', 'lint by name')
  const typo = here(['run', 'snat-outbond'])
  t.equal(typo.code, 2)
  t.match(typo.stderr, /^nslab: no such lab: snat-outbond \(did you mean snat-outbound\?\)\n {2}fix: nslab labs lists the labs by name/)

  const run = here(['run', 'snat-outbound'])
  t.equal(run.code, 0, run.stdout + run.stderr)
  t.match(run.stdout, /1 lab: 1 passed/)

  const up = here(['up', 'container-to-container'])
  t.equal(up.code, 0, up.stdout + up.stderr)
  t.match(up.stdout, /container-to-container is up/)
  t.equal(here(['down', 'container-to-container']).code, 0)
})

t.test("a lab author's folder: labs/ runs by default, by name, and is listed first", async (t) => {
  const d = authorFolder()
  const L = learner()
  t.teardown(() => L.cleanup())
  const here = nslabIn(d, L.env)
  const run = here(['run'])
  t.equal(run.code, 0, run.stdout + run.stderr)
  t.match(run.stdout, /2 labs: 2 passed/, 'nslab run alone runs labs/ here')
  const one = here(['run', 'snat-outbound', '--json', '-'])
  t.equal(one.code, 0, one.stderr)
  t.same((JSON.parse(one.stdout) as { labs: { file: string; title: string }[] }).labs.map((l) => [l.file, l.title]), [['labs/snat-outbound.md', 'My own SNAT']], 'the name is labs/ here first')
  const prove = here(['prove', 'tiny'])
  t.equal(prove.code, 0, prove.stdout + prove.stderr)
  t.match(prove.stdout, /1 check block tried in 1 lab: 1 can fail, 0 cannot/, 'prove by name')
  const labs = here(['labs'])
  t.match(labs.stdout, /^Labs in labs\/ here:\n {2}snat-outbound +My own SNAT +\(1 task\)\n/)
  t.match(labs.stdout, /Labs that come with nslab:\n(.*\n)*  \S*labs\/snat-outbound\.md +SNAT — /, "nslab's own lab of that name is listed by its path")
  t.match(here(['labs', 'labs']).stdout, /^Labs in labs:\n {2}labs\/snat-outbound\.md +My own SNAT/, 'a folder: its labs, by path')
})
