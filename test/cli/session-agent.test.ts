// The session agent (runner/cli/session-agent.ts) and the launcher's check
// client (runner/cli/check-client.pl): `nslab check`, typed as a learner
// types it (the launcher run as a program), is answered by the agent that
// nslab up started, the same as node would answer; anything the agent does
// not serve, and no agent, runs node. A `node` on PATH that exits 99 shows
// which ran: the agent itself was started with the real one.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t, { type Test } from 'tap'
import { CLI, FIXTURES, learner, requireBuild, ROOT, until, type Learner } from '../helpers/learner-cli.js'

requireBuild()
const TINY = join(FIXTURES, 'tiny.md')
const fake = mkdtempSync(join(tmpdir(), 'nslab-fake-node-'))
writeFileSync(join(fake, 'node'), '#!/bin/sh\nexit 99\n', { mode: 0o755 })
t.teardown(() => rmSync(fake, { recursive: true, force: true }))

/** The launcher run as a program, as `nslab` is typed; with the node that exits 99 first on PATH unless realNode. */
function typed(l: Learner, args: string[], o: { env?: NodeJS.ProcessEnv; bin?: string; realNode?: boolean } = {}) {
  const PATH = o.realNode ? l.env.PATH : `${fake}:${l.env.PATH}`
  const r = spawnSync(o.bin ?? CLI, args, { cwd: ROOT, env: { ...l.env, PATH, ...o.env }, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/** The pid of the agent of this learner's folder of sessions, if one runs. */
function agentPid(l: Learner): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      if (!argv.includes('__agent')) continue
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`NSLAB_STATE_DIR=${l.state}`) && !/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))) return Number(d)
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

/** nslab up of the tiny lab as "a"; the agent's pid once it listens. */
async function upTiny(t: Test, l: Learner): Promise<number> {
  const up = l.nslab(['up', TINY, '--name', 'a'])
  t.equal(up.code, 0, up.stderr)
  return await listening(l)
}

/** The agent's pid once it listens. */
const listening = (l: Learner) => until('the agent', () => existsSync(join(l.state, 'agent.sock')) && agentPid(l))

t.test('nslab up starts the agent; nslab check is its answer, as node gives it, and nslab down ends it', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  const pid = await upTiny(t, l)
  const sock = join(l.state, 'agent.sock')
  t.ok(statSync(sock).isSocket(), 'its socket is in the folder of sessions')
  t.equal(statSync(sock).mode & 0o777, 0o600, 'only its owner can connect')
  const first = typed(l, ['check'])
  t.equal(first.code, 1, first.stderr)
  t.match(first.stdout, /Task 1 of 3 .* done/, 'task 1 passes (the setup made its file)')
  // Task 2 (an address on box1) fails until it is typed.
  const byAgent = typed(l, ['check'])
  t.equal(byAgent.code, 1, `a task not done: exit 1 ${byAgent.stderr}`)
  t.match(byAgent.stdout, /172\.17\.0\.99/, 'what was looked for')
  t.match(byAgent.stdout, /nslab hint/, 'and how to get a hint')
  const byNode = l.nslab(['check'])
  t.equal(byNode.code, byAgent.code)
  t.equal(byAgent.stdout.replace(/\d+ ms/g, 'N ms'), byNode.stdout.replace(/\d+ ms/g, 'N ms'), 'the same text node prints')
  t.equal(byAgent.stderr, byNode.stderr)
  const none = typed(l, ['check', 'nosuch'])
  t.equal(none.code, 2)
  t.equal(none.stderr, l.nslab(['check', 'nosuch']).stderr, 'an error: the same words and status as node')
  const typedIn = l.nslab(['shell', 'a', '--on', 'box1', '--', 'ip', 'addr', 'add', '172.17.0.99/16', 'dev', 'eth0'])
  t.equal(typedIn.code, 0, typedIn.stderr)
  const passed = typed(l, ['check', 'a', '--verbose'])
  t.equal(passed.code, 1, `one task is left ${passed.stderr}`)
  t.match(passed.stdout, /172\.17\.0\.99/)
  t.match(passed.stdout, /Exercise: a namespace/, 'the next task is shown')
  t.same(l.sessions().a?.passed, [0, 1], 'the task is latched in the session')
  t.equal(agentPid(l), pid, 'one agent served them all')
  const down = l.nslab(['down', 'a'])
  t.equal(down.code, 0, down.stderr)
  t.equal(agentPid(l), undefined, 'nslab down ended it before it returned')
  t.notOk(existsSync(sock), 'and its socket is gone')
})

t.test('a folder of sessions named from the current folder: the agent (which runs in /) finds it too', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  const rel = relative(ROOT, l.state)
  const up = spawnSync(process.execPath, [CLI, 'up', TINY, '--name', 'a'], { cwd: ROOT, env: { ...l.env, NSLAB_STATE_DIR: rel }, encoding: 'utf8', timeout: 60_000 })
  t.equal(up.status, 0, up.stderr)
  await listening(l)
  const r = typed(l, ['check'], { env: { NSLAB_STATE_DIR: rel } })
  t.equal(r.code, 1, `answered by the agent ${r.stderr}`)
  t.match(r.stdout, /Task 1 of 3 .* done/)
})

t.test('from the lab shell, the agent cannot be reached: its socket is not in the lab host', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  await upTiny(t, l)
  const sock = join(l.state, 'agent.sock')
  // Root of the lab host, looking where the socket is on the machine, and for any socket of an nslab agent.
  const look = l.nslab(['shell', 'a', '--', `test -e ${sock} && echo SEEN; grep -l agent.sock /proc/net/unix 2>/dev/null; grep -c agent.sock /proc/net/unix; echo done`])
  t.equal(look.code, 0, look.stderr)
  t.notMatch(look.stdout, /SEEN/, 'the path is not there')
  t.match(look.stdout, /^0\ndone\n$/m, 'and no socket of that name is in its view of the sockets')
})

t.test('no NSLAB_STATE_DIR: the client finds the agent where nslab keeps sessions by default, $XDG_RUNTIME_DIR/nslab-UID', async (t) => {
  const l = learner()
  const runtime = mkdtempSync(join(tmpdir(), 'nslab-runtime-'))
  const env = { ...l.env, NSLAB_STATE_DIR: '', XDG_RUNTIME_DIR: runtime }
  const node = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 })
  t.teardown(() => {
    node(['down', '--all'])
    rmSync(runtime, { recursive: true, force: true })
    l.cleanup()
  })
  const up = node(['up', TINY, '--name', 'a'])
  t.equal(up.status, 0, up.stderr)
  const sock = join(runtime, `nslab-${process.getuid?.()}`, 'agent.sock')
  await until('the agent', () => existsSync(sock))
  const r = typed(l, ['check'], { env })
  t.equal(r.code, 1, `answered by the agent (node here exits 99) ${r.stderr}`)
  t.match(r.stdout, /Task 1 of 3 .* done/)
})

t.test('what the agent does not serve runs node', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  await upTiny(t, l)
  for (const args of [['check', '--watch'], ['check', '--help'], ['check', 'a', 'b'], ['status'], ['check', '--target', 'ssh://x@y']]) {
    t.equal(typed(l, args).code, 99, `nslab ${args.join(' ')}`)
  }
  t.equal(typed(l, ['check'], { env: { NSLAB_AGENT: '0' } }).code, 99, 'NSLAB_AGENT=0')
  t.equal(typed(l, ['check'], { env: { NSLAB_DEBUG: '1' } }).code, 99, 'NSLAB_DEBUG')
  // A folder of sessions that others can open is refused by nslab; the client does not use it either.
  const agent = agentPid(l)
  chmodSync(l.state, 0o755)
  t.equal(typed(l, ['check']).code, 99, 'a folder others can open')
  // Longer than the agent's look at the folder (every 0.5 s): a busy machine makes the window this long.
  await new Promise((r) => setTimeout(r, 1200))
  t.equal(agentPid(l), agent, 'the agent outlives a folder refused for a while (its labs are still up)')
  chmodSync(l.state, 0o700)
  t.equal(typed(l, ['check']).code, 1, 'served again')
})

t.test('an agent killed: check runs node, which starts another', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  const first = await upTiny(t, l)
  process.kill(first, 'SIGKILL')
  await until('the agent to be gone', () => agentPid(l) === undefined)
  t.ok(existsSync(join(l.state, 'agent.sock')), 'it left its socket')
  t.equal(typed(l, ['check']).code, 99, 'nobody answers on it: node')
  const r = typed(l, ['check'], { realNode: true })
  t.equal(r.code, 1, r.stderr)
  // A new socket may get the stale one's inode: the new agent is told by its answer.
  const second = await until('a new agent that answers', () => {
    const pid = agentPid(l)
    return pid !== undefined && pid !== first && typed(l, ['check']).code === 1 && pid
  })
  t.not(second, first, 'which answers')
  // Killed again: nslab gc removes the socket it left.
  process.kill(second, 'SIGKILL')
  await until('the agent to be gone', () => agentPid(l) === undefined)
  const gc = l.nslab(['gc'])
  t.match(gc.stdout, /^removed agent\.sock: its session agent was gone$/m, gc.stdout + gc.stderr)
  t.notOk(existsSync(join(l.state, 'agent.sock')))
})

t.test('a client of another build runs node, and the agent ends (nslab was rebuilt)', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  await upTiny(t, l)
  const dir = mkdtempSync(join(tmpdir(), 'nslab-other-build-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'dist/bin'), { recursive: true })
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  copyFileSync(join(ROOT, 'dist/bin/nslab-main.cjs'), join(dir, 'dist/bin/nslab-main.cjs'))
  const other = join(dir, 'dist/bin/nslab.cjs')
  const launcher = readFileSync(CLI, 'utf8')
  t.match(launcher, /^my \$build = '[0-9a-f]{16}';$/m, 'the launcher carries its build')
  writeFileSync(other, launcher.replace(/^my \$build = '[0-9a-f]{16}';$/m, "my $build = '0123456789abcdef';"), { mode: 0o755 })
  t.equal(typed(l, ['check'], { bin: other }).code, 99, 'node')
  await until('the agent to end', () => agentPid(l) === undefined)
  t.notOk(existsSync(join(l.state, 'agent.sock')), 'its socket is gone')
})

t.test('node runs the launcher as before: sh, JavaScript and perl read it each their way', async (t) => {
  const head = readFileSync(CLI, 'utf8').split('\n')
  t.equal(head[0], '#!/bin/sh')
  const perl = spawnSync('perl', ['-x', '-c', CLI], { encoding: 'utf8' })
  t.match(perl.stderr, /syntax OK/, 'perl -x finds the client, and it compiles')
  const v = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
  t.match(v.stdout, /^\d+\.\d+\.\d+\n$/, 'node dist/bin/nslab.cjs --version')
  const sh = spawnSync(CLI, ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
  t.equal(sh.stdout, v.stdout, 'dist/bin/nslab.cjs --version, run by sh')
})

t.test('typed nslab up: node starts without NODE_EXTRA_CA_CERTS, and what it starts has it back as the user set it', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  const certs = join(tmpdir(), `nslab-no-such-certs-${process.pid}.pem`)
  const up = typed(l, ['up', TINY, '--name', 'a'], { realNode: true, env: { NODE_EXTRA_CA_CERTS: certs } })
  t.equal(up.code, 0, up.stderr)
  t.notMatch(up.stderr, /extra certs/, 'node did not read it')
  const environ = readFileSync(`/proc/${await listening(l)}/environ`, 'utf8').split('\0')
  t.ok(environ.includes(`NODE_EXTRA_CA_CERTS=${certs}`), 'the agent nslab up started has it')
  t.notOk(environ.some((v) => v.startsWith('_NSLAB_')), 'and not the name it was kept under')
})

t.test('typed without NODE_EXTRA_CA_CERTS: what nslab starts does not get one from a stale copy of the launcher\'s', async (t) => {
  const l = learner()
  t.teardown(l.cleanup)
  const up = typed(l, ['up', TINY, '--name', 'a'], { realNode: true, env: { NODE_EXTRA_CA_CERTS: undefined, _NSLAB_NODE_EXTRA_CA_CERTS: '/stale.pem' } })
  t.equal(up.code, 0, up.stderr)
  const environ = readFileSync(`/proc/${await listening(l)}/environ`, 'utf8').split('\0')
  t.notOk(environ.some((v) => v.startsWith('NODE_EXTRA_CA_CERTS=') || v.startsWith('_NSLAB_')), 'neither name')
})
