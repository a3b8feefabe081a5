import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import { gradeAll, parseGradeFlags } from '../../runner/cli/grade-command.js'
import { parseSize } from '../../runner/util/parse-size.js'
import type { ExecResult } from '../../runner/host/exec-result.js'
import type { Grade, GradeLimits } from '../../runner/grade/grade.js'
import type { CheckBlock } from '../../runner/lab/lab.js'
import type { BlockResult, LabResult } from '../../runner/run/run-event.js'
import { scoreResult } from '../../runner/grade/score-result.js'
import { gradeHtml } from '../../runner/grade/grade-html.js'
import { gradeJson, gradeJsonText } from '../../runner/grade/grade-json.js'
import { gradebookCsv } from '../../runner/grade/gradebook-csv.js'
import { DEFAULT_UID_BASE, prepareGradingHost } from '../../runner/grade/grading-host.js'
import { jsonReport } from '../../runner/report/json-reporter.js'
import { labExercises } from '../../runner/lab/lab-exercises.js'
import { loadLabs } from '../../runner/lab/load-labs.js'
import { decodeAnswer, loadSubmission } from '../../runner/grade/load-submission.js'
import { progressLine, scoreboard } from '../../runner/grade/scoreboard.js'
import { ACTS_ON_READER, ACTS_ON_TERMINAL } from '../fixtures/sneaky-run.js'
import { machineState } from '../helpers/machine-state.js'
import { ensureBuilt, ROOT } from '../fixtures/grade-labs/ensure-built.js'

const LAB = join(ROOT, 'test/fixtures/grade-labs/snat-mini.md')
const CLASS = join(ROOT, 'test/fixtures/submissions/snat-mini')
const EXPECTED = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/submissions/snat-mini.expected.json'), 'utf8')) as Record<
  string,
  { points: number[]; status: string; reason?: string; notRun?: string[]; note?: string }
>
const RIGHT1 = 'iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n'
const RIGHT2 = 'iptables -A INPUT -s 198.51.100.1 -p icmp --icmp-type echo-request -j DROP\n'
const isRoot = process.getuid?.() === 0

/** Small limits, so that the hostile answers hit them fast. */
const LIMITS: GradeLimits = { timeoutMs: 60_000, maxOutputBytes: 64 * 1024, maxProcs: 64, memoryBytes: 256 * 1024 * 1024, fileBytes: 8 * 1024 * 1024, cpus: 1 }

const lab = (() => {
  const { labs, problems } = loadLabs([LAB])
  if (problems.length || !labs[0]) throw new Error(`the fixture lab is invalid: ${JSON.stringify(problems)}`)
  return labs[0]
})()
const exercises = labExercises(lab)
const ids = exercises.map((e) => e.id)

t.test('the fixture lab has two exercises, with the checks after each', async (t) => {
  t.same(
    exercises.map((e) => [e.id, e.max, e.checkBlocks.length]),
    [
      ['exercise-1', 2, 1],
      ['drop-pings', 2, 1],
    ],
  )
  const snat = loadLabs([join(ROOT, 'labs/snat-outbound.md')]).labs[0]
  if (snat) t.ok(labExercises(snat).length >= 1, 'the SNAT lab has exercises too')
})

t.test('loading submissions: every kind of answer, and why it cannot run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-subs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const one = (name: string) => loadSubmission(join(CLASS, name), ids)
  const answer = (name: string, id: string) => one(name).answers.find((a) => a.id === id)!

  t.equal(answer('alice', 'exercise-1').script, `# Docker's own rule, back in place\n${RIGHT1}`)
  t.match(answer('dave', 'drop-pings').problem, /^no answer for drop-pings/)
  t.match(answer('erin', 'exercise-1').problem, /exercise-1\.sh is empty/)
  t.match(answer('frank', 'exercise-1').problem, /not a text file \(a NUL byte at byte 8\)/)
  t.match(answer('pat', 'exercise-1').problem, /symbolic link/)
  t.same(answer('nick', 'exercise-1').notes, ['exercise-1.sh: Windows line ends (CRLF) were converted'])
  t.notMatch(answer('nick', 'exercise-1').script, /\r/)
  t.match(one('mia.sh').answers[0]!.problem, /single file answers a lab with one exercise, and this lab has 2/)
  t.equal(one('mia.sh').name, 'mia')

  // Made here: a pipe (reading it would block), invalid UTF-8, a BOM, a file too large, extra files.
  const s = join(dir, 'zoe')
  mkdirSync(s)
  execFileSync('mkfifo', [join(s, 'exercise-1.sh')])
  writeFileSync(join(s, 'drop-pings.sh'), Buffer.from([0x65, 0x63, 0x68, 0x6f, 0x20, 0xff, 0xfe, 0x0a]))
  writeFileSync(join(s, 'notes.txt'), 'my notes')
  const zoe = loadSubmission(s, ids)
  t.match(zoe.answers[0]!.problem, /not a plain file/)
  t.match(zoe.answers[1]!.problem, /not valid UTF-8 at byte 6, 0xff/)
  t.match(zoe.notes[0], /ignored notes\.txt/)
  const big = join(dir, 'big.sh')
  writeFileSync(big, 'echo x\n'.repeat(50_000))
  t.match(loadSubmission(big, ['exercise-1']).answers[0]!.problem, /is 341\.8 KiB: an answer is at most 256 KiB/)
  t.same(decodeAnswer(Buffer.from('\ufeffecho hi\n')), { script: 'echo hi\n', notes: ['a byte order mark at its start was removed'] })
  t.same(decodeAnswer(Buffer.from(' \n\n')), { problem: 'is empty (only blank lines)' })
  // A single file named after an exercise answers that one; its learner is its folder.
  const named = join(dir, 'yann')
  mkdirSync(named)
  writeFileSync(join(named, 'drop-pings.sh'), RIGHT2)
  const y = loadSubmission(join(named, 'drop-pings.sh'), ids)
  t.equal(y.name, 'yann')
  t.equal(y.answers[1]!.script, RIGHT2)
  t.match(y.answers[0]!.problem, /no answer for exercise-1/)
  t.throws(() => loadSubmission(join(dir, 'nobody'), ids), { code: 'NOT_FOUND' })
})

t.test('a submission that is a symbolic link is refused unread', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-subs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // Someone else's folder (or /etc), linked into the class under a learner's name.
  const other = join(dir, 'someone-else')
  mkdirSync(other)
  writeFileSync(join(other, 'exercise-1.sh'), RIGHT1)
  writeFileSync(join(other, 'their-secret-notes.txt'), 'x')
  const klass = join(dir, 'class')
  mkdirSync(klass)
  symlinkSync(other, join(klass, 'eve'))
  symlinkSync(join(other, 'exercise-1.sh'), join(klass, 'fred.sh'))
  for (const path of [join(klass, 'eve'), `${join(klass, 'eve')}/`, join(klass, 'fred.sh')]) {
    const sub = loadSubmission(path, ids)
    for (const a of sub.answers) {
      t.equal(a.script, undefined, `${path}: nothing of it runs`)
      t.match(a.problem, /^the submission (eve|fred\.sh) is a symbolic link: it was not read/)
    }
    t.notMatch(JSON.stringify(sub), /their-secret-notes|exercise-1\.sh"|MASQUERADE/, `${path}: nothing of its target is named or read`)
  }
  t.equal(loadSubmission(join(klass, 'fred.sh'), ids).name, 'fred')
  // A link inside a folder is refused as an answer; its target is not read either.
  const gil = join(klass, 'gil')
  mkdirSync(gil)
  symlinkSync(join(other, 'exercise-1.sh'), join(gil, 'exercise-1.sh'))
  symlinkSync(other, join(gil, 'drop-pings.sh'))
  const g = loadSubmission(gil, ids)
  t.match(g.answers[0]!.problem, /exercise-1\.sh is a symbolic link, not a file/)
  t.match(g.answers[1]!.problem, /drop-pings\.sh is a symbolic link, not a file/)
  t.notMatch(JSON.stringify(g), /MASQUERADE|their-secret-notes/)
  // The class as nslab grade lists it: the link is one row, with the reason.
  const csv = gradebookCsv(
    [loadSubmission(join(klass, 'eve'), ids)].map((sub) => scoreResult({ exercises, submission: sub, result: { file: lab.file, title: lab.title, status: 'fail', durationMs: 1, blocks: [] } })),
    exercises,
  )
  t.match(csv, /\r\neve,0,0,0,4,0,fail,exercise-1: the submission eve is a symbolic link: it was not read/)
})

t.test('scoring: checks after each answer, an answer that fails, one that stops the run, a lab that fails', async (t) => {
  const blocks = lab.blocks
  const exec = (exitCode: number | null, extra: Partial<ExecResult> = {}): ExecResult => ({ machine: 'host', command: 'x', exitCode, stdout: '', stderr: '', output: '', durationMs: 5, timedOut: false, ...extra })
  const checks = (i: number, ok: boolean[]): BlockResult => {
    const b = blocks[i] as CheckBlock
    return { index: i, block: b, status: ok.every(Boolean) ? 'pass' : 'fail', durationMs: 1, checks: b.checks.map((c, k) => ({ check: c, ok: ok[k]!, sentence: ok[k] ? 'seen' : 'not seen', evidence: [], durationMs: 1, attempts: 1 })), ...(b.hint ? { hint: b.hint } : {}) }
  }
  const script = (i: number, status: BlockResult['status'], e?: ExecResult, message?: string): BlockResult => ({ index: i, block: blocks[i]!, status, durationMs: 1, ...(e ? { exec: e } : {}), ...(message ? { message } : {}) })
  const result = (b: BlockResult[], status: LabResult['status'] = 'fail'): LabResult => ({ file: lab.file, title: lab.title, status, durationMs: 10, blocks: b })
  const sub = loadSubmission(join(CLASS, 'alice'), ids)

  const failedButRight = scoreResult({
    exercises,
    submission: sub,
    result: result([script(0, 'pass', exec(0)), script(2, 'fail', exec(1), 'it exited with status 1'), checks(3, [true, true]), script(4, 'pass', exec(0)), checks(5, [true, false])]),
  })
  t.same(failedButRight.exercises.map((e) => [e.points, e.status]), [[2, 'partial'], [1, 'partial']])
  t.match(failedButRight.exercises[0]!.reason, /^every check passed, but your answer failed: it exited with status 1$/)
  t.equal(failedButRight.exercises[1]!.checks[1]!.hint, blocks[5]!.kind === 'check' ? blocks[5]!.hint : undefined, 'a failed check carries its hint')
  t.equal(failedButRight.points, 3)

  const stopped = scoreResult({
    exercises,
    submission: sub,
    result: result([script(0, 'pass', exec(0)), script(2, 'fail', exec(null, { timedOut: true, signal: 'SIGKILL' }), 'it did not finish within 15 s (timeout)'), script(4, 'skip', undefined, 'skipped: the solution at line 29 failed')]),
  })
  t.same(stopped.exercises.map((e) => [e.points, e.status]), [[0, 'fail'], [0, 'not-run']])
  t.equal(stopped.exercises[0]!.reason, 'your answer was stopped: it did not finish within 15 s (timeout)')
  t.equal(stopped.exercises[1]!.reason, "not graded: the lab stopped at exercise-1's answer (a timeout)")
  t.equal(stopped.status, 'fail')

  const labFailed = scoreResult({ exercises, submission: sub, result: result([script(0, 'fail', exec(1), 'it exited with status 1, expected 0'), script(2, 'skip'), script(4, 'skip')]) })
  t.equal(labFailed.status, 'error', 'a step before any answer failed: not the learner’s doing')
  t.match(labFailed.reason, /^not graded: the lab's step at line 16 failed before any answer ran/)

  const noSandbox = scoreResult({ exercises, submission: sub, result: { ...result([], 'error'), error: 'the lab host could not be built: …' } })
  t.equal(noSandbox.status, 'error')
  t.match(noSandbox.reason, /^not graded: the lab host could not be built/)
})

t.test('command line: sizes, limits and usage errors', async (t) => {
  t.equal(parseSize('64K', '--x'), 65536)
  t.equal(parseSize('1.5M', '--x'), 1572864)
  t.equal(parseSize('2GiB', '--x'), 2 * 1024 ** 3)
  t.throws(() => parseSize('lots', '--memory'), { code: 'USAGE', message: /--memory takes a size/ })
  const f = parseGradeFlags(['lab.md', 'a', 'b', '-j', '3', '--memory', '300M', '--max-procs', '100', '--timeout', '90s', '--csv', 'g.csv'])
  t.ok(f !== 'help')
  if (f === 'help') return
  t.same([f.lab, f.submissions, f.jobs, f.limits.memoryBytes, f.limits.maxProcs, f.limits.timeoutMs, f.csv], ['lab.md', ['a', 'b'], 3, 300 * 1024 * 1024, 100, 90_000, 'g.csv'])
  t.throws(() => parseGradeFlags(['lab.md']), { code: 'USAGE', message: /at least one submission/ })
  t.throws(() => parseGradeFlags(['lab.md', 'a', '--memory', '1M']), { code: 'USAGE', message: /at least 64M/ })
})

t.test('a class graded to the expected scores; the machine unchanged', { skip: isRoot ? false : 'grading in isolation (an unused uid, cgroups) needs root' }, async (t) => {
  ensureBuilt()
  // A hostile learner made here: the answer tries to reach the machine's files,
  // its /dev/shm and its SysV IPC, then does the right thing.
  mkdirSync(join(ROOT, 'tmp'), { recursive: true })
  const probe = mkdtempSync(join(ROOT, 'tmp', 'grade-probe-'))
  chmodSync(probe, 0o755)
  writeFileSync(join(probe, 'keep'), 'keep me\n')
  const quinnDir = mkdtempSync(join(tmpdir(), 'nslab-quinn-'))
  const quinn = join(quinnDir, 'quinn')
  mkdirSync(quinn)
  writeFileSync(
    join(quinn, 'exercise-1.sh'),
    [
      `echo pwned > ${probe}/pwned || true`,
      `rm -f ${probe}/keep || true`,
      'echo pwned > /dev/shm/nslab-grade-probe || true',
      'ipcmk -M 4096 || true',
      RIGHT1,
    ].join('\n'),
  )
  writeFileSync(join(quinn, 'drop-pings.sh'), RIGHT2)
  t.teardown(() => {
    rmSync(probe, { recursive: true, force: true })
    rmSync(quinnDir, { recursive: true, force: true })
    try {
      rmdirSync(join(ROOT, 'tmp'))
    } catch {
      // not empty: someone else's files are there
    }
  })
  const before = machineState()

  const host = await prepareGradingHost()
  t.teardown(() => host.close())
  t.equal(host.mode, 'isolated')
  const names = Object.keys(EXPECTED).filter((k) => k !== '_')
  const paths = [...names.map((n) => join(CLASS, n === 'mia' ? 'mia.sh' : n)), quinn]
  const submissions = paths.map((p) => loadSubmission(p, ids))
  const jobs = 4
  const { grades } = await gradeAll({ lab, submissions, host, flags: { jobs, limits: LIMITS, walkthrough: false }, signal: new AbortController().signal })
  t.equal(grades.length, submissions.length, 'every submission graded')
  await host.close()
  const byName = new Map(grades.map((g) => [g.name, g]))

  for (const name of names) {
    const want = EXPECTED[name]!
    const g = byName.get(name)
    if (!g) {
      t.fail(`${name} was not graded`)
      continue
    }
    t.same(
      g.exercises.map((e) => e.points),
      want.points,
      `${name}: ${want.points.join(' + ')} points (${g.reason ?? 'full marks'})`,
    )
    t.equal(g.status, want.status, `${name} is ${want.status}`)
    if (want.reason) t.match(g.reason ?? '', new RegExp(want.reason), `${name}: the reason says "${want.reason}"`)
    for (const id of want.notRun ?? []) t.equal(g.exercises.find((e) => e.id === id)?.status, 'not-run', `${name}: ${id} is not graded after the stopped answer`)
    if (want.note) t.match(JSON.stringify(g.exercises.map((e) => e.answer.notes)), want.note, `${name}: noted`)
    t.equal(g.max, 4)
  }
  const q = byName.get('quinn')!
  t.equal(q.points, 4, `quinn's attacks failed quietly and the right answers counted (${q.reason ?? ''})`)
  // (No such file: a checkout under /tmp, which the sandbox hides behind its own.)
  t.match(q.exercises[0]!.answer.output ?? '', /pwned: (Permission denied|No such file)/, "quinn's write was refused")

  // The limits said what they stopped, in the grade.
  t.match(byName.get('judy')!.limitsHit.join(' '), /limit of 64 processes/)
  t.match(byName.get('leo')!.limitsHit.join(' '), /more than 256 MiB of memory/)
  t.match(byName.get('leo')!.exercises[0]!.answer.message ?? '', /was killed/)
  t.match(byName.get('henry')!.exercises[0]!.answer.message ?? '', /did not finish within 15 s \(timeout\)/)
  t.match(byName.get('ivan')!.exercises[0]!.answer.message ?? '', /printed more than 64 KiB and was stopped \(the output limit\)/)
  t.ok(grades.every((g) => g.limitsBy.startsWith('cgroup v')), 'cgroups enforced the limits')
  // No report shows the lab's own solution in place of a learner's answer.
  const carol = byName.get('carol')!
  t.equal(carol.result.blocks.find((b) => b.block.kind === 'script' && b.block.role === 'solution')?.block.content, 'iptables -t nat -A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE\n')

  // Afterwards: the machine's files, network, /dev/shm, IPC; no cgroup or process left.
  t.ok(existsSync(join(probe, 'keep')), 'a file of the machine was not deleted')
  t.notOk(existsSync(join(probe, 'pwned')), 'no file was written on the machine')
  t.notOk(existsSync('/dev/shm/nslab-grade-probe'), "nothing was left in the machine's /dev/shm")
  const ipcs = spawnSync('ipcs', ['-m', '-c'], { encoding: 'utf8' }).stdout
  t.notMatch(ipcs, new RegExp(`\\b${DEFAULT_UID_BASE}`), 'no SysV shared memory of the graders is left')
  t.same(machineState(), before, "the machine's network and mounts are as they were")
  const cgroupsLeft = ['pids', 'memory', 'cpu'].flatMap((c) => findNslabCgroups(`/sys/fs/cgroup/${c}`))
  t.same(cgroupsLeft, [], 'every cgroup was removed')
  t.same(processesOfGraders(jobs), [], 'no process of a grader is left')

  // The reports, from these grades.
  const csv = gradebookCsv(grades, exercises)
  t.match(csv.split('\r\n')[0], /^learner,exercise-1 \(of 2\),drop-pings \(of 2\),points,max,percent,status,reason,submission$/)
  t.match(csv, /\r\nalice,2,2,4,4,100,pass,,/)
  const report = gradeJson({ version: 'test', startTime: Date.now(), durationMs: 1, lab, exercises, limits: LIMITS, enforcedBy: ['x'], grades })
  t.equal(report.summary.submissions, grades.length)
  // Each run is a lab of the JSON report: it validates against docs/report.schema.json.
  const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8'))
  const full = { ...jsonReport({ version: 'test', startTime: Date.now(), durationMs: 1, complete: true, jobs: 1, files: [], results: [] }), labs: report.submissions.map((s) => s.run) }
  const validate = new Ajv2020Module.default({ strict: true, validateFormats: false }).compile(schema)
  t.ok(validate(full), `the runs validate: ${JSON.stringify(validate.errors?.slice(0, 3))}`)
  const board = scoreboard(grades, exercises, { color: false, width: 120 })
  t.match(board, /^learner\s+exercise-1\s+drop-pings\s+total\s+%/)
  t.match(board, /\nalice\s+2\/2\s+2\/2\s+4\/4\s+100\n/)
  t.match(board, /16 submissions: 3 full marks/)
})

t.test('nslab grade on the command line writes every report', { skip: isRoot ? false : 'needs root' }, async (t) => {
  ensureBuilt()
  const out = mkdtempSync(join(tmpdir(), 'nslab-grade-cli-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'dist/bin/nslab.cjs'), 'grade', LAB, join(CLASS, 'alice'), join(CLASS, 'dave'), join(CLASS, 'mia.sh'), '-j', '3', '--csv', `${out}/g.csv`, '--json', `${out}/g.json`, '--junit', `${out}/g.xml`, '--html', `${out}/g.html`],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } },
  )
  t.equal(r.status, 1, `not everyone has full marks: exit 1 (${r.stderr})`)
  t.match(r.stdout, /Grading .*snat-mini\.md \(exercise-1: 2 checks, drop-pings: 2 checks\)/)
  t.match(r.stdout, /alice\s+2\/2\s+2\/2\s+4\/4\s+100/)
  t.match(r.stdout, /dave\s+2\/2\s+0\/2\s+2\/4\s+50\s+drop-pings: no answer for drop-pings/)
  const csv = readFileSync(`${out}/g.csv`, 'utf8').split('\r\n')
  t.equal(csv.length, 5, 'a header, three rows, and the final line end')
  const json = JSON.parse(readFileSync(`${out}/g.json`, 'utf8'))
  t.same(
    json.submissions.map((s: { name: string; points: number }) => [s.name, s.points]),
    [
      ['alice', 4],
      ['dave', 2],
      ['mia', 0],
    ],
  )
  const xml = readFileSync(`${out}/g.xml`, 'utf8')
  t.match(xml, /<testsuite name="[^"]*snat-mini\.md \[alice\]"/)
  t.match(xml, /<testsuite name="[^"]*snat-mini\.md \[dave\]" tests="\d+" failures="2"/, "dave: the missing answer and a check block")
  const html = readFileSync(`${out}/g.html`, 'utf8')
  t.match(html, /<h2>alice <span class="badge pass">4\/4<\/span><\/h2>/)
  t.notMatch(html, /<script|https?:\/\/(?!www\.w3)/i, 'no script and no address to fetch')

  const usage = spawnSync(process.execPath, [join(ROOT, 'dist/bin/nslab.cjs'), 'grade', LAB], { encoding: 'utf8' })
  t.equal(usage.status, 2)
  t.match(usage.stderr, /needs a lab and at least one submission/)
})

t.test('as an ordinary user: rlimits stop a flood and a memory hog', { skip: isRoot ? false : 'needs root to become an ordinary user' }, async (t) => {
  ensureBuilt()
  const uid = DEFAULT_UID_BASE - 1000
  const out = mkdtempSync(join(tmpdir(), 'nslab-grade-user-'))
  chmodSync(out, 0o777)
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const r = spawnSync(
    'setpriv',
    [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'grade', LAB, join(CLASS, 'alice'), join(CLASS, 'judy'), join(CLASS, 'leo'), '-j', '3', '--max-procs', '64', '--memory', '256M', '--json', `${out}/g.json`],
    { encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', HOME: out } },
  )
  t.equal(r.status, 1, r.stderr)
  const json = JSON.parse(readFileSync(`${out}/g.json`, 'utf8'))
  const by = new Map<string, { points: number; exercises: { answer: { message: string | null } }[] }>(json.submissions.map((s: { name: string }) => [s.name, s]))
  t.equal(by.get('alice')?.points, 4, 'a right answer gets every point as an ordinary user too')
  t.match(by.get('judy')?.exercises[0]?.answer.message ?? '', /could not start more processes \(the limit is 64\)/)
  t.match(by.get('leo')?.exercises[0]?.answer.message ?? '', /ran out of memory \(the limit is 256 MiB\)|was killed/)
  t.match(json.limits.enforcedBy.join('\n'), /rlimits of each answer/)
  t.same(processesOf(uid), [], 'nothing of that user is left running')
})

t.test('names and reasons from learners are escaped in the CSV and the HTML', async (t) => {
  const g = fakeGrade('=HYPERLINK("http://x")<script>alert(1)</script>', 'a "quote", a comma\nand a line')
  const csv = gradebookCsv([g], exercises)
  t.match(csv, /\r\n"'=HYPERLINK\(""http:\/\/x""\)<script>alert\(1\)<\/script>",1,0,1,4,25,partial,"exercise-1: a ""quote"", a comma and a line"/)
  const html = gradeHtml({ lab, exercises, grades: [g], limits: LIMITS, enforcedBy: ['<b>'], version: '0', startTime: 0, durationMs: 0 })
  t.notMatch(html, /<script>alert/)
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
  t.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/)
  t.match(html, /<li>&lt;b&gt;<\/li>/)
})

t.test('controls and bidi formatting in names, reasons and outputs show as escapes in every report', async (t) => {
  // A learner named to flip the gradebook's row, or to clear the instructor's screen.
  const g = fakeGrade('\u202eeve\u202c\x1b[2J\x07', 'it printed \u2066\u202eyrgna\u2069 \x9b2J')
  g.path = '/class/\u202eeve\u202c\x1b[2J\x07'
  g.exercises[0]!.answer.output = 'out \u202eput\u202c \x1b]0;title\x07'
  g.exercises[0]!.answer.script = 'echo \u202e\n'

  const csv = gradebookCsv([g, fakeGrade('-2+3', 'x'), fakeGrade('@SUM(A1)', 'x')], exercises)
  t.notMatch(csv.replace(/\r\n/g, '\n'), ACTS_ON_READER, 'the CSV: nothing acts on a reader (but its CRLF line ends)')
  t.match(csv, /\r\n\\u202eeve\\u202c\\x1b\[2J\\x07,1,0,1,4,25,partial,exercise-1: it printed \\u2066\\u202eyrgna\\u2069 \\x9b2J,\/class\/\\u202eeve/)
  t.match(csv, /\r\n'-2\+3,/, 'a formula is defused')
  t.match(csv, /\r\n'@SUM\(A1\),/)

  for (const color of [false, true]) {
    const board = scoreboard([g], exercises, { color, width: 200 }) + progressLine(g, { color, width: 200 })
    t.notMatch(board, ACTS_ON_TERMINAL, `the scoreboard (color ${color}): only our colors act`)
    t.match(board, '\\u202eeve\\u202c\\x1b[2J\\x07')
    t.match(board, 'it printed \\u2066\\u202eyrgna\\u2069 \\x9b2J')
  }

  const json = gradeJsonText({ version: 'test', startTime: 0, durationMs: 1, lab, exercises, limits: LIMITS, enforcedBy: [], grades: [g] })
  t.notMatch(json, ACTS_ON_READER, 'the JSON file: nothing acts on a reader')
  t.match(json, '"name": "\\u202eeve\\u202c\\u001b[2J\\u0007"')
  const data = JSON.parse(json) as ReturnType<typeof gradeJson>
  t.equal(data.submissions[0]!.name, g.name, '… and the data is the same')
  t.equal(data.submissions[0]!.reason, g.reason)

  const html = gradeHtml({ lab, exercises, grades: [g], limits: LIMITS, enforcedBy: [], version: '0', startTime: 0, durationMs: 0 })
  t.notMatch(html, ACTS_ON_READER, 'the HTML page: nothing acts on a reader')
  t.match(html, '\\u202eeve\\u202c\\x1b[2J\\x07</a>', 'the name, shown')
  t.match(html, 'out \\u202eput\\u202c', 'what it printed')
  t.match(html, 'echo \\u202e\n', 'its answer')
})

/** A graded submission built by hand (only the escaping test uses it). */
function fakeGrade(name: string, reason: string): Grade {
  const result = { file: lab.file, title: lab.title, status: 'fail' as const, durationMs: 1, blocks: [], cell: name }
  return {
    name,
    path: `/class/${name}`,
    points: 1,
    max: 4,
    status: 'partial',
    reason: `exercise-1: ${reason}`,
    exercises: exercises.map((e, i) => ({ id: e.id, line: e.line, points: i === 0 ? 1 : 0, max: e.max, status: i === 0 ? 'partial' : 'fail', reason, answer: { notes: [], script: '<b>echo</b>' }, checks: [] })),
    result,
    limitsHit: [],
    limitsBy: 'test',
    notes: [],
    durationMs: 1,
  }
}

function findNslabCgroups(root: string): string[] {
  const found: string[] = []
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return
    let entries: string[] = []
    try {
      entries = readdirSync(dir)
    } catch {
      return
    }
    for (const e of entries) {
      const p = join(dir, e)
      try {
        if (!statSync(p).isDirectory()) continue
      } catch {
        continue
      }
      if (e.startsWith(`nslab-grade-${process.pid}-`)) found.push(p)
      else walk(p, depth + 1)
    }
  }
  walk(root, 0)
  return found
}

function processesOf(uid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return statSync(`/proc/${d}`).uid === uid
      } catch {
        return false
      }
    })
    .map(Number)
}

function processesOfGraders(jobs: number): number[] {
  return Array.from({ length: jobs }, (_, i) => processesOf(DEFAULT_UID_BASE + i)).flat()
}
