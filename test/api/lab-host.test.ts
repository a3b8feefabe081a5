// The library's lab host: zx's `$` on each machine, inside the lab host, with
// zx's own semantics (quoting, nothrow, pipe, within, timeouts, kill), the
// command never on a command line; checks as a lab's; teardown always.
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { until } from '../helpers/until.js'
import { withWord } from '../helpers/with-word.js'
import { check, labHost, NslabError, zx, type LabHost } from '../../runner/api/index.js'
import { findProgram, PACKAGE_OF } from '../../runner/host/require-programs.js'
import { machineState } from '../helpers/machine-state.js'
import { sandboxProcesses, stillRunning } from '../helpers/namespace-traces.js'

const dir = mkdtempSync(join(tmpdir(), 'nslab-api-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const before = machineState()

/** pids of live processes (not this one) whose command line holds the word. */


let n = 0
const mark = () => `apimark${process.pid}x${++n}`

let host: LabHost
t.before(async () => {
  host = await labHost({ docker: true, containers: ['box1'], internet: true }, { name: 'api-test' })
})
t.teardown(() => host?.close())

t.test('$ runs on the host and on a container, inside the lab host', async (t) => {
  t.same(host.machines, ['host', 'box1', 'internet'])
  const rules = await host.$`iptables -t nat -S POSTROUTING`
  t.match(rules.stdout, /-A POSTROUTING -s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE/, "the lab host's docker rules")
  const ns = await host.$`readlink /proc/self/ns/net`
  t.not(ns.stdout.trim(), readlinkSync('/proc/self/ns/net'), 'not in this machine’s network namespace')
  const box1 = await host.on('box1').$`ip -o -4 addr show eth0`
  t.match(box1.stdout, /inet 172\.17\.0\.2\/16/, 'box1 has its own address')
  t.equal(host.on('box1').address, '172.17.0.2')
  const ping = await host.on('box1').$`ping -c 1 -W 2 internet`
  t.equal(ping.exitCode, 0, 'box1 reaches internet by name')
  const who = await host.$`id -u; echo $HOME; pwd; hostname`
  t.equal(who.stdout, '0\n/root\n/root\napi-test\n', 'root of the lab host, at home, with its hostname')
})

t.test('zx quotes what it interpolates: a value is one word, never code', async (t) => {
  const nasty = `a'b"c; $(touch /tmp/pwned) \`touch /tmp/pwned2\` \\ \n end`
  const r = await host.on('box1').$`printf %s ${nasty}`
  t.equal(r.stdout, nasty)
  const files = await host.$`ls /tmp`
  t.notMatch(files.stdout, /pwned/, 'nothing ran')
  const words = await host.$`printf '<%s>' ${['one two', 'three']}`
  t.equal(words.stdout, '<one two><three>', 'an array is several words')
})

t.test('exit statuses, nothrow, quiet and bash -euo pipefail are zx’s', async (t) => {
  const err = await host.on('box1').$`echo oops >&2; exit 3`.quiet().then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(err, 'a failing command rejects')
  const e = err as { exitCode: number; stderr: string; message: string }
  t.equal(e.exitCode, 3)
  t.equal(e.stderr, 'oops\n')
  t.match(e.message, /oops[^]*exit code: 3/, 'zx’s message')
  const ok = await host.$`exit 4`.nothrow()
  t.equal(ok.exitCode, 4, 'nothrow resolves')
  t.equal((await host.$`false | true`.nothrow()).exitCode, 1, 'pipefail, as zx sets it')
  t.equal((await host.$`echo $UNSET_VARIABLE`.nothrow().quiet()).exitCode, 1, 'nounset, as zx sets it')
  const noPrefix = await host.$({ prefix: '' })`false | true`
  t.equal(noPrefix.exitCode, 0, 'a prefix of its own replaces zx’s')
})

t.test('input, pipes between machines, and lines', async (t) => {
  t.equal((await host.$({ input: 'hello\n' })`cat`).stdout, 'hello\n', 'input reaches stdin')
  const sorted = await host.$`printf 'b\na\n'`.pipe(host.on('box1').$`sort; hostname -I`)
  t.equal(sorted.stdout, 'a\nb\n172.17.0.2 \n', 'from the host through sort on box1')
  t.same(await host.on('internet').$`ip -o -4 addr show | awk '{print $4}' | sort`.lines(), ['127.0.0.1/8', '198.51.100.1/24', '203.0.113.10/32'])
})

t.test('within: zx options set in a context apply to host.$ there, and only there', async (t) => {
  const { within, $ } = await zx()
  await within(async () => {
    $.nothrow = true
    t.equal((await host.$`exit 5`).exitCode, 5, 'nothrow from the context')
  })
  await t.rejects(host.$`exit 5`, { exitCode: 5 } as object as Error, 'outside it, a failure rejects again')
})

t.test('a timeout ends the whole tree inside the lab host', async (t) => {
  const word = mark()
  const t0 = performance.now()
  const r = await host.on('box1').$`(exec -a ${word}-child sleep 300) & exec -a ${word}-main sleep 300`.timeout('1s').nothrow()
  t.equal(r.signal, 'SIGTERM', 'ended by zx’s timeout signal')
  t.ok(performance.now() - t0 < 20_000, 'well before the sleeps end')
  t.ok(await until(() => withWord(word).length === 0), 'no process of it is left (child included)')
  const w2 = mark()
  const preset = await host.$({ timeout: '1s', nothrow: true })`exec -a ${w2} sleep 300`
  t.equal(preset.signal, 'SIGTERM', 'timeout as an option too')
  t.ok(await until(() => withWord(w2).length === 0), 'gone')
})

t.test('kill() and abort() end it', async (t) => {
  const word = mark()
  const p = host.$`exec -a ${word} sleep 300`
  t.ok(await until(() => withWord(word).length === 1), 'running')
  await p.kill()
  await t.rejects(p, { signal: 'SIGTERM' } as object as Error)
  t.ok(await until(() => withWord(word).length === 0), 'killed')
  const w2 = mark()
  const ac = new AbortController()
  const q = host.on('box1').$({ ac })`(exec -a ${w2} sleep 300) & wait`
  t.ok(await until(() => withWord(w2).length === 1), 'running')
  ac.abort()
  await t.rejects(q)
  t.ok(await until(() => withWord(w2).length === 0), 'aborted, its child too')
})

t.test('the command never appears on a command line', async (t) => {
  const word = mark()
  const p = host.on('box1').$`sleep 1; echo ${word}`
  // While it runs: nsenter, the loader's bash and sleep, none of them with the command.
  await new Promise((r) => setTimeout(r, 400))
  t.same(withWord(word), [], 'no cmdline on the machine holds it')
  t.equal((await p).stdout, `${word}\n`, 'yet it ran')
})

t.test('the environment is the lab’s, plus what the caller adds', async (t) => {
  process.env.NSLAB_API_LEAK = 'leaked'
  t.teardown(() => delete process.env.NSLAB_API_LEAK)
  const r = await host.$`echo "\${NSLAB_API_LEAK:-clean} $PATH $NSLAB_MACHINE"`
  t.equal(r.stdout, 'clean /run/.nslab/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin host\n', 'nothing of this process')
  const added = await host.on('box1').$({ env: { ...process.env, GREETING: 'hi there' } })`echo "$GREETING $NSLAB_MACHINE"`
  t.equal(added.stdout, 'hi there box1\n')
})

t.test('$.sync', async (t) => {
  const r = host.on('box1').$.sync`hostname -I`
  t.equal(r.stdout, '172.17.0.2 \n')
  t.equal(r.exitCode, 0)
  const q = host.$({ sync: true, quiet: true, nothrow: true })`echo err >&2; exit 2`
  t.equal(q.stderr, 'err\n')
  t.equal(q.exitCode, 2)
})

t.test('check: the lab format’s checks, sentences and evidence', async (t) => {
  const ok = await host.check('rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE')
  t.equal(ok.ok, true)
  t.equal(ok.sentence, 'nat POSTROUTING has the rule "-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"')
  t.ok(ok.evidence.length > 0, 'with evidence')
  t.ok((await check(host, 'ping box1 internet')).ok, 'check(host, line) is the same')
  const bad = await host.check('ping box1 203.0.113.99 within=1s')
  t.equal(bad.ok, false, 'a check that does not hold is a result, not an exception')
  t.match(bad.sentence, /box1 got no reply from 203\.0\.113\.99/)
  await host.on('box1').$`echo served; exit 7`.nothrow()
  t.equal((await host.check('exit 7')).ok, true, 'exit judges the last $ that ended')
  t.equal((await host.check('stdout /^serv/')).ok, true, 'stdout too')
  t.match((await host.check('exit 0')).sentence, /the step before \("echo served; exit 7"\) exited with 7, not 0/)
})

t.test('a bad check line is lint’s message, with its column', async (t) => {
  await t.rejects(host.check('rule nat POSTROUTING "-s 1'), { name: 'NslabError', code: 'LAB_INVALID', message: /a " opened at column 22 is never closed/ })
  await t.rejects(host.check('pnig box1 internet'), { code: 'LAB_INVALID', message: /unknown check "pnig" \(did you mean "ping"\?\)/ })
  await t.rejects(host.check('ping box2 internet'), { code: 'LAB_INVALID', message: /unknown machine "box2" \(did you mean "box1"\?\)/ })
  t.throws(() => host.on('box2'), { code: 'USAGE', message: /no machine "box2" in this lab host \(did you mean "box1"\?\)/ })
})

t.test('a topology the lab format refuses is lint’s message', async (t) => {
  await t.rejects(labHost({ dockr: true } as never), { code: 'LAB_INVALID', message: /dockr.*did you mean "docker"/ })
  await t.rejects(labHost({ containers: ['box1'] }), { code: 'LAB_INVALID', message: /containers need a bridge/ })
})

t.test('a lab host from a lab file’s front matter', async (t) => {
  const file = join(dir, 'two-boxes.md')
  writeFileSync(file, ['---', 'title: Two boxes', 'topology:', '  docker: true', '  containers:', '    box1: {}', '    web: {ip: 172.17.0.9}', '---', '', '```check', 'ping box1 web', '```', ''].join('\n'))
  await using lab = await labHost(file)
  t.same(lab.machines, ['host', 'box1', 'web'])
  t.equal(lab.lab.title, 'Two boxes')
  t.equal((await lab.on('web').$`hostname -I`).stdout, '172.17.0.9 \n')
  t.ok((await lab.check('ping box1 web')).ok)
  const broken = join(dir, 'broken.md')
  writeFileSync(broken, ['---', 'title: Broken', '---', '', '```check', 'pnig box1 web', '```', ''].join('\n'))
  await t.rejects(labHost(broken), { code: 'LAB_INVALID', message: new RegExp(`${broken}:6: unknown check "pnig"`) })
  await t.rejects(labHost(join(dir, 'nope.md')), { code: 'NOT_FOUND' })
})

t.test('a missing program is the command line’s error, with the Debian package', async (t) => {
  const missing = Object.keys(PACKAGE_OF).find((p) => p !== 'qemu' && !findProgram(p))
  if (!missing) return t.skip('every program nslab knows a package for is installed here', () => {})
  const file = join(dir, 'needs.md')
  writeFileSync(file, ['---', 'title: Needs', '---', '', '```sh step', `${missing} --version`, '```', ''].join('\n'))
  const e = await labHost(file).then(
    () => undefined,
    (x: unknown) => x,
  )
  t.ok(e instanceof NslabError)
  t.equal((e as NslabError).code, 'PREREQUISITE')
  t.match((e as NslabError).toString(), `this machine lacks \`${missing}\`\n  fix: apt-get install ${PACKAGE_OF[missing]}`)
})

t.test('limits hold for what $ runs, as for a lab’s steps', async (t) => {
  await using limited = await labHost({}, { limits: { maxProcs: 64 } })
  const word = mark()
  const p = limited.$`exec -a ${word} sleep 300`
  t.ok(await until(() => withWord(word).length === 1), 'running')
  const [pid] = withWord(word)
  if (process.getuid?.() === 0) {
    t.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), /^\d+:pids:.*\/nslab-run-\d+-\d+$/m, 'in the lab host’s pids cgroup')
  } else {
    t.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max processes\s+\d+/m)
    t.notMatch(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max processes\s+unlimited/m, 'with an RLIMIT_NPROC')
  }
  await p.kill()
  await p.catch(() => undefined)
})

t.test('await using and close() tear it down, also when the test throws', async (t) => {
  let pid = 0
  let procs: ReturnType<typeof sandboxProcesses> = []
  let kept: LabHost | undefined
  await t.rejects(
    (async () => {
      await using h = await labHost({ docker: true, containers: ['box1'] })
      kept = h
      pid = h.pid
      await h.on('box1').$`sleep 300 >/dev/null 2>&1 &`
      procs = sandboxProcesses(pid)
      throw new Error('the test failed')
    })(),
    { message: 'the test failed' },
  )
  t.ok(procs.length >= 3, `it had processes (${procs.length})`)
  t.same(stillRunning(procs), [], 'none is left')
  t.equal(kept?.closed, true)
  t.throws(() => kept!.$, { code: 'USAGE', message: /closed/ }, 'no $ on a closed host')
  await t.rejects(kept!.check('ping box1 host'), { code: 'USAGE' })
  await kept!.close()
  t.pass('close() again is harmless')
})

t.test('the machine is as it was', async (t) => {
  await host.close()
  t.same(machineState(), before)
})
