// The SNAT lab in the page, as a learner does it, in a real browser: open the
// list, open the lab, Run steps (typed into the right machine's terminal),
// a wrong answer typed into the host terminal (the task stays not done, its
// hint appears), the right one (done by itself), Solve for the last task, the
// finish. `nslab check` in a terminal agrees with the page all along. The
// screenshot of docs/learners.md is taken here.
import t from 'tap'
import { join } from 'node:path'
import { requireBuild, ROOT } from '../helpers/learner-cli.js'
import { launchBrowser, noBrowser, typeInto, untilTask, untilTerminal, watchedPage } from './browser.js'
import { startServe } from './serve-process.js'

const SNAT = join(ROOT, 'labs/snat-outbound.md')
/** Generous: the machine may be busy; a failing check waits out its window. */
const T = 30_000

t.test('the SNAT lab in the page, as a learner does it', { skip: noBrowser }, async (t) => {
  requireBuild()
  const served = await startServe([SNAT])
  t.teardown(async () => {
    await served.stop()
    served.learner.cleanup()
  })
  const browser = await launchBrowser()
  t.teardown(() => browser.cleanup())
  const page = await watchedPage(browser)

  // The first page lists the lab; the token became a cookie and left the address.
  await page.goto(served.url)
  t.equal(new URL(page.url()).search, '', 'the token is not left in the address bar')
  const card = await page.$eval('[data-lab-card="snat-outbound"]', (el) => el.textContent ?? '')
  t.match(card, /SNAT — how a container reaches the outside world/, 'the list shows the lab by its title')
  t.match(card, /13 tasks/, 'and its number of tasks')
  t.match(card, /not started/, 'and the learner’s progress')

  await page.click('a[href="/lab/snat-outbound"]')
  await page.waitForSelector('[data-task="13"]')
  t.same(await page.$$eval('.term[data-machine]', (els) => els.map((e) => (e as HTMLElement).dataset.machine)), ['host', 'box1', 'internet'], 'one terminal per machine')
  await untilTerminal(page, 'host', /\[snat-outbound \d+\/13\] root@snat-outbound:~#$/m, T)
  t.pass('the host terminal shows its prompt')

  // Task 1 holds on a fresh lab host: it turns done by itself.
  await untilTask(page, 1, 'done', T)
  await untilTask(page, 2, 'current', T)
  t.match(await page.$eval('[data-progress]', (el) => el.textContent), /^1 of 13 tasks/, 'progress: 1 of 13')

  // Run types the step into the host terminal; the task ticks itself.
  const runs = await page.$$eval('[data-run]', (els) => els.map((e) => ({ block: Number((e as HTMLElement).dataset.run), on: (e as HTMLElement).dataset.on })))
  t.ok(runs.length >= 8, 'Run buttons on the steps')
  await page.click(`[data-task="2"] [data-run]`)
  await untilTerminal(page, 'host', /3 packets transmitted, 3 received/, T)
  await untilTask(page, 2, 'done', T)
  t.pass('task 2 turned done after its step ran in the terminal')

  // Task 4 needs nginx on internet: its Run goes to the internet terminal, in the background.
  await untilTask(page, 4, /current|failed/, T)
  const nginx = runs.find((r) => r.on === 'internet')
  t.ok(nginx, 'a step that runs on internet')
  await page.click(`[data-run="${nginx!.block}"]`)
  t.equal(await page.$eval('[role="tab"][data-tab="internet"]', (el) => el.getAttribute('aria-selected')), 'true', 'Run showed the internet tab')
  await untilTerminal(page, 'internet', /nginx -e \/tmp\/whoami\/error\.log -c \/tmp\/whoami\/nginx\.conf &/, T)
  await untilTask(page, 4, 'done', T)

  // Task 7: the flush (a step of six lines, typed as one paste).
  await untilTask(page, 7, /current|failed/, T)
  await page.click('[data-task="7"] [data-run]')
  await untilTask(page, 7, 'done', T)
  // Task 10: the rule by hand.
  await untilTask(page, 10, /current|failed/, T)
  await page.click('[data-task="10"] [data-run]')
  await untilTask(page, 10, 'done', T)

  // Exercise 1: the current task, untried: no hint yet.
  await untilTask(page, 12, 'current', T)
  t.equal(await page.$eval('[data-task="12"] [data-hint]', (el) => (el as HTMLElement).hidden), true, 'no hint before the learner has tried')
  // A wrong answer, typed into the host terminal.
  await typeInto(page, 'host', 'iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT')
  await untilTask(page, 12, 'failed', T)
  await page.waitForFunction(() => !(document.querySelector('[data-task="12"] [data-hint]') as HTMLElement).hidden, { timeout: T })
  t.match(await page.$eval('[data-task="12"] [data-hint]', (el) => el.textContent), /iptables -P sets a policy/, 'the hint appears once the learner has tried')
  await page.waitForFunction(() => /box1 got no reply from internet/.test(document.querySelector('[data-task="12"] [data-verdict]')?.textContent ?? ''), { timeout: T })
  const verdict = await page.$eval('[data-task="12"] [data-verdict]', (el) => el.textContent ?? '')
  t.match(verdict, /✗ box1 got no reply from internet at 203\.0\.113\.10/, 'the evidence, in plain words')
  t.match(verdict, /ping -c 1/, 'with the command that saw it')
  // The terminal and the page agree with nslab check in a terminal of the machine.
  const check = served.learner.nslab(['check', 'snat-outbound'])
  t.equal(check.code, 1, 'nslab check: not done yet')
  t.match(check.stdout, /✗ Task 12 of 13 · Exercise 1: open the way — not done yet/, 'nslab check is on the same task')
  t.match(check.stdout, /Progress: 11 of 13 tasks done/, 'with the same progress')

  // The screenshot of docs/learners.md: a task not done yet, its evidence and hint, the terminal.
  await page.$eval('[data-task="12"]', (el) => el.scrollIntoView({ block: 'start' }))
  const shot = join(ROOT, 'docs/serve-page.png')
  await page.screenshot({ path: shot })
  t.pass(`screenshot: ${shot}`)

  // The right answer: done by itself, soon after the command.
  await typeInto(page, 'host', 'iptables -P FORWARD ACCEPT')
  await untilTask(page, 12, 'done', T)
  t.equal(await page.$eval('[data-task="12"] [data-hint]', (el) => (el as HTMLElement).hidden), true, 'a done task shows no hint')

  // Exercise 2 by Solve: the solution is typed into the host terminal, the task is solved with help.
  await untilTask(page, 13, /current|failed/, T)
  await page.click('[data-task="13"] [data-action="solve"]')
  await untilTerminal(page, 'host', /iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT/, T)
  await untilTask(page, 13, 'solved', T)
  await page.waitForSelector('[data-finish]:not([hidden])', { timeout: T })
  t.match(await page.$eval('[data-finish]', (el) => el.textContent), /All 13 tasks done\. \(1 solved with help\)/, 'the finish, with the one solved with help')
  t.match(await page.$eval('[data-progress]', (el) => el.textContent), /^13 of 13 tasks \(1 with help\)/, 'progress: all, one with help')
  await typeInto(page, 'host', '')
  await untilTerminal(page, 'host', /\[snat-outbound 13\/13 done\] root@snat-outbound:~#$/, T)
  t.pass('the next prompt shows the progress too')

  const status = served.learner.nslab(['status'])
  t.match(status.stdout, /snat-outbound\s+SNAT — how a container reaches the outside …\s+\S+ \S+\s+13\/13 \(1 with help\)\s+up/, 'nslab status agrees')
  const again = served.learner.nslab(['check', 'snat-outbound'])
  t.equal(again.code, 0, 'nslab check: every task done')

  t.same(page.problems, [], 'no script error, no failed request, no CSP report in the page')
  await page.close()
})

