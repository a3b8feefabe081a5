// Grading an engine: docker lab (labs/docker-publish.md): each submission on a
// lab host of its own with a real dockerd, the workers root (dockerd needs
// it), the answers the lab host's unused uid, the per-submission limits
// around dockerd and its containers; and afterwards no dockerd, container,
// cgroup or mount of it left, also when grading is interrupted mid-run.
import t from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gradeAll } from '../../runner/grade/grade-all.js'
import type { GradeLimits } from '../../runner/grade/grade.js'
import { prepareGradingHost, type GradingHost } from '../../runner/grade/grading-host.js'
import { loadSubmission } from '../../runner/grade/load-submission.js'
import { labExercises } from '../../runner/lab/lab-exercises.js'
import { loadLabs } from '../../runner/lab/load-labs.js'
import { ensureBuilt, ROOT } from '../fixtures/grade-labs/ensure-built.js'
import { cgroupsNamed, dockerCgroupsOf, dockerSkip, nslab, procsIn } from '../helpers/docker-engine.js'
import { machineState } from '../helpers/machine-state.js'
import { nslab as nslabAs, scratch } from '../helpers/nslab-as.js'
import { until } from '../helpers/until.js'

const skip = dockerSkip()
const LAB = join(ROOT, 'labs/docker-publish.md')
const CLASS = join(ROOT, 'test/fixtures/submissions/docker-publish')
const RIGHT = readFileSync(join(CLASS, 'right/exercise-1.sh'), 'utf8')
/** The defaults of nslab grade, but for the time: a docker-engine lab takes 15 to 60 s here under load. */
const LIMITS: GradeLimits = { timeoutMs: 240_000, maxOutputBytes: 1024 * 1024, maxProcs: 256, memoryBytes: 512 * 1024 * 1024, fileBytes: 64 * 1024 * 1024, cpus: 1 }

const lab = (() => {
  const { labs, problems } = loadLabs([LAB])
  if (problems.length || !labs[0]) throw new Error(`labs/docker-publish.md is invalid: ${JSON.stringify(problems)}`)
  return labs[0]
})()
const ids = labExercises(lab).map((e) => e.id)

/** The grading host, with the pid of every worker it started (their lab hosts' cgroups are named by it). */
function watchWorkers(host: GradingHost): Set<number> {
  const pids = new Set<number>()
  const ask = host.ask
  host.ask = (slot, request, timeoutMs, beforeSend) =>
    ask(slot, request, timeoutMs, (pid) => {
      pids.add(pid)
      beforeSend?.(pid)
    })
  return pids
}

/** What grading left: this process's submission cgroups, its workers' lab host cgroups and processes. */
function leftovers(workers: Set<number>): string[] {
  const left = cgroupsNamed(`nslab-grade-${process.pid}-`, ['nslab-docker-', 'nslab-run-'])
  for (const pid of workers) {
    for (const dir of dockerCgroupsOf(pid)) left.push(`${dir} (${procsIn(dir).length} processes)`)
    if (existsSync(`/proc/${pid}`)) left.push(`worker ${pid}`)
  }
  return left
}

t.test('a class graded on engine: docker: right, half right, wrong, hostile; nothing left', { skip }, async (t) => {
  ensureBuilt()
  // The hostile learner: the machine's files through a bind mount of /, containers left running.
  mkdirSync(join(ROOT, 'tmp'), { recursive: true })
  const probe = mkdtempSync(join(ROOT, 'tmp', 'grade-docker-probe-'))
  chmodSync(probe, 0o755)
  writeFileSync(join(probe, 'keep'), 'keep me\n')
  const quinnDir = mkdtempSync(join(tmpdir(), 'nslab-quinn-'))
  const quinn = join(quinnDir, 'quinn')
  mkdirSync(quinn)
  writeFileSync(
    join(quinn, 'exercise-1.sh'),
    [
      `echo pwned > ${probe}/pwned || true`,
      `docker run --rm -v /:/host busybox sh -c 'echo pwned > /host${probe}/pwned; rm -f /host${probe}/keep; ls /host${probe}' || true`,
      'docker run -d --restart always --name stays busybox sleep infinity',
      'docker run -d busybox sleep infinity',
      RIGHT,
    ].join('\n'),
  )
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
  const host = await prepareGradingHost({ engine: 'docker' })
  t.teardown(() => host.close())
  t.equal(host.mode, 'root', 'the workers stay root for dockerd')
  const workers = watchWorkers(host)
  const submissions = [...['right', 'half', 'opened'].map((n) => join(CLASS, n)), quinn].map((p) => loadSubmission(p, ids))
  const { grades, enforcedBy } = await gradeAll({ lab, submissions, host, flags: { jobs: 2, limits: LIMITS, walkthrough: false } })
  await host.close()
  const by = new Map(grades.map((g) => [g.name, g]))
  const score = (name: string) => {
    const g = by.get(name)
    return g ? [g.points, g.status, g.reason ?? ''] : ['not graded']
  }
  t.same(score('right').slice(0, 2), [2, 'pass'], `right: full marks (${score('right')[2]})`)
  t.same(score('half').slice(0, 2), [1, 'partial'], 'half: the DNAT rule alone')
  t.match(by.get('half')?.reason, /http internet http:\/\/198\.51\.100\.2:8081\//, 'half: the Internet gets no page')
  t.same(score('opened').slice(0, 2), [1, 'partial'], 'opened: FORWARD opened')
  t.match(by.get('opened')?.reason, /policy filter FORWARD DROP/, "opened: FORWARD's policy is not DROP")
  t.same(score('quinn').slice(0, 2), [2, 'pass'], `quinn: the attacks failed and the right rules counted (${score('quinn')[2]})`)
  t.ok(
    grades.every((g) => g.limitsBy.startsWith('cgroup v')),
    `each submission in cgroups of its own, dockerd and containers in them: ${grades.map((g) => g.limitsBy).join('; ')}`,
  )
  t.match(enforcedBy.join('\n'), /answers run inside a docker-engine lab host as its root, an unused uid/)

  t.ok(existsSync(join(probe, 'keep')), 'a file of the machine was not deleted through docker run -v /:/host')
  t.notOk(existsSync(join(probe, 'pwned')), 'no file was written on the machine')
  t.same(leftovers(workers), [], 'no cgroup, dockerd, container or worker of the grading is left')
  t.same(machineState(), before, "the machine's network and mounts are as they were")
})

t.test('interrupted mid-run: the worker and its dockerd are ended, and their cgroups removed', { skip }, async (t) => {
  ensureBuilt()
  const host = await prepareGradingHost({ engine: 'docker' })
  t.teardown(() => host.close())
  const workers = watchWorkers(host)
  const controller = new AbortController()
  const graded = gradeAll({ lab, submissions: [loadSubmission(join(CLASS, 'right'), ids)], host, flags: { jobs: 1, limits: LIMITS, walkthrough: false }, signal: controller.signal })
  // Ctrl-C once the lab host's dockerd runs (in the cgroup tree of the worker's lab host).
  let dockerd: number | undefined
  const dockerdOf = (pid: number) =>
    (dockerd = dockerCgroupsOf(pid)
      .flatMap(procsIn)
      .find((p) => {
        try {
          return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'dockerd'
        } catch {
          return false
        }
      })) !== undefined
  t.ok(await until(() => [...workers].some(dockerdOf), 120_000), 'the lab host started dockerd')
  // The submission's limits hold for dockerd: its pids and memory cgroups are below the submission's.
  const own = readFileSync(`/proc/${dockerd}/cgroup`, 'utf8')
  for (const c of ['pids', 'memory']) t.match(own, new RegExp(`^\\d+:${c}:.*/nslab-grade-${process.pid}-\\d+/nslab-docker-`, 'm'), `dockerd is in the submission's ${c} cgroup`)
  controller.abort()
  const { grades } = await graded
  await host.close()
  t.equal(grades[0]?.status, 'error')
  t.match(grades[0]?.reason, /not graded: grading was interrupted/)
  t.same(leftovers(workers), [], 'no cgroup, dockerd, container or worker is left')
})

t.test('nslab grade on the command line: a docker-engine lab is graded (exit 1: not everyone has full marks)', { skip }, async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'nslab-grade-docker-'))
  t.teardown(() => rmSync(state, { recursive: true, force: true }))
  const r = nslab(['grade', LAB, '--csv', join(state, 'g.csv'), '--', join(CLASS, 'right'), join(CLASS, 'half')], state)
  t.equal(r.code, 1, r.stderr)
  t.match(r.stdout, /Grading .*docker-publish\.md \(exercise-1: 2 checks\)\n2 submissions, [12] at a time/)
  t.match(r.stdout, /right\s+2\/2\s+2\/2\s+100/)
  t.match(r.stdout, /half\s+1\/2\s+1\/2\s+50/)
  t.match(readFileSync(join(state, 'g.csv'), 'utf8'), /\r\nright,2,2,2,100,pass,/)
  // Grading such a lab in a VM (--kernel): test/vm/vm-grade-docker.test.ts.
})

t.test('as an ordinary user, grading a docker-engine lab exits 3 with one line', { skip: process.getuid?.() === 0 ? false : 'needs root to become an ordinary user' }, async (t) => {
  const s = scratch('user')
  t.teardown(s.cleanup)
  const sub = join(s.dir, 'right.sh')
  writeFileSync(sub, RIGHT)
  const r = await nslabAs('user', ['grade', 'labs/docker-publish.md', '--', sub], { home: join(s.dir, 'home') })
  t.equal(r.code, 3, r.stderr)
  t.match(r.stderr, /engine: docker runs only as root for now/)
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line')
})
