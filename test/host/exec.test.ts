// exec.ts through the forker (the default where perl is installed), and
// that the forker never keeps nslab alive nor outlives it.
import { spawnSync } from 'node:child_process'
import { readFileSync, readlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { childProcesses, run, start } from '../../runner/host/exec.js'
import { execCases } from '../helpers/exec-cases.js'
import { namespaceHolder } from '../helpers/namespace-holder.js'

t.equal(process.env.NSLAB_FORKER, undefined, 'the forker is on')
execCases(t)

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')

t.test('an idle forker keeps nothing alive, and ends with nslab', async (t) => {
  // A node that runs one process, prints its pid and the forker's, and ends without closing anything.
  const code = `import('${join(ROOT, 'dist/runner/host/exec.js')}').then(async (m) => {
    const r = await m.run({ file: '/bin/sh', args: ['-c', 'echo $PPID'], env: { PATH: '/usr/bin:/bin' } })
    process.stdout.write(r.stdout)
  })`
  const t0 = Date.now()
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000 })
  t.equal(r.status, 0, r.stderr)
  t.ok(Date.now() - t0 < 20_000, 'node ended on its own')
  const forker = Number(r.stdout.trim())
  t.ok(forker > 0, 'the process was started by the forker')
  const until = Date.now() + 5000
  let alive = true
  while (alive && Date.now() < until) {
    try {
      process.kill(forker, 0)
      await new Promise((r) => setTimeout(r, 20))
    } catch {
      alive = false
    }
  }
  t.notOk(alive, 'the forker ended with the node that started it')
})

t.test('stderr then stdout stay in that order when the forker was slow to read them (a busy machine)', async (t) => {
  // Written while the forker is stopped: both pipes are readable when it wakes, and a reader that takes
  // them by descriptor number (select) puts stdout first; epoll keeps the order they became readable.
  for (let i = 0; i < 3; i++) {
    await run({ file: '/bin/true', args: [], env: {} })
    const forker = childProcesses(process.pid).find((p) => p.name === 'perl')
    t.ok(forker, 'the forker runs')
    const running = start({ file: '/bin/sh', args: ['-c', 'sleep 0.2; echo first >&2; sleep 0.05; echo second'], env: { PATH: '/usr/bin:/bin' } })
    while (running.pid < 0) await new Promise((r) => setTimeout(r, 5))
    process.kill(forker!.pid, 'SIGSTOP')
    await new Promise((r) => setTimeout(r, 700))
    process.kill(forker!.pid, 'SIGCONT')
    const r = await running.done
    t.equal(r.output, 'first\nsecond\n', `${i}: in the order written`)
  }
})

t.test('as root, a process for a pid namespace is forked in it: no process of the forker waits between', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const inner = await namespaceHolder(t, ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc'])
  t.ok(inner, 'the holder runs')
  const enter = (['user', 'pid'] as const).map((ns) => ({ ns, path: `/proc/${inner}/ns/${ns}` }))
  const job = start({ file: '/bin/sh', args: ['-c', 'read -r _ ; grep NSpid /proc/self/status'], env: { PATH: '/usr/bin:/bin' }, enter, input: '' })
  const sleeper = start({ file: '/bin/sleep', args: ['5'], env: { PATH: '/usr/bin:/bin' }, enter })
  t.teardown(() => sleeper.kill('SIGKILL'))
  for (let i = 0; i < 200 && !(sleeper.pid > 0); i++) await new Promise((r) => setTimeout(r, 10))
  // The pid nslab has is the program's own: in the namespace, and a child of the forker itself.
  t.equal(readlinkSync(`/proc/${sleeper.pid}/ns/pid`), readlinkSync(`/proc/${inner}/ns/pid`), 'the process nslab knows is in the pid namespace')
  const parentOf = (pid: number): number => Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
  t.equal(parentOf(parentOf(sleeper.pid)), process.pid, 'its parent is the forker, a child of this process')
  // (Its pid comes as it is forked: its exec follows.)
  const exe = async (): Promise<string> => {
    for (let i = 0; i < 200; i++) {
      const e = readlinkSync(`/proc/${sleeper.pid}/exe`)
      if (e === '/usr/bin/sleep') return e
      await new Promise((r) => setTimeout(r, 10))
    }
    return readlinkSync(`/proc/${sleeper.pid}/exe`)
  }
  t.equal(await exe(), '/usr/bin/sleep', 'and becomes the program')
  sleeper.kill('SIGTERM')
  t.equal((await sleeper.done).signal, 'SIGTERM', 'a signal to it ends it')
  const j = await job.done
  t.equal(j.exitCode, 0)
  t.match(j.stdout, /^NSpid:\t\d+\t\d+\n$/, 'another one there has a pid in the namespace too')
  // The forker is back in its own pid namespace: a process for none is the machine's.
  const after = await run({ file: '/bin/sh', args: ['-c', 'readlink /proc/self/ns/pid'], env: { PATH: '/usr/bin:/bin' } })
  t.equal(after.stdout.trim(), readlinkSync('/proc/self/ns/pid'), 'the next process is in the machine\'s pid namespace')
})

t.test('a forker that dies: what it ran ends, what comes next starts anyway', async (t) => {
  const running = start({ file: '/bin/sleep', args: ['30'], env: { PATH: '/usr/bin:/bin' } })
  await new Promise((r) => setTimeout(r, 300))
  const forker = childProcesses(process.pid).find((p) => p.name === 'perl')
  t.ok(forker, 'the forker is a child of this process')
  process.kill(forker!.pid, 'SIGKILL')
  const r = await running.done
  t.equal(r.signal, 'SIGKILL', 'the job it had started is given up as killed')
  process.kill(running.pid, 'SIGKILL')
  const next = await run({ file: '/bin/sh', args: ['-c', 'echo $PPID'], env: { PATH: '/usr/bin:/bin' } })
  t.equal(Number(next.stdout.trim()), process.pid, 'the next process is node’s own child')
})
