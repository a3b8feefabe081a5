// Debian's chromium, headless, driven by puppeteer-core (no browser
// download). This machine's network is closed and the pages must work
// without one: no background traffic, no component updates, a fresh profile.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'

export const CHROMIUM = '/usr/bin/chromium'

/** Why browser tests cannot run here, or false. */
export const noBrowser: string | false = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed (bash test/setup.sh --test)` : false

export async function launchBrowser(): Promise<Browser & { cleanup(): Promise<void> }> {
  const { default: puppeteer } = await import('puppeteer-core')
  const profile = mkdtempSync(join(tmpdir(), 'nslab-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      // As root, chromium's sandbox cannot start.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-gpu',
      `--user-data-dir=${profile}`,
    ],
  })
  return Object.assign(browser, {
    async cleanup() {
      await browser.close().catch(() => undefined)
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
    },
  })
}

/** A page that records what went wrong in it: script errors, failed requests, CSP reports. */
export async function watchedPage(browser: Browser): Promise<Page & { problems: string[] }> {
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`))
  await page.setViewport({ width: 1400, height: 900 })
  return Object.assign(page, { problems })
}

/** Text of a terminal tab's screen (xterm's DOM rows). */
export async function terminalText(page: Page, machine: string): Promise<string> {
  await page.bringToFront()
  const rows = await page.$eval(`.term[data-machine="${machine}"]`, (el) => [...el.querySelectorAll('.xterm-rows > div')].map((r) => r.textContent ?? ''))
  // xterm.js lays spaces out as no-break spaces.
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n').trimEnd()
}

/** Type a command into a terminal tab, as a learner does: click it, type, Enter. */
export async function typeInto(page: Page, machine: string, line: string): Promise<void> {
  await page.bringToFront()
  await page.click(`[role="tab"][data-tab="${machine}"]`)
  await page.click(`.term[data-machine="${machine}"]`)
  await page.keyboard.type(line, { delay: 5 })
  await page.keyboard.press('Enter')
}

/** Wait until a terminal's screen matches. */
export async function untilTerminal(page: Page, machine: string, re: RegExp, timeoutMs = 20_000): Promise<string> {
  // xterm.js draws on animation frames, which a tab in the background does not get.
  await page.bringToFront()
  const end = Date.now() + timeoutMs
  for (;;) {
    const text = await terminalText(page, machine)
    // A long line wraps at the terminal's width.
    if (re.test(text) || re.test(text.replace(/\n/g, ''))) return text
    if (Date.now() > end) throw new Error(`the ${machine} terminal did not show ${re} within ${timeoutMs} ms; it shows:\n${text}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Wait for a task's data-state. */
export async function untilTask(page: Page, n: number, state: string | RegExp, timeoutMs = 20_000): Promise<void> {
  const re = typeof state === 'string' ? new RegExp(`^${state}$`) : state
  const end = Date.now() + timeoutMs
  for (;;) {
    const s = await page.$eval(`[data-task="${n}"]`, (el) => (el as HTMLElement).dataset.state ?? '')
    if (re.test(s)) return
    if (Date.now() > end) {
      const all = await page.$$eval('[data-task]', (els) => els.map((e) => `${(e as HTMLElement).dataset.task}:${(e as HTMLElement).dataset.state}`).join(' '))
      throw new Error(`task ${n} did not become ${re} within ${timeoutMs} ms (tasks: ${all})`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
