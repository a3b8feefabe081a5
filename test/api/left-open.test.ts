// A lab host the program never closes does not keep the program alive, and
// ends with it: when the process exits, is killed (SIGTERM, SIGKILL), the
// kernel tears the lab host down (its init's stdin closes). Each script here
// starts a sleeper whose command line holds a word of its own, then leaves.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { until } from '../helpers/until.js'
import { withWord } from '../helpers/with-word.js'
import { requireBuild, ROOT } from '../helpers/learner-cli.js'
import { machineState } from '../helpers/machine-state.js'

requireBuild()
const dir = mkdtempSync(join(tmpdir(), 'nslab-api-open-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const before = machineState()
const API = join(ROOT, 'dist/runner/api/index.js')



let n = 0
/** A script that opens a lab host, starts a marked sleeper on box1, says "ready", then does `then`. */
function script(then: string): { file: string; word: string } {
  const word = `openmark${process.pid}x${++n}`
  const file = join(dir, `open-${n}.mjs`)
  writeFileSync(
    file,
    [
      `import { labHost } from ${JSON.stringify(API)}`,
      `const host = await labHost({ docker: true, containers: ['box1'] })`,
      `await host.on('box1').$\`exec -a ${word} sleep 1000 >/dev/null 2>&1 &\``,
      `console.log('ready')`,
      then,
      '',
    ].join('\n'),
  )
  return { file, word }
}

function start(file: string) {
  // Without tap's NODE_OPTIONS: the script runs as a user's would.
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return { child, output: () => out, exited }
}

t.test('a program that never closes its lab host still exits, and the lab host ends with it', async (t) => {
  const { file, word } = script('')
  const p = start(file)
  const end = await Promise.race([p.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))])
  if (end === 'hung') p.child.kill('SIGKILL')
  t.same(end, { code: 0, signal: null }, p.output())
  t.match(p.output(), /ready/)
  t.ok(await until(() => withWord(word).length === 0), 'no process of the lab host is left')
})

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`a program killed by ${signal} takes its lab host with it`, async (t) => {
    const { file, word } = script('await new Promise(() => setInterval(() => {}, 1000))')
    const p = start(file)
    t.ok(await until(() => p.output().includes('ready'), 60_000), p.output())
    t.equal(withWord(word).length, 1, 'the sleeper runs')
    p.child.kill(signal)
    t.same(await p.exited, { code: null, signal })
    t.ok(await until(() => withWord(word).length === 0), 'no process of the lab host is left')
  })
}

t.test('the machine is as it was', async (t) => {
  t.same(machineState(), before)
})
