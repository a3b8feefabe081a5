// Learner mode from the command line, on real lab hosts: up, shell -- CMD,
// check (failing with hint and evidence, then passing, latched), hint, solve,
// reset, status, down, gc after a SIGKILL, several labs and users at once.
import t from 'tap'
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { machineState } from '../helpers/machine-state.js'
import { sandboxProcesses, stillRunning } from '../helpers/namespace-traces.js'
import { FIXTURES, learner, requireBuild, until } from '../helpers/learner-cli.js'

requireBuild()
const TINY = join(FIXTURES, 'tiny.md')
const SLOW = join(FIXTURES, 'slow-setup.md')
const before = machineState()

t.test('a whole lab: up, shell, check, hint, solve, reset, down', async (t) => {
  const L = learner()
  t.teardown(() => L.cleanup())

  const up = L.nslab(['up', TINY])
  t.equal(up.code, 0, up.stderr)
  t.match(up.stdout, /✓ tiny is up: Tiny learner lab/)
  t.match(up.stdout, /Task 1 of 3 · A tiny lab/, 'the first task, with its title')
  t.match(up.stdout, /A tiny lab\n=+\n\nThe setup has left a file in `\/root`:/, 'its prose, rendered for a terminal')
  t.notMatch(up.stdout, /```|sh setup|echo "set up"/, 'no raw Markdown, no setup script')
  t.match(up.stdout, /nslab shell .*nslab check/)

  const s = L.sessions().tiny
  t.ok(s && s.sandbox.pid > 1 && s.ready === true, 'the session names its lab host, ready')
  const procs = sandboxProcesses(s!.sandbox.pid)
  t.ok(procs.length >= 1, 'the lab host runs after nslab up ended')

  const st = L.nslab(['status'])
  t.match(st.stdout, /^NAME\s+LAB\s+AGE\s+PROGRESS\s+STATE\ntiny\s+Tiny learner lab\s+\d+ s\s+0\/3\s+up$/m)

  const sh = L.nslab(['shell', '--', 'cat /root/setup-ran; hostname; exit 3'])
  t.equal(sh.code, 3, 'shell -- CMD exits with the status of the command line')
  t.equal(sh.stdout, 'set up\ntiny\n', 'it ran on the lab host, after the setup')
  const on = L.nslab(['shell', 'tiny', '--on', 'box1', '--', 'ip -4 -o addr show dev eth0 | grep -o "inet [0-9./]*"'])
  t.equal(on.stdout, 'inet 172.17.0.2/16\n', '--on runs it on a container')

  // Task 1 passes as it is (the setup did it); the next task is shown.
  let c = L.nslab(['check'])
  t.equal(c.code, 1, 'exit 1 while tasks remain')
  t.match(c.stdout, /✓ Task 1 of 3 · A tiny lab — done/)
  t.match(c.stdout, /Task 2 of 3 · Give box1 a second address/)
  t.match(c.stdout, /on box1 \(in the lab shell, `on box1` opens a shell there/)
  t.match(c.stdout, /box1\$ ip addr add 172\.17\.0\.99\/16 dev eth0/, 'the step, as a command to type on box1')

  // Task 2 is not done: the hint and what was seen.
  c = L.nslab(['check'])
  t.equal(c.code, 1)
  t.match(c.stdout, /✗ Task 2 of 3 · Give box1 a second address — not done yet/)
  t.match(c.stdout, /✗ .*box1.*eth0.*172\.17\.0\.99/, 'the check says what it saw, in a sentence')
  t.match(c.stdout, /\$ .*ip .*→ exit 0\n\s+.*172\.17\.0\.2/, 'the evidence: the command and what it printed')
  t.match(c.stdout, /Hint: ip addr add ADDRESS\/16 dev eth0, on box1/)
  t.match(c.stdout, /Progress: 1 of 3 tasks done/)
  t.ok(c.ms < 10_000, `a failing check answers within its window (${Math.round(c.ms)} ms)`)

  // A wrong answer first, then the right one.
  const wrong = L.nslab(['shell', '--on', 'box1', '--', 'ip addr add 172.17.0.98/16 dev eth0'])
  t.equal(wrong.code, 0, wrong.stderr)
  c = L.nslab(['check'])
  t.match(c.stdout, /✗ Task 2 of 3/, 'a wrong answer does not pass')
  const right = L.nslab(['shell', '--', 'ip netns exec box1 ip addr add 172.17.0.99/16 dev eth0'])
  t.equal(right.code, 0, right.stderr)
  c = L.nslab(['check'])
  t.equal(c.code, 1)
  t.match(c.stdout, /✓ Task 2 of 3 · Give box1 a second address — done/)
  t.match(c.stdout, /── Task 3 of 3 · Exercise: a namespace ─+\n/)
  t.match(c.stdout, /Make a network namespace called `extra` on the lab host\./)
  t.notMatch(c.stdout, /ip netns add extra/, 'the solution of an exercise is not shown')
  t.match(c.stdout, /\(your turn/)
  t.match(L.nslab(['status']).stdout, /tiny .* 2\/3 +up/)

  const h = L.nslab(['hint'])
  t.equal(h.code, 0)
  t.match(h.stdout, /Hint for Task 3 of 3 · Exercise: a namespace:\n\s+ip netns add NAME makes one/)

  const solve = L.nslab(['solve'])
  t.equal(solve.code, 0, solve.stderr)
  t.match(solve.stdout, /Solving Task 3 of 3[^\n]*\n\s+\$ ip netns add extra/, 'solve shows what it runs')
  t.match(solve.stdout, /✓ Task 3 of 3 · Exercise: a namespace — done \(solved with help\)/)
  t.match(solve.stdout, /All 3 tasks done: Tiny learner lab\. \(1 solved with help\)/)
  t.match(solve.stdout, /Well done: that was the lab\./, 'the end of the lab is shown')
  t.same(L.sessions().tiny?.solved, [2], 'marked solved with help')
  t.match(L.nslab(['status']).stdout, /3\/3 \(1 with help\)/)
  t.equal(L.nslab(['shell', '--', 'cat /run/.nslab/progress']).stdout, '3/3 done\n', 'the prompt can show the progress')

  // Passed tasks stay passed, whatever happens on the host afterwards.
  L.nslab(['shell', '--', 'ip -n box1 addr del 172.17.0.99/16 dev eth0; ip netns del extra'])
  c = L.nslab(['check'])
  t.equal(c.code, 0, 'exit 0 once every task has passed')
  t.match(c.stdout, /All 3 tasks of tiny are done/)

  const oldPid = L.sessions().tiny!.sandbox.pid
  const reset = L.nslab(['reset'])
  t.equal(reset.code, 0, reset.stderr)
  t.match(reset.stdout, /tiny was reset: a fresh lab host, progress cleared\.\n\n.*Task 1 of 3/)
  const fresh = L.sessions().tiny!
  t.not(fresh.sandbox.pid, oldPid, 'a new lab host')
  t.same(fresh.passed, [])
  t.same(stillRunning(procs), [], 'nothing of the old lab host runs')
  t.equal(L.nslab(['shell', '--', 'ip -n box1 -4 -o addr show dev eth0 | grep -c inet']).stdout, '1\n', 'the fresh host has none of the old changes')
  const freshProcs = sandboxProcesses(fresh.sandbox.pid)

  const down = L.nslab(['down'])
  t.equal(down.code, 0)
  t.equal(down.stdout, 'tiny is down.\n')
  t.same(L.sessions(), {}, 'the session is gone')
  await until('the lab host to end', () => stillRunning(freshProcs).length === 0, 5000)
  t.match(L.nslab(['status']).stdout, /No labs are up/)
  const again = L.nslab(['check'])
  t.equal(again.code, 2)
  t.match(again.stderr, /no lab is up/)
})

t.test('several labs at once, and a name taken', async (t) => {
  const L = learner()
  t.teardown(() => L.cleanup())
  t.equal(L.nslab(['up', TINY, '--name', 'one']).code, 0)
  t.equal(L.nslab(['up', TINY, '--name', 'two']).code, 0)
  const taken = L.nslab(['up', TINY, '--name', 'one'])
  t.equal(taken.code, 2)
  t.match(taken.stderr, /a lab named "one" is already up/)
  const s = L.sessions()
  t.not(s.one?.sandbox.pid, s.two?.sandbox.pid)
  t.equal(L.nslab(['shell', 'one', '--', 'hostname']).stdout, 'one\n')
  t.equal(L.nslab(['shell', 'two', '--', 'hostname']).stdout, 'two\n')
  // What one learner does in one lab is not seen in the other.
  L.nslab(['shell', 'one', '--', 'ip netns add extra'])
  t.equal(L.nslab(['shell', 'two', '--', 'ip netns list | grep -c extra; true']).stdout, '0\n')
  const which = L.nslab(['check'])
  t.equal(which.code, 2, 'no NAME with two labs up is a usage error')
  t.match(which.stderr, /2 labs are up \(one, two\): name one/)
  t.match(L.nslab(['check', 'two']).stdout, /✓ Task 1 of 3/)
  t.match(L.nslab(['status']).stdout, /one .* 0\/3 +up\ntwo .* 1\/3 +up/)
  const procs = [...sandboxProcesses(s.one!.sandbox.pid), ...sandboxProcesses(s.two!.sandbox.pid)]
  const down = L.nslab(['down', '--all'])
  t.equal(down.stdout, 'one is down.\ntwo is down.\n')
  await until('both lab hosts to end', () => stillRunning(procs).length === 0, 5000)
})

t.test('two learners never see each other’s labs', async (t) => {
  const A = learner()
  const B = learner()
  t.teardown(() => {
    A.cleanup()
    B.cleanup()
  })
  t.equal(A.nslab(['up', TINY]).code, 0)
  t.equal(B.nslab(['up', TINY]).code, 0, 'the same name for another learner is no collision')
  t.not(A.sessions().tiny?.sandbox.pid, B.sessions().tiny?.sandbox.pid)
  A.nslab(['check'])
  t.match(A.nslab(['status']).stdout, /1\/3/)
  t.match(B.nslab(['status']).stdout, /0\/3/)
  t.equal(B.nslab(['down']).code, 0)
  t.match(A.nslab(['status']).stdout, /tiny .* up/, "B's down left A's lab up")
})

t.test('gc after nslab up was SIGKILLed during setup', async (t) => {
  const L = learner()
  t.teardown(() => L.cleanup())
  const up = L.start(['up', SLOW])
  // The session names the lab host from the moment it exists.
  const s = await until('the session to name its lab host', () => {
    const x = L.sessions()['slow-setup']
    return x && x.sandbox.pid > 1 ? x : undefined
  })
  t.equal(s.ready, false)
  t.equal(s.upPid, up.pid)
  await until('the setup to be running', () => sandboxProcesses(s.sandbox.pid).length >= 3, 5000)
  const procs = sandboxProcesses(s.sandbox.pid)
  t.match(L.nslab(['status']).stdout, /slow-setup .* starting/)
  up.kill('SIGKILL')
  await new Promise((r) => up.once('exit', r))
  t.match(L.nslab(['status']).stdout, /slow-setup .* interrupted \(nslab gc\)/)
  t.ok(stillRunning(procs).length > 0, 'a killed nslab up leaves its lab host behind')
  const gc = L.nslab(['gc'])
  t.equal(gc.code, 0)
  t.match(gc.stdout, /^removed slow-setup: its setup was cut short; ended its lab host \(pid \d+\)$/m)
  await until('every process of the lab host to end', () => stillRunning(procs).length === 0, 5000)
  t.same(L.sessions(), {})
  t.equal(L.nslab(['gc']).stdout, 'Nothing to clean up.\n')
})

t.test('gc after the lab host itself was SIGKILLed', async (t) => {
  const L = learner()
  t.teardown(() => L.cleanup())
  t.equal(L.nslab(['up', TINY, '--name', 'victim']).code, 0)
  t.equal(L.nslab(['up', TINY, '--name', 'survivor']).code, 0)
  const pid = L.sessions().victim!.sandbox.pid
  const procs = sandboxProcesses(pid)
  process.kill(pid, 'SIGKILL')
  await until('the killed lab host to end', () => stillRunning(procs).length === 0, 5000)
  const c = L.nslab(['check', 'victim'])
  t.equal(c.code, 3)
  t.match(c.stderr, /the lab host of victim is gone/)
  t.match(L.nslab(['status']).stdout, /victim .* gone \(nslab gc\)\nsurvivor .* up/)
  const gc = L.nslab(['gc'])
  t.equal(gc.stdout, `removed victim: its lab host was gone (pid ${pid})\n`)
  t.same(Object.keys(L.sessions()), ['survivor'], 'gc leaves a lab that is up alone')
})

t.test('usage errors say what to do', async (t) => {
  const L = learner()
  t.teardown(() => L.cleanup())
  let r = L.nslab(['up', 'no-such-lab'])
  t.equal(r.code, 2)
  t.match(r.stderr, /no such lab: no-such-lab \(labs: .*snat-outbound/)
  r = L.nslab(['up', TINY, '--name', '../evil'])
  t.equal(r.code, 2)
  t.match(r.stderr, /"\.\.\/evil" cannot name a lab/)
  r = L.nslab(['shell', 'nothing', '--', 'true'])
  t.equal(r.code, 2)
  t.match(r.stderr, /no lab named "nothing" is up/)
  r = L.nslab(['check', '--help'])
  t.equal(r.code, 0)
  t.match(r.stdout, /Usage: nslab check \[NAME\] \[--watch\]/)
  t.same(L.sessions(), {}, 'nothing was left behind')
})

t.test('as an ordinary user', async (t) => {
  if (process.getuid?.() !== 0) {
    // Already one: the tests above were it.
    t.pass('the tests run as an ordinary user')
    return
  }
  const L = learner({ uid: 65534 })
  const R = learner()
  t.teardown(() => {
    L.cleanup()
    R.cleanup()
  })
  // root has a lab of the same name up at the same time: no collision.
  t.equal(R.nslab(['up', TINY]).code, 0)
  const up = L.nslab(['up', TINY])
  t.equal(up.code, 0, up.stderr)
  t.equal(statSync(L.state).uid, 65534, "the learner's own state folder")
  t.equal(statSync(L.state).mode & 0o777, 0o700, 'readable by that learner only')
  t.equal(L.nslab(['shell', '--', 'id -u; cat /root/setup-ran']).stdout, '0\nset up\n', 'root inside, as the lab expects')
  t.match(L.nslab(['check']).stdout, /✓ Task 1 of 3/)
  t.equal(L.nslab(['shell', '--', 'cat /run/.nslab/progress']).stdout, '1/3\n')
  const s = L.sessions().tiny!
  const procs = sandboxProcesses(s.sandbox.pid)
  t.equal(L.nslab(['down']).code, 0)
  await until('the lab host to end', () => stillRunning(procs).length === 0, 5000)
  t.match(R.nslab(['status']).stdout, /tiny .* up/, "root's lab of the same name is still up")
})

t.test('a session folder that is not the user’s own is refused', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root: folders owned by another user, and setpriv', () => {})
    return
  }
  // The default place, $XDG_RUNTIME_DIR/nslab-UID, as /tmp is: anyone may make things in it.
  const at = (L: ReturnType<typeof learner>, uid: number) => {
    const run = join(dirname(L.state), 'run')
    mkdirSync(run)
    chmodSync(run, 0o1777)
    delete L.env.NSLAB_STATE_DIR
    L.env.XDG_RUNTIME_DIR = run
    return join(run, `nslab-${uid}`)
  }
  const R = learner()
  t.teardown(() => R.cleanup())
  const dir = at(R, 0)

  // Absent: made, 0700, root's own.
  t.equal(R.nslab(['status']).code, 0)
  t.equal(lstatSync(dir).mode & 0o777, 0o700, 'made with mode 0700')
  rmSync(dir, { recursive: true })

  // Someone else's (a lab root ran for that user, or a user who got there first).
  mkdirSync(dir, { mode: 0o700 })
  writeFileSync(join(dir, 'planted.json'), '{}')
  chownSync(dir, 65534, 65534)
  let r = R.nslab(['status'])
  t.equal(r.code, 3, 'refused, as a machine problem')
  t.match(r.stderr, new RegExp(`will not keep its sessions in ${dir}: it belongs to uid 65534, not to you \\(uid 0\\)`))
  t.match(r.stderr, /fix: remove .* or set NSLAB_STATE_DIR/, 'it says what to do')
  t.notMatch(r.stdout, /planted/)
  rmSync(dir, { recursive: true })

  // Open to others: 0777.
  mkdirSync(dir)
  chmodSync(dir, 0o777)
  r = R.nslab(['status'])
  t.equal(r.code, 3)
  t.match(r.stderr, /others may use it \(mode 0777, not 0700\)/)
  rmSync(dir, { recursive: true })

  // A link, even to a folder of root's own with the right mode.
  const elsewhere = join(dirname(R.state), 'elsewhere')
  mkdirSync(elsewhere, { mode: 0o700 })
  symlinkSync(elsewhere, dir)
  r = R.nslab(['status'])
  t.equal(r.code, 3)
  t.match(r.stderr, /it is a symbolic link/)
  t.equal(readdirSync(elsewhere).length, 0, 'nothing was made through it')
  rmSync(dir)

  // NSLAB_STATE_DIR given: the same checks, as a usage problem.
  R.env.NSLAB_STATE_DIR = elsewhere
  chmodSync(elsewhere, 0o755)
  r = R.nslab(['status'])
  t.equal(r.code, 2)
  t.match(r.stderr, new RegExp(`will not keep its sessions in ${elsewhere}: others may use it \\(mode 0755`))
  t.match(r.stderr, /fix: set NSLAB_STATE_DIR to a folder of your own/)
  chmodSync(elsewhere, 0o700)
  t.equal(R.nslab(['status']).code, 0, 'once it is 0700, it is used')

  // An ordinary user whose folder root made (the attack of issue 12): refused; their own: used.
  const U = learner({ uid: 65534 })
  t.teardown(() => U.cleanup())
  const theirs = at(U, 65534)
  mkdirSync(theirs, { mode: 0o700 })
  r = U.nslab(['status'])
  t.equal(r.code, 3)
  t.match(r.stderr, /it belongs to uid 0, not to you \(uid 65534\)/)
  rmSync(theirs, { recursive: true })
  r = U.nslab(['status'])
  t.equal(r.code, 0, r.stderr)
  t.equal(lstatSync(theirs).uid, 65534, 'made by and for that user')
  t.equal(lstatSync(theirs).mode & 0o777, 0o700)
})

t.test("this machine's own network is as it was", async (t) => {
  const after = machineState()
  t.equal(after.netns, before.netns, 'ip netns list')
  t.equal(after.links, before.links, 'ip -o link')
  t.equal(after.addrs, before.addrs)
  t.equal(after.routes, before.routes)
  t.equal(after.iptables, before.iptables)
})
