// nslab serve --workshop: each learner's link opens their own labs and
// nothing else — not the instructor's page, not another learner's lab host,
// terminal or socket; the instructor's link opens the instructor's page.
// Learners' lab hosts run as uids of their own. The links and the progress
// survive a restart of the server.
import t from 'tap'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { learner, requireBuild } from '../helpers/learner-cli.js'
import { cookieOf, get, openSocket, upgrade } from './http-probe.js'
import { startServe } from './serve-process.js'
import type { WorkshopTable } from '../../runner/serve/workshop-table.js'
import type { ServerMessage } from '../../runner/serve/page-state.js'

const T = 60_000

t.test('tokens: each link opens its own, and nothing of anyone else', async (t) => {
  requireBuild()
  const L = learner()
  t.teardown(() => L.cleanup())
  const classFile = join(L.state, '..', 'class.yaml')
  writeFileSync(classFile, 'title: Token test\nlabs: [snat-outbound]\nlearners: [ada, bob]\n')
  const linksFile = join(L.state, '..', 'links.txt')
  let served = await startServe(['--workshop', classFile, '--links', linksFile], { learner: L })
  t.teardown(() => served.stop())

  const links = readFileSync(linksFile, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string])
  t.same(links.map((l) => l[0]), ['instructor', 'ada', 'bob'], 'a line per person: NAME URL, the instructor first')
  t.equal(statSync(linksFile).mode & 0o777, 0o600, 'the links file is readable by its owner only')
  for (const [, url] of links) t.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${served.port}/(instructor)?\\?token=[0-9a-f]{64}$`), 'on loopback, with a token')
  t.match(served.stdout(), /^ada http:\/\/127\.0\.0\.1:\d+\/\?token=/m, 'printed too')
  const url = Object.fromEntries(links)
  const port = served.port
  const origin = `http://127.0.0.1:${port}`

  const ada = await cookieOf(port, url.ada!)
  const bob = await cookieOf(port, url.bob!)
  const teacher = await cookieOf(port, url.instructor!)
  t.not(ada, bob, 'each learner has a cookie of their own')

  // Learners: their labs, never the instructor's page.
  const adaList = await get(port, '/', { cookie: ada })
  t.equal(adaList.status, 200, "ada's link opens her list of labs")
  t.match(adaList.body, /data-learner="ada"/, 'with her name on it')
  t.equal((await get(port, '/lab/snat-outbound', { cookie: ada })).status, 200, 'and the lab')
  for (const path of ['/instructor', '/instructor/gradebook/snat-outbound.csv', '/instructor/gradebook/snat-outbound.json']) {
    const a = await get(port, path, { cookie: ada })
    t.equal(a.status, 403, `ada: ${path} is 403`)
    t.equal(a.body, '403 Forbidden\n', 'and nothing else')
  }
  for (const path of ['/ws/instructor', '/ws/watch/bob/snat-outbound/host', '/ws/watch/ada/snat-outbound/host']) {
    t.equal(await upgrade(port, path, { cookie: ada, origin }), 403, `ada: ${path} is 403`)
  }
  t.equal((await get(port, '/', { cookie: 'nslab-token-1=x' })).status, 403, 'no cookie: 403')
  t.equal((await get(port, `/?token=${'0'.repeat(64)}`)).status, 403, 'a made-up token: 403')

  // The instructor: the live page and the gradebook, no lab of anyone's.
  const home = await get(port, '/', { cookie: teacher })
  t.equal(home.status, 303, "the instructor's / …")
  t.equal(home.headers.location, '/instructor', '… is the instructor page')
  const page = await get(port, '/instructor', { cookie: teacher })
  t.equal(page.status, 200)
  t.match(page.body, /class="instructor-page"/)
  t.equal((await get(port, '/lab/snat-outbound', { cookie: teacher })).status, 403, 'the instructor has no lab of their own')
  t.equal(await upgrade(port, '/ws/term/snat-outbound/host', { cookie: teacher, origin }), 403, 'nor a terminal in one')

  // Two learners' lab hosts: their own sessions, their own uids.
  const adaLab = await openSocket(port, '/ws/lab/snat-outbound', ada)
  const bobLab = await openSocket(port, '/ws/lab/snat-outbound', bob)
  t.teardown(() => {
    adaLab.close()
    bobLab.close()
  })
  type State = Extract<ServerMessage, { type: 'state' }>
  const adaUp = await adaLab.until<State>((m) => m.type === 'state' && m.status === 'up', T)
  const bobUp = await bobLab.until<State>((m) => m.type === 'state' && m.status === 'up', T)
  t.equal(adaUp.name, 'ws-ada-snat-outbound', "ada's session is hers")
  t.equal(bobUp.name, 'ws-bob-snat-outbound', "bob's is his")
  t.not(adaUp.hostId, bobUp.hostId, 'two lab hosts')
  const sessions = L.sessions() as Record<string, { sandbox: { uid?: number } }>
  if (process.getuid?.() === 0) {
    const uids = [sessions['ws-ada-snat-outbound']?.sandbox.uid, sessions['ws-bob-snat-outbound']?.sandbox.uid]
    t.ok(uids.every((u) => typeof u === 'number' && u >= 1_810_000_000), `each lab host runs as an unused uid (${uids.join(', ')})`)
    t.not(uids[0], uids[1], 'a uid per learner')
  }
  // Task 1 holds on a fresh lab host: done by itself, for both.
  await adaLab.until<State>((m) => m.type === 'state' && m.done >= 1, T)
  await bobLab.until<State>((m) => m.type === 'state' && m.done >= 1, T)

  const board = await openSocket(port, '/ws/instructor', teacher)
  const table = await board.until<WorkshopTable>((m) => m.type === 'table' && m.learners.every((l) => (l.labs[0]?.done ?? 0) >= 1), T)
  t.same(table.learners.map((l) => l.name), ['ada', 'bob'], 'the instructor sees both')
  t.equal(table.learners[0]!.labs[0]!.cells[0], 'done', "ada's task 1: done")
  t.equal(table.learners[0]!.labs[0]!.cells[1], 'current', 'task 2: current')
  t.ok(table.learners[0]!.online, 'ada is online')
  board.close()
  const csv = await get(port, '/instructor/gradebook/snat-outbound.csv', { cookie: teacher })
  t.equal(csv.status, 200, 'the gradebook')
  t.match(String(csv.headers['content-disposition']), /attachment; filename="snat-outbound-gradebook\.csv"/)
  t.match(csv.body, /^learner,task-1 \(of 1\),/, 'as nslab grade writes it')
  t.match(csv.body, /\r\nada,1,0,/, 'ada: task 1 done')

  // A restart: the same links, the progress kept.
  adaLab.close()
  bobLab.close()
  t.equal(await served.stop(), 130, 'Ctrl-C stops it')
  served = await startServe(['--workshop', classFile], { learner: L })
  t.match(served.stdout(), new RegExp(`^ada http://127\\.0\\.0\\.1:${served.port}/\\?token=${new URL(url.ada!).searchParams.get('token')}$`, 'm'), "ada's link is the same after a restart (but the port)")
  const teacher2 = await cookieOf(served.port, `${served.base}/instructor?token=${new URL(url.instructor!).searchParams.get('token')}`)
  const board2 = await openSocket(served.port, '/ws/instructor', teacher2)
  const kept = await board2.until<WorkshopTable>((m) => m.type === 'table', T)
  t.ok(kept.learners.every((l) => (l.labs[0]?.done ?? 0) >= 1), 'the progress survived the restart')
  t.equal(kept.learners[0]!.labs[0]!.status, 'closed', 'with no lab host up yet')
  board2.close()
  // Ada comes back: a fresh lab host, at the task she was on.
  const ada2 = await cookieOf(served.port, `${served.base}/?token=${new URL(url.ada!).searchParams.get('token')}`)
  const back = await openSocket(served.port, '/ws/lab/snat-outbound', ada2)
  t.teardown(() => back.close())
  const resumed = await back.until<State>((m) => m.type === 'state' && m.status === 'up', T)
  t.ok(resumed.done >= 1, `she resumes where she was (${resumed.done} done)`)
  back.close()
})
