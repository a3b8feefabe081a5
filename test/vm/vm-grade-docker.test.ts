// nslab grade --kernel on an engine: docker lab: the class graded inside one
// throwaway VM on Debian bookworm's kernel under software emulation (TCG),
// each submission on a lab host of its own with the guest's own dockerd
// (the machine's docker.io, seen read-only through the grading VM's confined
// view), the image cache in that view read-only, the guest's cgroup v2 tree
// around each submission. Two learners: one right (2/2), one wrong (0/2).
// One VM boot; it takes 7–15 minutes here (dockerd's start is minutes of
// work under TCG, one submission at a time): on a busy machine more than
// tap's 900 s for a file (it sets its own, below). No qemu is left,
// and the machine's network and mounts are as they were.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { findProgram } from '../../runner/host/require-programs.js'
import { dockerSkip, ROOT } from '../helpers/docker-engine.js'
import { machineState } from '../helpers/machine-state.js'
import { qemusUnder } from '../helpers/qemus-under.js'

const LAB = join(ROOT, 'test/fixtures/docker-labs/grade-in-vm.md')
const CLASS = join(ROOT, 'test/fixtures/submissions/docker-in-vm')
const skip = dockerSkip() || (!findProgram('qemu-system-x86_64') ? 'qemu-system-x86_64 is not installed' : false)
const dir = mkdtempSync(join(tmpdir(), 'nslab-vm-grade-docker-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// The VMs of this file keep their files under dir: that is how its qemus are told from any other run's.
mkdirSync(join(dir, 'tmp'))

interface GradeJson {
  limits: { enforcedBy: string[] }
  submissions: { name: string; points: number; status: string; reason?: string; exercises: { id: string; points: number; status: string }[]; run: { cell: string; error?: string; blocks: { kind: string; message: string | null }[] } }[]
}

const nslabQemus = (): number[] => qemusUnder(dir)

// Longer than tap's 900 s for a file on a busy machine (TCG): this file says so to the runner.
t.setTimeout(2_500_000)

t.test('a docker-engine lab graded inside a VM on Debian bookworm: one right, one wrong, on the guest\'s own dockerd', { skip, timeout: 2_400_000 }, async (t) => {
  const before = machineState()
  const json = join(dir, 'g.json')
  const t0 = performance.now()
  const r = spawnSync(
    'env',
    ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'grade', LAB, '--kernel', 'debian:bookworm', '--accel', 'tcg', '--json', json, '--', join(CLASS, 'right'), join(CLASS, 'wrong')],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, 'tmp') }, timeout: 2_300_000 },
  )
  t.comment(`graded 2 submissions of a docker-engine lab in the VM in ${Math.round((performance.now() - t0) / 1000)} s`)
  const said = `\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`
  t.equal(r.status, 1, `not everyone has full marks: exit 1${said}`)
  t.match(r.stdout, /2 submissions, 1 at a time, inside a VM on debian:bookworm/, 'one submission at a time: each starts a dockerd')
  t.match(r.stdout, /right\s+2\/2\s+2\/2\s+100/)
  const report = JSON.parse(readFileSync(json, 'utf8')) as GradeJson
  t.same(
    report.submissions.map((s) => [s.name, s.exercises.map((e) => e.points), s.status]),
    [
      ['right', [2], 'pass'],
      ['wrong', [0], 'fail'],
    ],
    'the points of a local grade',
  )
  t.match(report.submissions[1]!.reason, /exercise-1: 2 of 2 checks failed, first: rule nat DOCKER /, "wrong published nothing: the guest's dockerd wrote no rule")
  const checked = report.submissions[1]!.run.blocks.filter((b) => b.kind === 'check').map((b) => b.message ?? '').join('\n')
  t.match(checked, /nat DOCKER has no rule like/, 'the rule was looked for in the guest and is not there')
  const enforced = report.limits.enforcedBy.join('\n')
  t.match(enforced, /graded inside a throwaway VM \(debian:bookworm, Linux 6\.1\.\S+, iptables v1\.8\.\d+ \(nf_tables\); no network device\)/)
  t.match(enforced, /answers run inside a docker-engine lab host as its root, an unused uid/, "the guest's graders ran the docker engine's way")
  t.match(enforced, /cgroup v2/, 'a cgroup per submission in the guest')
  t.same(nslabQemus(), [], 'no qemu left')
  t.same(machineState(), before, "the machine's network and mounts are as they were")
})
