// A run is torn down completely whatever happens: pass, fail, a step's
// timeout, Ctrl-C, SIGTERM, SIGKILL. Each lab here is marked with a unique
// word that appears in the command line of its sandbox's pid 1 (the
// hostname) and of a background process it starts, so this test finds its
// own processes among those of tests running beside it.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t from 'tap'
import { until } from '../helpers/until.js'
import { withWord } from '../helpers/with-word.js'
import { machineState } from '../helpers/machine-state.js'

const ROOT = new URL('../..', import.meta.url).pathname
const CLI = join(ROOT, 'dist/bin/nslab.cjs')
const dir = mkdtempSync(join(tmpdir(), 'nslab-teardown-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
chmodSync(dir, 0o755)

/** pids of live processes whose command line holds the word. */


let n = 0
/** A lab with a unique name; `seconds` of a marker sleep run in the background of box1. */
function markedLab(body: string): { file: string; word: string } {
  const word = `tdmark${process.pid}x${++n}`
  const file = join(dir, `${word}.md`)
  writeFileSync(
    file,
    [
      '---',
      `title: teardown ${word}`,
      'topology:',
      '  docker: true',
      '  containers: [box1, box2]',
      '  internet: true',
      '---',
      '',
      '```sh step on=box1 background',
      `exec -a ${word}-sleeper sleep 1000`,
      '```',
      '',
      body,
      '',
    ].join('\n'),
  )
  return { file, word }
}

function run(file: string, extra: string[] = []) {
  return spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'run', file, ...extra], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 })
}

const before = machineState()

t.test('after a passing lab nothing is left', async (t) => {
  const { file, word } = markedLab('```check\nping box1 box2\n```')
  const r = run(file)
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.same(withWord(word), [], 'no process of the lab')
})

t.test('after a failing lab nothing is left', async (t) => {
  const { file, word } = markedLab('```sh step\niptables -t nat -F\n```\n\n```check\nping box1 internet within=300ms\n```')
  const r = run(file)
  t.equal(r.status, 1)
  t.same(withWord(word), [])
})

t.test('after a step that timed out nothing is left', async (t) => {
  const { file, word } = markedLab('```sh step timeout=500ms\nsleep 60 & sleep 60\n```\n\n```sh step\necho never\n```')
  const t0 = Date.now()
  const r = run(file)
  t.equal(r.status, 1)
  t.ok(Date.now() - t0 < 30_000, 'the timeout ended the step')
  t.match(r.stdout, /did not finish within 500 ms/)
  t.same(withWord(word), [])
})

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  t.test(`${signal} during a step: teardown, then exit ${code}`, async (t) => {
    const { file, word } = markedLab('```sh step timeout=60s\nsleep 60\n```')
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'run', file], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: 'pipe' })
    const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)))
    t.ok(await until(() => withWord(word).length >= 2), 'the lab is running (the runner and its sleeper; the lab host carries no lab text on its command lines)')
    child.kill(signal)
    const c = await exited
    t.equal(c, code, `exit ${code}`)
    t.same(withWord(word), [], 'no process of the lab')
  })
}

t.test('SIGKILL of the runner: the sandbox ends by itself; the next run and gc find nothing', async (t) => {
  const { file, word } = markedLab('```sh step timeout=60s\nsleep 60\n```')
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'run', file], { cwd: ROOT, stdio: 'ignore' })
  t.ok(await until(() => withWord(word).length >= 2), 'the lab is running (the runner and its sleeper)')
  child.kill('SIGKILL')
  // pid 1 of the sandbox reads a pipe from the runner; its end ends the sandbox.
  t.ok(await until(() => withWord(word).length === 0, 5000), 'everything of the lab ended without the runner')
  const again = markedLab('```check\nping box1 box2\n```')
  t.equal(run(again.file).status, 0, 'the next run passes')
  const gc = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'gc'], { cwd: ROOT, encoding: 'utf8' })
  t.equal(gc.status, 0, gc.stdout + gc.stderr)
  t.same(withWord(word), [])
})

t.test('the same lab passes as an ordinary user', async (t) => {
  // A copy of what nslab needs at run time, readable by uid 65534 wherever the checkout is.
  const app = join(dir, 'app')
  for (const part of ['dist', 'package.json', 'labs']) cpSync(join(ROOT, part), join(app, part), { recursive: true })
  const prod = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
  for (const p of prod.slice(1)) {
    const rel = relative(ROOT, p)
    if (rel.startsWith('node_modules')) cpSync(p, join(app, rel), { recursive: true })
  }
  const state = join(dir, 'state')
  mkdirSync(state, { mode: 0o777 })
  chmodSync(state, 0o777)
  spawnSync('chmod', ['-R', 'a+rX', app])
  const r = spawnSync(
    'setpriv',
    // env -i: nothing of the test runner's environment (it hooks child node processes).
    ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${state}`, `NSLAB_STATE_DIR=${state}`, 'NO_COLOR=1', process.execPath, join(app, 'dist/bin/nslab.cjs'), 'run', join(app, 'labs/snat-outbound.md'), join(app, 'labs/container-to-container.md')],
    { cwd: app, encoding: 'utf8', timeout: 180_000 },
  )
  t.equal(r.status, 0, `passes as uid 65534\n${r.stdout.slice(-3000)}${r.stderr}`)
  t.match(r.stdout, /2 passed/)
})

t.test("the machine's own network is as it was", async (t) => {
  t.same(machineState(), before)
})
