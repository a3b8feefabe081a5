// nslab grade --kernel: a class graded inside one throwaway VM on Debian
// bookworm's kernel under software emulation (TCG), through nslab's own
// command line. The points are those a local grade gives
// (snat-mini.expected.json), every report is written, a kernel that cannot
// boot and a Ctrl-C are clear ends with no qemu left behind. The kernel comes
// from ~/.cache/nslab (fetched once per machine). The grade takes 1.5–3 min
// (henry's endless loop alone holds it 60 s: 15 s stretched ×4 under TCG).
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { fetchKernel, type Kernel } from '../../runner/vm/fetch-kernel.js'
import { parseGradeFlags } from '../../runner/cli/grade-command.js'
import { guestView, outermost } from '../../runner/vm/guest-view.js'
import { parseKernelSpec } from '../../runner/vm/parse-kernel-spec.js'
import { findProgram } from '../../runner/host/require-programs.js'
import { ensureBuilt, ROOT } from '../fixtures/grade-labs/ensure-built.js'
import { qemusUnder } from '../helpers/qemus-under.js'

const LAB = join(ROOT, 'test/fixtures/grade-labs/snat-mini.md')
const CLASS = join(ROOT, 'test/fixtures/submissions/snat-mini')
const EXPECTED = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/submissions/snat-mini.expected.json'), 'utf8')) as Record<
  string,
  { points: number[]; status: string; reason?: string; notRun?: string[] }
>

interface GradeJson {
  limits: { enforcedBy: string[] }
  submissions: { name: string; points: number; status: string; reason?: string; exercises: { id: string; points: number; status: string }[]; run: { cell: string; error?: string } }[]
}

const missing = ['qemu-system-x86_64', 'busybox'].filter((p) => !findProgram(p))
if (missing.length) {
  t.plan(0, `a VM needs ${missing.join(' and ')}, which this machine lacks`)
} else {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-vm-grade-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The VMs of this file keep their files under dir: that is how its qemus are told from any other run's.
  mkdirSync(join(dir, 'tmp'))
  process.env.TMPDIR = join(dir, 'tmp')
  let kernel: Kernel

  /** `nslab grade …` as a user runs it. */
  const grade = (args: string[], timeoutMs: number) => {
    const t0 = performance.now()
    const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'grade', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: timeoutMs,
    })
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 }
  }

  /** qemu processes of this file's VMs. */
  const nslabQemus = (): number[] => qemusUnder(dir)

  t.before(async () => {
    ensureBuilt()
    kernel = await fetchKernel(parseKernelSpec('debian:bookworm'))
  })

  t.test('--kernel on the command line: one kernel, and the VM options only with it', async (t) => {
    const base = [LAB, '--', join(CLASS, 'alice')]
    const f = parseGradeFlags(['--kernel', 'debian:bookworm', '--accel', 'tcg', '--vm-timeout', '5m', ...base])
    t.ok(f !== 'help' && f.kernel === 'debian:bookworm' && f.accel === 'tcg' && f.vmTimeoutMs === 300_000 && !f.jobsGiven)
    t.throws(() => parseGradeFlags(['--kernel', 'debian:bookworm', '--kernel', 'debian:trixie', ...base]), { code: 'USAGE', message: /one kernel/ })
    t.throws(() => parseGradeFlags(['--accel', 'tcg', ...base]), { code: 'USAGE', message: /add --kernel/ })
    t.throws(() => parseGradeFlags(['--kernel', 'debian:Bookworm!', ...base]), { code: 'USAGE', message: /not a Debian suite name/ })
    t.throws(() => parseGradeFlags(['--kernel', 'debian:bookworm', '--accel', 'fast', ...base]), { code: 'USAGE', message: /--accel takes auto, kvm or tcg/ })
    const help = grade(['--help'], 30_000)
    t.match(help.stdout, /--kernel SPEC {10}grade the whole class inside one throwaway VM/)
  })

  t.test("a grading VM's view of this machine: what the guest runs on, not the machine's own files, nor its known secrets", async (t) => {
    t.same(outermost(['/usr', '/usr/bin', '/work/x/', '/work/x/dist', '/etc', '/usr2']), ['/etc', '/usr', '/usr2', '/work/x'])
    const job = join(dir, 'tmp', 'nslab-vm-x', 'job.json')
    const v = guestView({ kernel, nslabRoot: ROOT, files: [job] })
    t.ok(v.paths.includes('/usr') && v.paths.includes('/etc'), 'the system folders')
    t.ok(v.paths.includes(ROOT.replace(/\/$/, '')), 'nslab')
    t.ok(kernel.modulesDir && v.paths.includes(kernel.modulesDir), "the kernel's modules")
    for (const p of ['/', '/root', '/home', '/tmp', '/srv', '/mnt', '/work']) t.notOk(v.paths.includes(p), `not ${p}`)
    t.notOk(v.paths.some((p) => p.startsWith(dir)), 'not the job file: it is made by runGuestJob, in view only when it exists')
    for (const h of ['/etc/shadow', '/etc/ssh/ssh_host_*', '/var/backups', '/var/log', '/var/tmp']) t.ok(v.hide.includes(h), `hides ${h}`)
  })

  t.test('a class graded inside a VM on Debian bookworm: the points of a local grade, every report written', { timeout: 420_000 }, async (t) => {
    const names = ['alice', 'bob', 'henry']
    const out = join(dir, 'reports')
    const r = grade(
      [LAB, '--kernel', 'debian:bookworm', '--accel', 'tcg', '--csv', `${out}/g.csv`, '--json', `${out}/g.json`, '--html', `${out}/g.html`, '--junit', `${out}/g.xml`, '--', ...names.map((n) => join(CLASS, n))],
      400_000,
    )
    t.comment(`graded 3 submissions in the VM in ${Math.round(r.ms / 1000)} s`)
    t.equal(r.code, 1, `not everyone has full marks: exit 1\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`)
    t.match(r.stdout, /3 submissions, 3 at a time, inside a VM on debian:bookworm/)
    t.match(r.stdout, /up in [\d.]+ s: Linux 6\.1\.\d+-\d+-amd64, iptables v1\.8\.\d+/)
    t.match(r.stdout, /alice\s+2\/2\s+2\/2\s+4\/4\s+100/)
    t.match(r.stdout, /graded in .*, the VM's boot included/)

    const json = JSON.parse(readFileSync(`${out}/g.json`, 'utf8')) as GradeJson
    t.same(json.submissions.map((s) => s.name), names, 'every learner, in order')
    for (const s of json.submissions) {
      const want = EXPECTED[s.name]!
      t.same(s.exercises.map((e) => e.points), want.points, `${s.name}: ${want.points.join(' + ')} points, as a local grade gives (${s.reason ?? 'full marks'})`)
      t.equal(s.status, want.status, `${s.name} is ${want.status}`)
      for (const id of want.notRun ?? []) t.equal(s.exercises.find((e) => e.id === id)?.status, 'not-run', `${s.name}: ${id} is not graded after the stopped answer`)
      t.equal(s.run.cell, s.name)
    }
    // Under TCG the answer's 15 s are stretched ×4 (more on a busy machine: vm-time-scale.ts), and the grade says
    // what really stopped it.
    const enforced = json.limits.enforcedBy.join('\n')
    const scale = Number(/×(\d+(?:\.\d+)?)/.exec(enforced)?.[1])
    t.ok(scale >= 4, `the limits were stretched ×${scale}`)
    const within = Number(/did not finish within (\d+(?:\.\d+)?) s/.exec(json.submissions[2]!.reason ?? '')?.[1])
    t.ok(Math.abs(within - 15 * scale) <= 1, `henry's answer was stopped at its limit, 15 s ×${scale}: ${json.submissions[2]!.reason}`)
    t.match(enforced, /graded inside a throwaway VM \(debian:bookworm, Linux 6\.1\.\S+, iptables v1\.8\.\d+ \(nf_tables\); no network device\)/)
    t.match(enforced, /answers run as an unused uid/, 'as root of the guest, answers ran as unused uids')
    t.match(enforced, /a cgroup per submission \(cgroup v2: pids, memory, cpu\)/, 'the guest made a cgroup per submission')

    const csv = readFileSync(`${out}/g.csv`, 'utf8').split('\r\n')
    t.equal(csv.length, 5, 'a header, three rows, and the final line end')
    t.match(csv[1], /^alice,2,2,4,4,100,pass,,/)
    const xml = readFileSync(`${out}/g.xml`, 'utf8')
    for (const n of names) t.match(xml, new RegExp(`<testsuite name="[^"]*snat-mini\\.md \\[${n}\\]"`))
    const html = readFileSync(`${out}/g.html`, 'utf8')
    t.match(html, /<h2>alice <span class="badge pass">4\/4<\/span><\/h2>/)
    t.match(html, /graded inside a throwaway VM/)
    t.same(nslabQemus(), [], 'no qemu left')
  })

  t.test('a kernel that cannot boot: a clear error, every submission not graded, the reports still written', { timeout: 120_000 }, async (t) => {
    const image = join(dir, 'vmlinuz-truncated')
    writeFileSync(image, readFileSync(join(kernel.image.replace(/\/vmlinux-.*$/, ''), `vmlinuz-${kernel.release}`)).subarray(0, 3_000_000))
    const json = join(dir, 'noboot.json')
    const r = grade([LAB, '--kernel', `${image}:${kernel.modulesDir}`, '--accel', 'tcg', '--vm-timeout', '60s', '--json', json, '--', join(CLASS, 'alice'), join(CLASS, 'bob')], 110_000)
    t.equal(r.code, 1, `exit 1, as for submissions that could not be graded\n${r.stdout}\n${r.stderr}`)
    t.equal(r.signal, null, 'no crash')
    t.ok(r.ms < 60_000, `it ended in ${Math.round(r.ms / 1000)} s, before the VM's time limit`)
    t.match(r.stderr, /nslab: \S+vmlinuz-truncated: the VM did not boot: its CPU triple-faulted/, 'the cause on stderr')
    t.match(r.stderr, /console \(last lines\):\n.*Probing EDD/, 'with the end of its console')
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
    t.match(r.stdout, /alice\s+—\s+—\s+0\/4\s+0\s+not graded: the VM did not boot/)
    t.match(r.stdout, /2 submissions: 2 not graded/)
    const report = JSON.parse(readFileSync(json, 'utf8')) as GradeJson
    t.same(report.submissions.map((s) => [s.name, s.status]), [['alice', 'error'], ['bob', 'error']])
    t.match(report.submissions[0]!.run.error, /Triple fault/)
    t.same(nslabQemus(), [], 'no qemu left')
  })

  t.test('Ctrl-C while the VM grades: the VM is ended, what it graded reported, exit 130', { timeout: 180_000 }, async (t) => {
    const json = join(dir, 'interrupted.json')
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'grade', LAB, '--kernel', 'debian:bookworm', '--accel', 'tcg', '--json', json, '--', join(CLASS, 'alice'), join(CLASS, 'henry')], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let sent = 0
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
      // alice is graded, henry's endless loop is running.
      if (!sent && /✓ alice/.test(stdout)) {
        sent = performance.now()
        child.kill('SIGINT')
      }
    })
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 170_000)
      child.on('close', (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    t.ok(sent, `the VM graded alice and was interrupted\n${stdout}`)
    t.equal(code, 130, 'exit 130, as a local grade interrupted')
    t.ok(performance.now() - sent < 20_000, `it ended ${Math.round((performance.now() - sent) / 1000)} s after Ctrl-C`)
    const report = JSON.parse(readFileSync(json, 'utf8')) as GradeJson
    t.same(report.submissions.map((s) => [s.name, s.points, s.status]), [['alice', 4, 'pass'], ['henry', 0, 'error']], "alice's grade kept")
    t.match(report.submissions[1]!.reason, /not graded: grading was interrupted/)
    t.same(nslabQemus(), [], 'no qemu left')
  })
}
