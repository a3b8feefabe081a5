// An engine: docker lab in the page (labs/docker-publish.md), in a real
// browser: the page comes up with a terminal on the lab host, whose `docker`
// is the lab's own dockerd; a step's Run types `docker run -p` into it and the
// task ticks by itself. Ctrl-C on the server takes the lab host down with its
// dockerd and containers: no process, cgroup or change of the machine is left.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { nslabCacheDir } from '../../runner/host/docker/image-cache.js'
import { dockerCgroupsOf, dockerSkip, procsIn } from '../helpers/docker-engine.js'
import { learner, requireBuild, ROOT } from '../helpers/learner-cli.js'
import { machineState } from '../helpers/machine-state.js'
import { until } from '../helpers/until.js'
import { launchBrowser, noBrowser, typeInto, untilTask, untilTerminal, watchedPage } from './browser.js'
import { startServe } from './serve-process.js'

const LAB = join(ROOT, 'labs/docker-publish.md')
/** Generous: dockerd's start and docker run take seconds, many on a busy machine. */
const T = 120_000

/** Every process below pid (its children, theirs, …). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8')
      parent.set(Number(d), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // gone meanwhile
    }
  }
  return [...parent.keys()].filter((p) => {
    for (let up = parent.get(p) ?? 0, n = 0; up > 1 && n < 64; up = parent.get(up) ?? 0, n++) if (up === pid) return true
    return false
  })
}

/** A process's start time: with its pid it names it for good (a pid may be used again). */
const started = (pid: number) => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? ''
  } catch {
    return ''
  }
}

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return ''
  }
}

t.test('the docker lab in the page: docker in the terminal, a task ticks on engine docker', { skip: dockerSkip() || noBrowser }, async (t) => {
  requireBuild()
  const before = machineState()
  const L = learner()
  // The machine's own images (a learner's HOME is a folder of its own, and they take minutes to build).
  L.env.NSLAB_CACHE = nslabCacheDir()
  const served = await startServe([LAB], { learner: L })
  t.teardown(async () => {
    await served.stop()
    served.learner.cleanup()
  })
  const browser = await launchBrowser()
  t.teardown(() => browser.cleanup())
  const page = await watchedPage(browser)

  await page.goto(served.url)
  const card = await page.$eval('[data-lab-card="docker-publish"]', (el) => el.textContent ?? '')
  t.match(card, /docker run -p — watch Docker write the rules/, 'the list shows the docker lab')
  await page.click('a[href="/lab/docker-publish"]')
  await page.waitForSelector('[data-task="3"]')
  t.same(await page.$$eval('.term[data-machine]', (els) => els.map((e) => (e as HTMLElement).dataset.machine)), ['host', 'internet'], 'a terminal for the host and one for internet')
  await untilTerminal(page, 'host', /root@docker-publish:~#\s*$/m, T)
  t.pass('the host terminal shows its prompt')

  // The lab host is a fresh Docker host: task 1 holds by itself.
  await untilTask(page, 1, 'done', T)
  // Run types each step into the terminal; the tasks tick themselves. (Task 2's check reads what
  // the host has, which holds from the start: the page may tick it before anything is typed.)
  await untilTask(page, 2, /current|failed|done/, T)
  await page.click('[data-task="2"] [data-run]')
  await untilTerminal(page, 'host', /nginx:latest/, T)
  await untilTask(page, 2, 'done', T)
  await untilTask(page, 3, /current|failed/, T)
  await page.click('[data-task="3"] [data-run]')
  await untilTask(page, 3, 'done', T)
  t.pass('docker run -d --name web -p 8080:80 nginx, run from the page: task 3 done')
  // At least 3: the next task may tick too the moment its check sees what `docker run` made.
  t.ok(Number(/^(\d+) of \d+ tasks/.exec((await page.$eval('[data-progress]', (el) => el.textContent)) ?? '')?.[1]) >= 3, 'progress: 3 done, or more')
  // The terminal's docker is the lab's engine, and says so.
  await typeInto(page, 'host', 'echo engine=$NSLAB_ENGINE; docker version --format "server {{.Server.Version}}"')
  await untilTerminal(page, 'host', /engine=docker\s*\nserver \d+\.\d+/, T)
  // The learner's own command in the terminal reaches the container through docker-proxy.
  await typeInto(page, 'host', "curl -sS --max-time 10 http://localhost:8080/ | grep -o '<title>.*</title>'")
  await untilTerminal(page, 'host', /<title>Welcome to nginx!<\/title>/, T)
  t.same(page.problems, [], 'no script error, no failed request, no CSP report in the page')

  // What runs: the server's lab host with its dockerd and nginx.
  const serverProcs = descendants(served.proc.pid!).map((pid) => ({ pid, start: started(pid), comm: comm(pid) }))
  const names = serverProcs.map((p) => p.comm)
  t.ok(names.includes('dockerd') && names.includes('nginx'), `dockerd and nginx run below the server (${[...new Set(names)].sort().join(' ')})`)
  // The lab host's cgroups are named after the process that made them: the server.
  const tree = dockerCgroupsOf(served.proc.pid!)
  t.ok(tree.length > 0 && tree.flatMap(procsIn).length > 0, 'in a docker-engine lab host cgroup tree')
  await page.close()

  const code = await served.stop('SIGINT')
  t.equal(code, 130, 'Ctrl-C: exit 130')
  const alive = () => serverProcs.filter((p) => p.start !== '' && started(p.pid) === p.start)
  // The kernel ends a pid namespace's last processes a moment after its init.
  await until(() => alive().length === 0, 30_000)
  t.same(alive().map((p) => `${p.pid} ${p.comm}`), [], 'no process of the server, its dockerd or containers is left')
  t.same(dockerCgroupsOf(served.proc.pid!), [], 'no cgroup of its lab host is left')
  t.same(machineState(), before, "the machine's network and mounts are as they were")
})
