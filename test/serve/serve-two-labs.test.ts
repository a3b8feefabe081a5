// Two labs open in two tabs at once, each with its own lab host and shells;
// the terminals are real ptys (Ctrl-C, the window's size); the page and
// `nslab` in a terminal share the learner's session both ways; a reload
// finds the terminal as it was; Reset gives a fresh lab host after a
// confirmation.
import t from 'tap'
import { join } from 'node:path'
import { FIXTURES, requireBuild, ROOT } from '../helpers/learner-cli.js'
import { sandboxProcesses, stillRunning } from '../helpers/namespace-traces.js'
import { launchBrowser, noBrowser, terminalText, typeInto, untilTask, untilTerminal, watchedPage } from './browser.js'
import { startServe } from './serve-process.js'

const TINY = join(FIXTURES, 'tiny.md')
const C2C = join(ROOT, 'labs/container-to-container.md')
const T = 30_000

t.test('two labs in two tabs, the CLI alongside, a reload, a reset', { skip: noBrowser }, async (t) => {
  requireBuild()
  const served = await startServe([TINY, C2C])
  const L = served.learner
  t.teardown(async () => {
    await served.stop()
    L.cleanup()
  })
  const browser = await launchBrowser()
  t.teardown(() => browser.cleanup())
  const a = await watchedPage(browser)
  await a.goto(served.url)
  const b = await watchedPage(browser)
  await a.goto(`${served.base}/lab/tiny`)
  await b.goto(`${served.base}/lab/container-to-container`)

  // Each tab: its own lab host, its own shell.
  await untilTerminal(a, 'host', /\[tiny \d\/3\] root@tiny:~#$/m, T)
  await untilTerminal(b, 'host', /\[container-to-container \d+\/\d+\] root@container-to-container:~#$/m, T)
  await typeInto(a, 'host', 'echo "I am $(hostname) on $NSLAB_MACHINE"')
  await typeInto(b, 'host', 'echo "I am $(hostname) on $NSLAB_MACHINE"')
  await untilTerminal(a, 'host', /^I am tiny on host$/m, T)
  await untilTerminal(b, 'host', /^I am container-to-container on host$/m, T)
  t.notMatch(await terminalText(a, 'host'), /container-to-container/, 'what is typed in one tab stays in it')
  await untilTask(a, 1, 'done', T)
  await untilTask(b, 1, 'done', T)
  const sessions = L.sessions()
  t.same(Object.keys(sessions).sort(), ['container-to-container', 'tiny'], 'two learner sessions, named after their labs')
  t.not(sessions.tiny!.sandbox.pid, sessions['container-to-container']!.sandbox.pid, 'two lab hosts')
  const status = L.nslab(['status'])
  t.match(status.stdout, /^tiny\s+Tiny learner lab\s+.*\s1\/3\s+up$/m, 'nslab status: the tiny lab, its progress as the page shows it')

  // A pty: a program that reads the terminal, Ctrl-C, the size of the window.
  await typeInto(a, 'host', 'test -t 0 && test -t 1 && echo "a terminal: $TERM"')
  await untilTerminal(a, 'host', /^a terminal: xterm-256color$/m, T)
  await typeInto(a, 'host', 'sleep 600')
  await new Promise((r) => setTimeout(r, 500))
  await a.keyboard.down('Control')
  await a.keyboard.press('c')
  await a.keyboard.up('Control')
  await typeInto(a, 'host', 'echo "sleep ended: $?"')
  await untilTerminal(a, 'host', /^sleep ended: 130$/m, T)
  t.pass('Ctrl-C interrupts the command, as in any terminal')
  const size = async (n: number) => {
    await typeInto(a, 'host', `echo "size ${n}: $(stty size)"`)
    const m = (await untilTerminal(a, 'host', new RegExp(`^size ${n}: \\d+ \\d+$`, 'm'), T)).match(new RegExp(`^size ${n}: (\\d+) (\\d+)$`, 'm'))!
    return { rows: Number(m[1]), cols: Number(m[2]) }
  }
  const size1 = await size(1)
  await a.setViewport({ width: 1100, height: 700 })
  await new Promise((r) => setTimeout(r, 500))
  const size2 = await size(2)
  t.ok(size2.rows < size1.rows && size2.cols < size1.cols, `the terminal follows the window (${JSON.stringify(size1)} → ${JSON.stringify(size2)})`)

  // The CLI works on the same session: the exercise solved in a terminal of the machine shows in the page.
  await untilTask(a, 2, /current|failed/, T)
  const shell = L.nslab(['shell', 'tiny', '--on', 'box1', '--', 'ip addr add 172.17.0.99/16 dev eth0'])
  t.equal(shell.code, 0, shell.stderr)
  await untilTask(a, 2, 'done', T)
  const solve = L.nslab(['solve', 'tiny'])
  t.equal(solve.code, 0, solve.stdout + solve.stderr)
  t.match(solve.stdout, /Task 3 of 3 · Exercise: a namespace — done \(solved with help\)/, 'nslab solve in a terminal')
  await untilTask(a, 3, 'solved', T)
  await a.waitForSelector('[data-finish]:not([hidden])', { timeout: T })
  t.pass('the page shows the task solved with help, and the finish')

  // A reload attaches to the same shell, with what its screen had.
  await a.reload()
  await untilTerminal(a, 'host', /^I am tiny on host$/m, T)
  await untilTask(a, 3, 'solved', T)
  t.pass('after a reload: the terminal as it was, the progress kept')

  // Solve in the other tab, then Reset: a confirmation, then a fresh lab host and no progress.
  await b.bringToFront()
  const n = await b.$eval('[data-task][data-state="current"], [data-task][data-state="failed"]', (el) => Number((el as HTMLElement).dataset.task))
  await b.click(`[data-task="${n}"] [data-action="solve"]`)
  await untilTask(b, n, 'solved', T)
  const old = L.sessions()['container-to-container']!
  t.ok(old.solved.includes(n - 1), `task ${n} solved with help in the page, and in the session`)
  const oldProcs = sandboxProcesses(old.sandbox.pid)
  t.ok(oldProcs.length > 0, 'the lab host runs')
  await b.click('[data-action="reset-ask"]')
  t.equal(await b.$eval('[data-confirm]', (el) => (el as HTMLElement).hidden), false, 'Reset asks first')
  await b.click('[data-action="reset-cancel"]')
  t.equal(await b.$eval('[data-confirm]', (el) => (el as HTMLElement).hidden), true, 'Cancel keeps the lab')
  t.equal(L.sessions()['container-to-container']!.sandbox.pid, old.sandbox.pid, 'the same lab host')
  await b.click('[data-action="reset-ask"]')
  await b.click('[data-action="reset"]')
  await b.waitForFunction(() => document.body.dataset.labStatus === 'up' && document.querySelector('[data-progress]')?.textContent?.startsWith('1 of'), { timeout: T })
  const fresh = L.sessions()['container-to-container']!
  t.not(fresh.sandbox.pid, old.sandbox.pid, 'a new lab host')
  t.same(fresh.solved, [], 'progress cleared')
  t.notOk(fresh.passed.includes(n - 1), `task ${n} is to do again`)
  t.same(stillRunning(oldProcs), [], 'the old lab host is gone, every process of it')
  await untilTerminal(b, 'host', /\[container-to-container \d+\/\d+\] root@container-to-container:~#$/m, T)
  t.notMatch(await terminalText(b, 'host'), /I am container-to-container/, 'the terminal is a new shell on the new lab host')

  t.same(a.problems, [], 'no error in the first tab')
  t.same(b.problems, [], 'nor in the second')
})
