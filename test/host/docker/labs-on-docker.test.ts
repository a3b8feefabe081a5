// Every shipped lab passes on engine: docker too — the continuous proof that
// nslab's own lab host tells the truth about Docker — and the docker lab
// works the ways a lab is used: prove and learner mode (grading:
// test/grade/grade-docker.test.ts; the VM matrix: test/vm/vm-docker.test.ts).
// The machine is the same afterwards.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { machineState } from '../../helpers/machine-state.js'
import { dockerCgroupsOf, dockerSkip, nslab } from '../../helpers/docker-engine.js'
import { kernelLacks } from '../../../runner/host/kernel-features.js'
import { parseLab } from '../../../runner/lab/parse-lab.js'
import { failedLines } from '../../helpers/failed-lines.js'

const labAt = (file: string) => {
  const lab = parseLab(readFileSync(new URL(`../../../${file}`, import.meta.url)), file).lab
  if (!lab) throw new Error(`${file} does not parse`)
  return lab
}

const skip = dockerSkip()
const dir = mkdtempSync(join(tmpdir(), 'nslab-docker-labs-'))
chmodSync(dir, 0o755)
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('nslab run --engine docker labs/: every shipped lab passes, the machine unchanged', { skip, timeout: 900_000 }, async (t) => {
  const before = machineState()
  const json = join(dir, 'docker.json')
  // Two lab hosts at once: a check of one must never be answered by the other's dockerd (it was, through a
  // connection Node's http agent kept alive under a reused descriptor number).
  const r = nslab(['run', '--engine', 'docker', 'labs', '-j', '2', '--json', json], join(dir, 'state-run'), { timeoutMs: 850_000 })
  t.equal(r.code, 0, `exit 0\n${failedLines(r.stdout)}\n${r.stderr}`)
  const report = JSON.parse(readFileSync(json, 'utf8')) as { labs: { file: string; status: string }[] }
  t.same(
    report.labs.map((l) => [l.file, l.status]).sort(),
    // Every lab of labs/, the catalogue's too: the continuous proof that the emulated host tells the truth.
    // A lab whose kernel module this machine lacks (labs/netem.md: sch_netem) is skipped, saying so.
    readdirSync(new URL('../../../labs', import.meta.url))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => [`labs/${f}`, kernelLacks(labAt(`labs/${f}`)) ? 'skip' : 'pass']),
  )
  t.same(machineState(), before, "the machine's iptables, links, addresses, routes, netns and mounts are unchanged")
})

t.test('--engine takes netns or docker', async (t) => {
  const r = nslab(['run', '--engine', 'podman', 'labs'], join(dir, 'state-usage'), { timeoutMs: 30_000 })
  t.equal(r.code, 2)
  t.match(r.stderr, /--engine takes netns or docker, not "podman"/)
})

t.test('nslab prove: every check of the docker labs can fail', { skip, timeout: 900_000 }, async (t) => {
  const r = nslab(['prove', 'labs/docker-publish.md', 'labs/host-and-none.md', '-j', '2'], join(dir, 'state-prove'), { timeoutMs: 850_000 })
  t.equal(r.code, 0, `${r.stdout.slice(-3000)}\n${r.stderr}`)
})

t.test('nslab prove --engine docker: a lab of the emulated engine proved on a real dockerd', { skip, timeout: 300_000 }, async (t) => {
  // Its step needs dockerd: it runs only on engine docker.
  const lab = join(dir, 'on-dockerd.md')
  writeFileSync(
    lab,
    '---\ntitle: on dockerd\ntopology:\n  docker: true\n  containers: [box1]\n---\n\n```sh step\ndocker network ls >/dev/null\niptables -t nat -A POSTROUTING -s 10.9.0.0/16 -j MASQUERADE\n```\n\n```check\nrule nat POSTROUTING -s 10.9.0.0/16 -j MASQUERADE\n```\n',
  )
  const r = nslab(['prove', '--engine', 'docker', lab], join(dir, 'state-prove-engine'), { timeoutMs: 280_000 })
  t.equal(r.code, 0, `${r.stdout.slice(-3000)}\n${r.stderr}`)
  t.match(r.stdout, /1 check block tried in 1 lab: 1 can fail, 0 cannot/)
  const usage = nslab(['prove', '--engine', 'podman', lab], join(dir, 'state-prove-engine'), { timeoutMs: 30_000 })
  t.equal(usage.code, 2)
  t.match(usage.stderr, /--engine takes netns or docker, not "podman"/)
})

t.test('learner mode on the docker lab: up, work in the shell, check, down', { skip, timeout: 300_000 }, async (t) => {
  const state = join(dir, 'state-learner')
  const up = nslab(['up', 'labs/docker-publish.md', '--name', 'dk'], state, { timeoutMs: 240_000 })
  t.equal(up.code, 0, up.stderr)
  t.match(up.stdout, /dk is up: docker run -p/)
  const first = nslab(['check', 'dk'], state, { timeoutMs: 60_000 })
  t.match(first.stdout, /✓ Task 1 of \d+ · docker run -p, for real — done/, `the lab host is as the lab says before you start\n${first.stdout}`)
  const session = JSON.parse(readFileSync(join(state, 'dk.json'), 'utf8')) as { sandbox: { engine?: string; cgroups?: string[]; pid: number } }
  t.equal(session.sandbox.engine, 'docker', 'the session knows its engine')
  // A learner types the lab's first commands in the lab shell, and checks each task.
  const shell = nslab(['shell', 'dk'], state, { input: "echo engine=$NSLAB_ENGINE\ndocker images --format '{{.Repository}}'\ndocker run -d --name web -p 8080:80 nginx\nexit\n", timeoutMs: 120_000 })
  t.equal(shell.code, 0, shell.stderr)
  t.match(shell.stdout, /nginx\n/, 'docker in the lab shell is the lab\'s')
  t.match(shell.stdout, /engine=docker\n/, 'the lab shell says its engine')
  nslab(['check', 'dk'], state, { timeoutMs: 60_000 })
  const third = nslab(['check', 'dk'], state, { timeoutMs: 60_000 })
  t.match(third.stdout, /✓ Task 3 of \d+ · 1\. Publish a port — done/, `docker run -p, checked\n${third.stdout}`)
  const down = nslab(['down', 'dk'], state, { timeoutMs: 60_000 })
  t.equal(down.code, 0, down.stderr)
  t.same(session.sandbox.cgroups!.filter((d) => { try { return readFileSync(join(d, 'cgroup.procs'), 'utf8') !== undefined } catch { return false } }), [], 'its cgroups went with it')
  t.same(dockerCgroupsOf(session.sandbox.pid), [])
})
