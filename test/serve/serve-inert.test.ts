// A lab is untrusted input: its title, summary, prose, hints, steps and
// outputs may hold <script>, event handlers, javascript: links, frames and
// styles. In the page they are text, and the Content-Security-Policy would
// stop what got through. Each of them tries to set window.__nslabPwned.
import t from 'tap'
import { join } from 'node:path'
import { requireBuild, ROOT } from '../helpers/learner-cli.js'
import { launchBrowser, noBrowser, untilTask, untilTerminal, watchedPage } from './browser.js'
import { startServe } from './serve-process.js'

const HOSTILE = join(ROOT, 'test/serve/labs/hostile-prose.md')
const T = 30_000

t.test('a lab with <script> in its text renders it inert', { skip: noBrowser }, async (t) => {
  requireBuild()
  const served = await startServe([HOSTILE])
  t.teardown(async () => {
    await served.stop()
    served.learner.cleanup()
  })
  const browser = await launchBrowser()
  t.teardown(() => browser.cleanup())
  const page = await watchedPage(browser)
  const dialogs: string[] = []
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })

  await page.goto(served.url)
  t.match(await page.$eval('[data-lab-card]', (el) => el.textContent ?? ''), /<script>window\.__nslabPwned = 'title'<\/script>Hostile prose/, 'the list shows the title as text')
  t.match(await page.$eval('[data-lab-card] .summary', (el) => el.textContent ?? ''), /<img src=x onerror=/, 'and the summary')
  t.equal(await page.evaluate(() => document.querySelectorAll('main img, main script').length), 0, 'no element of the lab’s in the list')

  await page.click('[data-lab-card] a')
  await page.waitForSelector('[data-task="2"]')
  await untilTask(page, 2, /current|failed/, T)
  t.match(await page.title(), /^<script>window\.__nslabPwned = 'title'<\/script>Hostile prose · nslab$/, 'the title, as text')
  const prose = await page.$eval('#prose', (el) => el.textContent ?? '')
  t.match(prose, /<script>window\.__nslabPwned = 'block'; alert\('pwned'\)<\/script>/, 'a block of HTML shows as the text it is')
  t.match(prose, /An inline one: <img src="x" onerror=/, 'so does inline HTML')
  t.match(prose, /<iframe src=/, 'and a frame')
  t.notMatch(prose, /an author's comment/, 'an HTML comment is hidden, as GitHub hides it')
  const elements = await page.$eval('#prose', (el) => ({
    script: el.querySelectorAll('script').length,
    img: el.querySelectorAll('img').length,
    iframe: el.querySelectorAll('iframe').length,
    style: el.querySelectorAll('style').length,
    svg: el.querySelectorAll('svg').length,
    handlers: [...el.querySelectorAll('*')].filter((x) => [...x.attributes].some((a) => /^on/i.test(a.name))).length,
    hrefs: [...el.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? ''),
  }))
  t.same({ ...elements, hrefs: undefined }, { script: 0, img: 0, iframe: 0, style: 0, svg: 0, handlers: 0, hrefs: undefined }, 'no element and no handler of the lab’s in the page')
  t.notOk(elements.hrefs.some((h) => /^\s*javascript:/i.test(h)), `no javascript: link (${elements.hrefs.join(', ')})`)
  t.ok(elements.hrefs.includes('https://example.org/'), 'a link to the web stays a link')
  t.equal(await page.evaluate(() => document.scripts.length), 1, "one script in the page: nslab's own")

  // The hint and the evidence come from the server as text.
  await page.click('[data-task="2"] [data-action="hint"]')
  await page.waitForFunction(() => !(document.querySelector('[data-task="2"] [data-hint]') as HTMLElement).hidden, { timeout: T })
  t.match(await page.$eval('[data-task="2"] [data-hint]', (el) => el.textContent), /<img src=x onerror="window\.__nslabPwned='hint2'">/, 'the hint shows as text')
  await page.click('[data-task="2"] [data-run]')
  await untilTerminal(page, 'box1', /^<script>window\.__nslabPwned = "step"<\/script>$/m, T)
  await untilTask(page, 2, 'failed', T)
  t.equal(await page.$eval('[data-task="2"] [data-hint] img, [data-task="2"] [data-verdict] *[onerror]', () => 1).catch(() => 0), 0, 'nothing of the hint or the evidence became an element')

  t.equal(await page.evaluate(() => (window as unknown as { __nslabPwned?: string }).__nslabPwned), undefined, 'no script of the lab ran')
  t.same(dialogs, [], 'no alert')
  t.same(page.problems, [], 'nothing blocked, nothing failed: there was nothing to block')
})
