// Issue 12, class 8 (in part): input within the stated limits runs. A step
// of 200 KiB (past the 128 KiB a single argument may have: `spawn E2BIG`
// when a step went on a command line) and a graded answer of 150 KB (under
// the 256 KiB an answer may have; "the grader failed" before) run normally:
// exit 0 and their last line printed. As root and as an ordinary user,
// through `nslab run`, `nslab grade` and learner mode (a 200 KiB setup and a
// 200 KiB solution).
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { block, gradeLab, learnerOf, outputOf, runLab, writeClass, writeLab } from '../helpers/attack-doors.js'
import { PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'

requireBuild()

/** A script of about `bytes` bytes: filler lines (`prefix` and 96 characters), then `last`. */
function bigScript(bytes: number, prefix: string, last: string): string {
  const line = `${prefix}${'x'.repeat(96)}\n`
  return line.repeat(Math.ceil(bytes / line.length)) + last + '\n'
}

for (const as of PEOPLE) {
  t.test(`as ${as}, nslab run: a step of 200 KiB runs`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const done = `big-step-done-${randomBytes(4).toString('hex')}`
    const script = bigScript(200 * 1024, ': ', `echo ${done}`)
    t.ok(script.length > 200 * 1024, `the step is ${script.length} bytes`)
    const lab = writeLab(s.dir, 'big-step', block('sh step timeout=60s', script))
    const { res, report } = await runLab(as, lab, { home: `${s.dir}/home` })
    t.equal(res.code, 0, 'the lab passes', { stdout: res.stdout.slice(-2000), stderr: res.stderr.slice(-2000) })
    t.match(outputOf(report?.labs[0]?.blocks), new RegExp(`${done}\\n?$`), 'the step printed its last line')
  })

  t.test(`as ${as}, nslab grade: an answer of 150 KB is graded`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const done = `big-answer-done-${randomBytes(4).toString('hex')}`
    const answer = bigScript(150_000, '# ', `touch /root/done\necho ${done}`)
    t.ok(answer.length > 150_000 && answer.length < 256 * 1024, `the answer is ${answer.length} bytes, under the limit`)
    const lab = writeLab(s.dir, 'big-answer', [block('sh solution id=task timeout=60s', 'touch /root/done'), block('check', 'sh host "test -f /root/done"')].join('\n'))
    const subs = writeClass(s.dir, as, { bigsby: { task: answer } })
    const { res, report } = await gradeLab(as, lab, subs, { home: `${s.dir}/home` })
    const g = report?.submissions[0]
    t.equal(g?.points, 1, `full marks (${g?.reason ?? 'no reason'})`, { stdout: res.stdout.slice(-2000), stderr: res.stderr.slice(-2000) })
    t.match(outputOf(g?.run.blocks.filter((b) => b.role === 'solution')), new RegExp(`${done}\\n?$`), 'the answer printed its last line')
    t.equal(res.code, 0, 'nslab grade: everyone has full marks')
  })

  t.test(`as ${as}, learner mode: a setup and a solution of 200 KiB run`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const L = learnerOf(as, { home: `${s.dir}/home` })
    t.teardown(L.cleanup)
    const lab = writeLab(
      s.dir,
      'big-learner',
      [
        block('sh setup timeout=60s', bigScript(200 * 1024, ': ', 'touch /root/setup-done')),
        block('check', 'sh host "test -f /root/setup-done"'),
        'Exercise: make /root/solved.',
        block('sh solution timeout=60s', bigScript(200 * 1024, ': ', 'touch /root/solved')),
        block('check', 'sh host "test -f /root/solved"'),
      ].join('\n'),
    )
    const up = await L.up(lab, 'big')
    t.equal(up.code, 0, 'nslab up ran the setup', { stdout: up.stdout.slice(-2000), stderr: up.stderr.slice(-2000) })
    const c = await L.check('big')
    t.match(c.stdout, /✓ Task 1 of 2 .*done/, 'the setup did its work')
    const solve = await L.solve('big')
    t.equal(solve.code, 0, 'nslab solve ran the solution', { stdout: solve.stdout.slice(-2000), stderr: solve.stderr.slice(-2000) })
    t.match(solve.stdout, /✓ Task 2 of 2 .*done/, 'and it did its work')
  })
}
