// A workshop of three in a real browser: ada and bob do the SNAT lab at the
// same time (ada with Run where the lab has steps, bob with Solve), while cy
// runs a memory hog and then a fork bomb in her terminal. Cy's limits stop
// both at her share; ada and bob finish. The instructor's page shows all
// three, watches cy's terminal read-only, sends a message every page shows,
// and the gradebook it exports matches its table. The screenshot of
// docs/instructors.md is taken here.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import { learner, requireBuild, ROOT } from '../helpers/learner-cli.js'
import { launchBrowser, noBrowser, typeInto, untilTerminal, watchedPage } from './browser.js'
import { cookieOf, get } from './http-probe.js'
import { startServe } from './serve-process.js'

/** Generous: the machine may be busy, and cy's bomb takes its share. */
const T = 60_000
const TASKS = 13

async function learnerPage(browser: Browser, url: string): Promise<Page & { problems: string[] }> {
  // A context each: a cookie jar each, as three laptops.
  const context = await browser.createBrowserContext()
  const page = Object.assign(await context.newPage(), { problems: [] as string[] })
  page.on('pageerror', (e) => page.problems.push(`page error: ${(e as Error).message}`))
  await page.setViewport({ width: 1400, height: 900 })
  await page.goto(url)
  await page.$eval('a[href="/lab/snat-outbound"]', (a) => (a as HTMLAnchorElement).click())
  await page.waitForSelector(`[data-task="${TASKS}"]`)
  return page
}

const stateOf = (page: Page, n: number) => page.$eval(`[data-task="${n}"]`, (el) => (el as HTMLElement).dataset.state ?? '')
async function until(page: Page, n: number, re: RegExp, ms = T): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    const s = await stateOf(page, n)
    if (re.test(s)) return s
    if (Date.now() > end) throw new Error(`task ${n} did not become ${re} within ${ms} ms (it is ${s})`)
    await new Promise((r) => setTimeout(r, 150))
  }
}

/** The whole lab as a learner works it: Run on the steps (ada), or Solve (bob). */
async function doLab(page: Page, how: 'run' | 'solve'): Promise<number> {
  const t0 = Date.now()
  for (let n = 1; n <= TASKS; n++) {
    const s = await until(page, n, /^(current|failed|done|solved)$/)
    if (s === 'done' || s === 'solved') continue
    const runs = await page.$$eval(`[data-task="${n}"] [data-run]`, (els) => els.map((e) => (e as HTMLElement).dataset.run!))
    if (how === 'run' && runs.length) {
      for (const r of runs) {
        await page.$eval(`[data-run="${r}"]`, (b) => (b as HTMLButtonElement).click())
        await new Promise((res) => setTimeout(res, 400))
      }
      try {
        await until(page, n, /^(done|solved)$/, 20_000)
        continue
      } catch {
        // the step was elsewhere in the text: Solve does it
      }
    }
    if (await page.$(`[data-task="${n}"] [data-action="solve"]`)) {
      await page.waitForFunction((k) => !(document.querySelector(`[data-task="${k}"] [data-action="solve"]`) as HTMLButtonElement).disabled, { timeout: T }, n)
      await page.$eval(`[data-task="${n}"] [data-action="solve"]`, (b) => (b as HTMLButtonElement).click())
    }
    await until(page, n, /^(done|solved)$/)
  }
  await page.waitForSelector('[data-finish]:not([hidden])', { timeout: T })
  return Date.now() - t0
}

t.test('a workshop of three: two finish the SNAT lab while the third bombs', { skip: noBrowser }, async (t) => {
  requireBuild()
  const L = learner()
  t.teardown(() => L.cleanup())
  const classFile = join(L.state, '..', 'class.yaml')
  writeFileSync(classFile, 'title: Friday networking\nlabs: [snat-outbound]\nlearners: [ada, bob, cy]\nlimits: { procs: 128, memory: 256M, cpus: 0.5 }\n')
  const linksFile = join(L.state, '..', 'links.txt')
  const served = await startServe(['--workshop', classFile, '--links', linksFile], { learner: L })
  t.teardown(() => served.stop())
  const url = Object.fromEntries(readFileSync(linksFile, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]))

  const browser = await launchBrowser()
  t.teardown(() => browser.cleanup())
  const [ada, bob, cy] = await Promise.all([learnerPage(browser, url.ada!), learnerPage(browser, url.bob!), learnerPage(browser, url.cy!)])

  // Cy: a memory hog, then a fork bomb, in her host terminal.
  await untilTerminal(cy, 'host', /root@ws-cy-snat-outbound:~#\s*$/m, T)
  await typeInto(cy, 'host', 'head -c 2G /dev/zero | tail; echo "hog ended: $?"')
  await untilTerminal(cy, 'host', /hog ended: 137/, T)
  t.pass('the memory hog was ended at her limit (SIGKILL by the OOM killer: 137)')
  await typeInto(cy, 'host', 'b(){ b|b& }; b')
  await new Promise((r) => setTimeout(r, 2000))

  // Ada and bob, at once, while the bomb goes off.
  const [adaMs, bobMs] = await Promise.all([doLab(ada, 'run'), doLab(bob, 'solve')])
  t.pass(`ada finished in ${Math.round(adaMs / 1000)} s, bob in ${Math.round(bobMs / 1000)} s, with cy's fork bomb running`)
  t.ok(adaMs < 240_000 && bobMs < 240_000, 'both within four minutes (alone, each takes well under one)')

  // The instructor's page.
  const teacher = await watchedPage(browser)
  await teacher.goto(url.instructor!)
  // xterm.js draws on animation frames, which a tab in the background does not get.
  await teacher.bringToFront()
  await teacher.waitForFunction(() => document.querySelectorAll('[data-table] tbody tr').length === 3, { timeout: T }).catch(async (e: unknown) => {
    throw new Error(`${(e as Error).message}: the page has ${await teacher.$eval('main', (m) => m.outerHTML.slice(0, 3000))}; problems: ${teacher.problems.join('; ')}`)
  })
  await teacher.waitForFunction(() => ['ada', 'bob'].every((n) => document.querySelector(`tr[data-learner="${n}"]`)?.getAttribute('data-finished') === 'true'), { timeout: T })
  const rows = await teacher.$$eval('[data-table] tbody tr', (trs) =>
    trs.map((tr) => ({
      name: (tr as HTMLElement).dataset.learner,
      finished: (tr as HTMLElement).dataset.finished,
      cells: [...tr.querySelectorAll('[data-cell]')].map((c) => (c as HTMLElement).dataset.cell),
    })),
  )
  t.same(rows.map((r) => r.name), ['ada', 'bob', 'cy'], 'all three, in the class file’s order')
  t.ok(rows[0]!.cells.every((c) => c === 'done' || c === 'solved'), 'ada: every task done')
  t.ok(rows[1]!.cells.every((c) => c === 'done' || c === 'solved'), 'bob: every task done')
  t.ok(rows[1]!.cells.includes('solved'), 'bob: with Solve’s help')
  t.equal(rows[2]!.finished, 'false', 'cy has not finished')
  t.ok(rows[2]!.cells.includes('current'), 'cy is on a task')
  t.match(await teacher.$eval('tr[data-learner="cy"]', (el) => el.textContent ?? ''), /snat-outbound · \d+/, 'on which task cy is')
  t.equal(await teacher.$eval('tr[data-learner="cy"]', (el) => (el as HTMLElement).dataset.stuck ?? ''), 'true', 'cy: stuck longest')

  // Cy's terminal, read-only.
  await teacher.$eval('[data-watch-learner="cy"]', (b) => (b as HTMLButtonElement).click())
  // What the screen had is replayed: the hog's end, unless the bomb's complaints have pushed it out since.
  await teacher.waitForFunction(() => /hog ended: 137|fork|ws-cy-snat-outbound/.test(document.querySelector('[data-watch-term] .xterm-rows')?.textContent ?? ''), { timeout: T }).catch(async (e: unknown) => {
    throw new Error(`${(e as Error).message}: the watch shows ${await teacher.$eval('[data-watch]', (m) => m.outerHTML.slice(0, 2000))}; problems: ${teacher.problems.join('; ')}`)
  })
  t.pass("the instructor sees cy's terminal")
  await teacher.click('[data-watch-term]')
  await teacher.keyboard.type('echo typed-by-the-instructor\n')
  await new Promise((r) => setTimeout(r, 1000))
  t.notMatch(await cy.$eval('.term[data-machine="host"]', (el) => el.textContent ?? ''), /typed-by-the-instructor/, "the instructor's keys never reach it")

  // A message to everyone.
  await teacher.type('#announce-text', 'Ten minutes left')
  await teacher.$eval('[data-announce] button', (b) => (b as HTMLButtonElement).click())
  for (const [name, page] of [['ada', ada], ['cy', cy]] as const) {
    await page.waitForFunction(() => /From the instructor: Ten minutes left/.test(document.querySelector('[data-notice]')?.textContent ?? ''), { timeout: T })
    t.pass(`${name}'s page shows the message`)
  }

  // The screenshot of docs/instructors.md.
  const shot = join(ROOT, 'docs/workshop-instructor.png')
  await teacher.bringToFront()
  await teacher.screenshot({ path: shot })
  t.pass(`screenshot: ${shot}`)

  // The gradebook matches the table: a point per task done unaided.
  const cookie = await cookieOf(served.port, url.instructor!)
  const csv = await get(served.port, '/instructor/gradebook/snat-outbound.csv', { cookie })
  t.equal(csv.status, 200)
  const lines = csv.body.trim().split('\r\n')
  t.match(lines[0], /^learner,task-1 \(of 1\),.*,task-13 \(of 1\),points,max,percent,status,reason,submission$/, 'the header of nslab grade’s CSV')
  for (const [i, r] of rows.entries()) {
    const cells = lines[i + 1]!.split(',')
    t.equal(cells[0], r.name, `${r.name}: a row`)
    t.same(cells.slice(1, 1 + TASKS), r.cells.map((c) => (c === 'done' ? '1' : '0')), `${r.name}: the points of each task are the table's`)
    t.equal(cells[1 + TASKS], String(r.cells.filter((c) => c === 'done').length), `${r.name}: the total`)
  }
  for (const f of ['json', 'junit', 'html', 'run.json']) {
    const a = await get(served.port, `/instructor/gradebook/snat-outbound.${f}`, { cookie })
    t.equal(a.status, 200, `the ${f} gradebook`)
    if (f === 'json') {
      const j = JSON.parse(a.body) as { submissions: { name: string; points: number }[] }
      t.same(j.submissions.map((s) => [s.name, s.points]), rows.map((r) => [r.name, r.cells.filter((c) => c === 'done').length]), 'the JSON gradebook agrees')
    }
    if (f === 'junit') t.match(a.body, /<testsuites name="nslab" tests="39"/, 'JUnit: a test per task per learner')
  }

  t.same([...teacher.problems, ...ada.problems, ...bob.problems], [], 'no script error or CSP report on the pages')
})
