// Every lab written in the docs passes lint and runs as the docs say (and
// those the docs prove, prove): a reader who copies one gets what the page
// shows.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CLI, requireBuild, ROOT } from '../helpers/learner-cli.js'
import { docLabs } from './doc-labs.js'

requireBuild()
const dir = mkdtempSync(join(tmpdir(), 'nslab-doc-labs-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const nslab = (args: string[]) => {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

const labs = docLabs(ROOT)

t.test('the docs hold labs: the first one of lab-format.md and the tutorial', async (t) => {
  t.ok(labs.some((l) => l.doc === 'docs/lab-format.md'), 'lab-format.md')
  t.ok(labs.filter((l) => l.doc === 'docs/first-lab.md').length >= 2, 'first-lab.md')
  t.ok(labs.some((l) => l.prove), 'one of them is proved')
})

for (const lab of labs) {
  t.test(`${lab.doc}:${lab.line}`, async (t) => {
    const file = join(dir, `${lab.doc.replace(/[/.]/g, '-')}-${lab.line}.md`)
    writeFileSync(file, lab.text)
    const lint = nslab(['lint', file])
    t.equal(lint.code, 0, `nslab lint: valid\n${lint.out}`)
    const run = nslab(['run', file])
    t.equal(run.code, lab.exit, `nslab run: exit ${lab.exit}\n${run.out}`)
    if (lab.prove) {
      const prove = nslab(['prove', file])
      t.equal(prove.code, 0, `nslab prove: every check block can fail\n${prove.out}`)
    }
  })
}
