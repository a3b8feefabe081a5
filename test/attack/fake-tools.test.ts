// Issue 12, class 3: faked checks. An answer that does not do the task but
// puts fake `ping`, `iptables-save`, `iptables`, `sysctl` and `curl` first on
// the PATH (tmpfs over /usr/local/sbin and /usr/local/bin) and over the real
// programs (bind mounts) — scripts that print what passing checks read —
// must not raise the grade: the checks must not run the lab's own programs.
// As root and as an ordinary user: a step of `nslab run`, a graded answer
// (beside an honest one, which gets full marks), and learner mode.
import t from 'tap'
import { block, gradeLab, learnerOf, outputOf, runLab, writeClass, writeLab } from '../helpers/attack-doors.js'
import { fakeToolsAttack } from '../helpers/attack-scripts.js'
import { PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'

requireBuild()

const FRONT = ['topology:', '  docker: true', '  containers: [box1]', '  internet: true']
const SETUP = block('sh setup', 'iptables -t nat -F\nsysctl -w net.ipv4.ip_forward=0')
const HONEST = 'iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\nsysctl -w net.ipv4.ip_forward=1\niptables -P FORWARD ACCEPT\n'
const CHECKS = block('check', ['ping box1 internet', 'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', 'sysctl host net.ipv4.ip_forward 1', 'policy filter FORWARD ACCEPT'].join('\n'))
/** The lab: box1 has lost its way out (no SNAT, no forwarding); the exercise puts it back. */
const exerciseLab = (dir: string) => writeLab(dir, 'fake-tools', [SETUP, 'Give box1 its way out again.', block('sh solution id=fix timeout=60s', HONEST), CHECKS].join('\n'), FRONT)

for (const as of PEOPLE) {
  t.test(`as ${as}, nslab run: checks after fake tools still fail`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const lab = writeLab(s.dir, 'fake-tools-run', [SETUP, block('sh step timeout=60s', fakeToolsAttack()), CHECKS].join('\n'), FRONT)
    const { res, report } = await runLab(as, lab, { home: `${s.dir}/home` })
    const blocks = report?.labs[0]?.blocks ?? []
    t.match(outputOf(blocks), /ATTACK-BEGIN[\s\S]*ATTACK-END/, 'the fakes were put in place', { stdout: res.stdout, stderr: res.stderr })
    const checks = blocks.filter((b) => b.kind === 'check').flatMap((b) => b.checks)
    t.equal(checks.length, 4, 'the four checks ran')
    t.same(checks.filter((c) => c.ok).map((c) => c.sentence), [], 'none of them passed')
    t.equal(res.code, 1, 'the lab fails')
  })

  t.test(`as ${as}, nslab grade: fake tools score nothing, the honest answer everything`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const lab = exerciseLab(s.dir)
    const subs = writeClass(s.dir, as, { mallory: { fix: fakeToolsAttack() }, olivia: { fix: HONEST } })
    const { res, report } = await gradeLab(as, lab, subs, { home: `${s.dir}/home`, jobs: 2 })
    const by = new Map((report?.submissions ?? []).map((g) => [g.name, g]))
    const mallory = by.get('mallory')
    t.match(outputOf(mallory?.run.blocks.filter((b) => b.role === 'solution')), /ATTACK-BEGIN[\s\S]*ATTACK-END/, "mallory's fakes were put in place", { stdout: res.stdout, stderr: res.stderr })
    t.equal(mallory?.exercises.find((e) => e.id === 'fix')?.points, 0, 'the faked answer gets 0 points')
    t.equal(by.get('olivia')?.points, 4, 'the honest answer gets all 4 (the checks can pass)')
  })

  t.test(`as ${as}, learner mode: nslab check after fake tools is not done`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const L = learnerOf(as, { home: `${s.dir}/home` })
    t.teardown(L.cleanup)
    const up = await L.up(exerciseLab(s.dir), 'fake')
    t.equal(up.code, 0, 'the lab is up', { stderr: up.stderr })
    const sh = await L.shell('fake', fakeToolsAttack())
    t.match(sh.stdout, /ATTACK-BEGIN[\s\S]*ATTACK-END/, 'the fakes were put in place', { stderr: sh.stderr })
    const c = await L.check('fake')
    t.equal(c.code, 1, 'nslab check: not done', { stdout: c.stdout })
    t.notMatch(c.stdout, /✓ Task 1 of 1 .*done/, 'the task is not passed')
    t.same(L.session('fake')?.passed ?? [], [], 'nothing is latched as passed')
  })
}
