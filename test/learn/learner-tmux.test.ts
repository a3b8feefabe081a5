// A real terminal session (tmux): nslab up, nslab shell, the learner's
// keystrokes doing the SNAT lab's steps, a wrong answer first, nslab check
// showing the hint, the right answer, nslab check showing the progress, a
// live task list (check --watch) in a second window, nslab down; then a
// killed nslab up and nslab gc. Everything is read from the screen.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { labTasks } from '../../runner/lab/lab-tasks.js'
import type { ScriptBlock } from '../../runner/lab/lab.js'
import { machineState } from '../helpers/machine-state.js'
import { sandboxProcesses, stillRunning } from '../helpers/namespace-traces.js'
import { CLI, FIXTURES, requireBuild, ROOT, until } from '../helpers/learner-cli.js'

requireBuild()

const SOCKET = `nslab-test-${process.pid}`
const work = mkdtempSync(join(tmpdir(), 'nslab-tmux-'))
const state = join(work, 'state')
const bin = join(work, 'bin')
execFileSync('mkdir', ['-p', bin])
writeFileSync(join(bin, 'nslab'), `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`)
chmodSync(join(bin, 'nslab'), 0o755)
writeFileSync(join(work, 'tmux.conf'), 'set -g history-limit 100000\nset -g remain-on-exit on\n')
const env = ['HISTFILE=/dev/null', `PATH=${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, `NSLAB_STATE_DIR=${state}`, 'LANG=C.UTF-8', `HOME=${work}`, 'PS1=outer$ ']

const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' })

t.teardown(() => {
  try {
    execFileSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'down', '--all'], { env: { ...process.env, NSLAB_STATE_DIR: state }, stdio: 'ignore' })
    execFileSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'gc'], { env: { ...process.env, NSLAB_STATE_DIR: state }, stdio: 'ignore' })
  } catch {
    // reported by the tests
  }
  let socket: string | undefined
  try {
    socket = tmux('display-message', '-p', '#{socket_path}').trim()
    tmux('kill-server')
  } catch {
    // already gone
  }
  // kill-server leaves the socket file behind.
  if (socket?.endsWith(SOCKET)) rmSync(socket, { force: true })
  rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
})

/** A tmux pane read as a person reads it: the whole scrollback, wrapped lines joined. */
class Pane {
  constructor(readonly target: string) {}

  text(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', this.target)
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trimEnd()
  }

  /** Type a line and Enter; wait for the prompt to come back (and `until` to show). The screen since then. */
  async type(line: string, prompt: RegExp, until_?: RegExp, timeoutMs = 30_000): Promise<string> {
    const before = this.text()
    const from = before.lastIndexOf('\n') + 1
    tmux('send-keys', '-t', this.target, '-l', line)
    tmux('send-keys', '-t', this.target, 'Enter')
    return await until(
      `"${until_ ?? prompt}" after typing "${line}"`,
      () => {
        const out = this.text().slice(from)
        const lines = out.split('\n')
        const last = lines[lines.length - 1] ?? ''
        return lines.length > 1 && prompt.test(last) && (!until_ || until_.test(out)) ? out : undefined
      },
      timeoutMs,
      100,
    )
  }

  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<string> {
    return await until(`"${re}" on the screen of ${this.target}`, () => (re.test(this.text()) ? this.text() : undefined), timeoutMs, 100)
  }
}

const OUTER = /^outer\$$/
const inner = (progress = '[^\\]]+') => new RegExp(`^\\[snat-outbound ${progress}\\] root@[^:]+:[^#]*#$`)

const snatFile = join(ROOT, 'labs/snat-outbound.md')

t.test('a learner works through the SNAT lab in a terminal', { skip: existsSync(snatFile) ? false : 'labs/snat-outbound.md is not there' }, async (t) => {
  const before = machineState()
  const lab = parseLab(readFileSync(snatFile), snatFile).lab!
  const { tasks } = labTasks(lab)
  const total = tasks.length
  tmux('-f', join(work, 'tmux.conf'), 'new-session', '-d', '-s', 'learner', '-n', 'shell', '-x', '200', '-y', '50', '-c', ROOT, '--', 'env', '-i', ...env, 'TERM=xterm-256color', 'bash', '--norc', '--noprofile', '-i')
  const pane = new Pane('learner:shell')
  await pane.waitFor(/outer\$/)

  let out = await pane.type('nslab up snat-outbound', OUTER, /snat-outbound is up/, 60_000)
  t.match(out, /✓ snat-outbound is up: SNAT — how a container reaches the outside world/)
  t.match(out, new RegExp(`── Task 1 of ${total} · SNAT outbound ─`))
  t.match(out, /\nSNAT outbound\n/, 'the heading, rendered')
  t.notMatch(out, /^# SNAT|```/m, 'no raw Markdown')
  const session = JSON.parse(readFileSync(join(state, 'snat-outbound.json'), 'utf8')) as { sandbox: { pid: number } }
  const procs = sandboxProcesses(session.sandbox.pid)

  out = await pane.type('nslab check', OUTER, /Task 1 of/)
  t.match(out, new RegExp(`✓ Task 1 of ${total} · SNAT outbound — done`), 'nslab check outside the lab shell')

  out = await pane.type('nslab shell', inner(`1/${total}`))
  t.match(out, /snat-outbound: a shell on the lab host, task 2 of/)

  let wrongDone = false
  for (const task of tasks.slice(1)) {
    const n = task.index + 1
    const blocks = task.blocks.map((i) => lab.blocks[i]!).filter((b): b is ScriptBlock => b.kind === 'script' && b.role !== 'setup')
    for (const b of blocks) {
      if (b.role === 'solution' && !wrongDone) {
        // A wrong answer first: traffic out of docker0 is let through, its replies are not.
        wrongDone = true
        await pane.type('iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT', inner())
        out = await pane.type('nslab check', inner(), /Task \d+ of/)
        t.match(out, new RegExp(`✗ Task ${n} of ${total} · ${task.title} — not done yet`), 'the wrong answer does not pass')
        t.match(out, /✗ box1 /, 'what was seen, in a sentence')
        const check = lab.blocks[task.checkBlock]
        const hint = check?.kind === 'check' ? check.hint : undefined
        t.ok(hint, 'the exercise has a hint')
        t.ok(out.replace(/\s+/g, ' ').includes(`Hint: ${hint}`), 'the hint is on the screen')
        t.match(out, new RegExp(`Progress: ${n - 1} of ${total} tasks done`))
        t.match(out.split('\n').pop() ?? '', inner(`${n - 1}/${total}`), 'the prompt still shows the progress before')
      }
      if (b.content.includes('<<')) throw new Error(`line ${b.line}: a heredoc in a step; type it differently`)
      for (const raw of b.content.split('\n')) {
        const line = raw.trim()
        if (line === '' || line.startsWith('#')) continue
        const typed = `${b.on === 'host' ? '' : `on ${b.on} `}${line}${b.background ? ' &' : ''}`
        await pane.type(typed, inner())
      }
    }
    out = await pane.type('nslab check', inner(), /Task \d+ of/)
    t.match(out, new RegExp(`✓ Task ${n} of ${total} · [^\\n]* — done`), `task ${n} passes`)
    t.match(out.split('\n').pop() ?? '', inner(n === total ? `${n}/${total} done` : `${n}/${total}`), 'the prompt shows the progress')
  }
  t.ok(wrongDone, 'the lab has an exercise')
  t.match(out, new RegExp(`All ${total} tasks done: SNAT`), 'the end of the lab')
  t.match(out, /What you saw/, 'with its closing prose')

  out = await pane.type('exit', OUTER)
  t.match(out, /Left the lab shell; snat-outbound is still up/)
  out = await pane.type('nslab status', OUTER)
  t.match(out, new RegExp(`snat-outbound +SNAT — how a container reaches the outside … +\\d+ (s|min) +${total}/${total} +up`))

  out = await pane.type('nslab down', OUTER)
  t.match(out, /snat-outbound is down\./)
  await until('every process of the lab host to end', () => stillRunning(procs).length === 0, 5000)
  t.same(stillRunning(procs), [], 'nothing of the lab runs')
  const after = machineState()
  t.equal(after.netns, before.netns, "the machine's ip netns list is unchanged")
  t.equal(after.links, before.links, "the machine's ip -o link is unchanged")
  t.equal(after.iptables, before.iptables, "the machine's iptables are unchanged")
})

t.test('check --watch: a live task list in a second terminal', async (t) => {
  const tiny = join(FIXTURES, 'tiny.md')
  try {
    tmux('has-session', '-t', 'learner')
  } catch {
    tmux('-f', join(work, 'tmux.conf'), 'new-session', '-d', '-s', 'learner', '-n', 'shell', '-x', '200', '-y', '50', '-c', ROOT, '--', 'env', '-i', ...env, 'TERM=xterm-256color', 'bash', '--norc', '--noprofile', '-i')
  }
  const pane = new Pane('learner:shell')
  await pane.waitFor(/outer\$/)
  await pane.type(`nslab up ${tiny}`, OUTER, /tiny is up/, 60_000)
  // Its exit status goes to a file: tmux may drop a dead pane before it can be asked.
  const statusFile = join(state, 'watch-status')
  tmux('new-window', '-d', '-t', 'learner', '-n', 'watch', '-c', ROOT, '--', 'env', '-i', ...env, 'TERM=xterm-256color', 'sh', '-c', 'nslab check --watch; echo $? > "$0"; sleep 30', statusFile)
  const watch = new Pane('learner:watch')
  let screen = await watch.waitFor(/▸ 2 +Give box1 a second address/)
  t.match(screen, /✓ 1 +A tiny lab/, 'task 1 passed by itself, latched')
  t.match(screen, /· 3 +Exercise: a namespace/, 'task 3 is still ahead')
  screen = await watch.waitFor(/Hint: ip addr add ADDRESS\/16 dev eth0, on box1/)
  t.match(screen, /✗ Task 2 of 3 · Give box1 a second address — not done yet/)

  await pane.type('nslab shell -- ip netns exec box1 ip addr add 172.17.0.99/16 dev eth0', OUTER)
  screen = await watch.waitFor(/▸ 3 +Exercise: a namespace/, 10_000)
  t.match(screen, /✓ 2 +Give box1 a second address/, 'the list redraws by itself')
  await pane.type('nslab shell -- ip netns add extra', OUTER)
  screen = await watch.waitFor(/All 3 tasks done/, 10_000)
  t.match(screen, /✓ 3 +Exercise: a namespace/)
  const status = await until('nslab check --watch to end', () => {
    try {
      return readFileSync(statusFile, 'utf8').trim() || undefined
    } catch {
      return undefined
    }
  })
  t.equal(status, '0', '--watch exits 0 once every task passed')
  const out = await pane.type('nslab check', OUTER)
  t.match(out, /All 3 tasks of tiny are done/)
  await pane.type('nslab down', OUTER, /tiny is down/)
})

t.test('a killed nslab up, then nslab gc: nothing is left', async (t) => {
  const before = machineState()
  const pane = new Pane('learner:shell')
  await pane.waitFor(/outer\$/)
  const from = pane.text().length
  tmux('send-keys', '-t', pane.target, '-l', `nslab up ${join(FIXTURES, 'slow-setup.md')}`)
  tmux('send-keys', '-t', pane.target, 'Enter')
  const file = join(state, 'slow-setup.json')
  const s = await until('the session to name its lab host', () => {
    try {
      const x = JSON.parse(readFileSync(file, 'utf8')) as { sandbox: { pid: number }; upPid: number }
      return x.sandbox.pid > 1 ? x : undefined
    } catch {
      return undefined
    }
  })
  await until('the setup to be running', () => sandboxProcesses(s.sandbox.pid).length >= 3, 5000)
  const procs = sandboxProcesses(s.sandbox.pid)
  process.kill(s.upPid, 'SIGKILL')
  await until('the shell to report the kill', () => /Killed/.test(pane.text().slice(from)) && OUTER.test(pane.text().split('\n').pop() ?? ''))
  t.ok(stillRunning(procs).length > 0, 'the lab host outlived the killed nslab up')
  let out = await pane.type('nslab status', OUTER)
  t.match(out, /slow-setup .* interrupted \(nslab gc\)/)
  out = await pane.type('nslab gc', OUTER)
  t.match(out, /removed slow-setup: its setup was cut short; ended its lab host/)
  await until('every process of the lab host to end', () => stillRunning(procs).length === 0, 5000)
  t.same(stillRunning(procs), [], 'nothing of the lab runs')
  out = await pane.type('nslab status', OUTER)
  t.match(out, /No labs are up/)
  const after = machineState()
  t.equal(after.netns, before.netns, "the machine's ip netns list is unchanged")
  t.equal(after.links, before.links, "the machine's ip -o link is unchanged")
})
