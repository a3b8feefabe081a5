#!/usr/bin/env node
// nslab serve, timed as a learner meets it, in Debian's chromium (puppeteer-core):
//   1. a lab's page to a shell prompt in its terminal, from the click on the
//      list (the lab host built then: cold), and on a reload (warm);
//   2. keystroke echo in the terminal: key sent → echo back on the socket,
//      and key pressed → drawn on the screen;
//   3. a task turning done after the command that makes it pass (Enter
//      pressed → the task's data-state is done), on a lab of typical checks;
//   4. 20 learners' pages on one server (20 lab hosts: 20 copies of the SNAT
//      lab, each with its control socket and its host terminal open, as a page
//      has them), and the server's memory (RSS) while they work.
// Everything on loopback; the load is bounded (20 pages).
// Usage: node bench/serve-bench.js [rounds]   (npm run build first)
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'dist/bin/nslab.cjs')
const ROUNDS = Number(process.argv[2] ?? 10)
const require = createRequire(join(ROOT, 'package.json'))
const puppeteer = require('puppeteer-core')
const WebSocket = require('ws')
const work = mkdtempSync(join(tmpdir(), 'nslab-serve-bench-'))
const env = { ...process.env, NSLAB_STATE_DIR: join(work, 'state'), NO_COLOR: '1' }
delete env.NODE_OPTIONS

const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]
const ms = (x) => (x === undefined ? '–' : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`)
const stats = (xs) => ({ n: xs.length, median: q(xs, 0.5), p90: q(xs, 0.9), max: q(xs, 1) })
const sleep = (t) => new Promise((r) => setTimeout(r, t))
const rows = []
const row = (what, xs, aim) => {
  const s = stats(xs)
  rows.push(`| ${what} | ${s.n} | ${ms(s.median)} | ${ms(s.p90)} | ${ms(s.max)} | ${aim} |`)
}

/** nslab serve LABS…, on a free loopback port; its address and pid. */
async function serve(args) {
  const proc = spawn(process.execPath, [...(process.env.SERVE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), CLI, 'serve', '--port', '0', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout.on('data', (d) => (out += d))
  proc.stderr.on('data', (d) => (err += d))
  for (let i = 0; i < 300 && !/token=/.test(out); i++) await sleep(100)
  const url = /http:\/\/\S+\?token=[0-9a-f]+/.exec(out)?.[0]
  if (!url) throw new Error(`nslab serve did not start:\n${out}\n${err}`)
  const u = new URL(url)
  return {
    proc,
    url,
    base: `${u.protocol}//${u.host}`,
    port: u.port,
    token: u.searchParams.get('token'),
    stderr: () => err,
    async stop() {
      proc.kill('SIGINT')
      await new Promise((r) => proc.on('exit', r))
    },
  }
}

function nslab(args) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8' })
}

async function browser() {
  const profile = join(work, `chromium-${Math.random().toString(36).slice(2)}`)
  mkdirSync(profile)
  return await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
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
}

/** In the page: when each keystroke frame left, when the echo came back, when the screen changed. */
function instrument() {
  const W = window.WebSocket
  window.__bench = { sent: 0, echo: [], keyAt: 0, draw: [] }
  window.WebSocket = class extends W {
    constructor(...a) {
      super(...a)
      if (String(a[0]).includes('/ws/term/')) {
        this.addEventListener('message', () => {
          const b = window.__bench
          if (b.sent) {
            b.echo.push(performance.now() - b.sent)
            b.sent = 0
          }
        })
      }
    }
    send(d) {
      if (typeof d === 'string' && d[0] === 'i' && this.url.includes('/ws/term/')) window.__bench.sent = performance.now()
      return super.send(d)
    }
  }
  document.addEventListener('keydown', () => (window.__bench.keyAt = performance.now()), true)
  new MutationObserver(() => {
    const b = window.__bench
    if (b.keyAt) {
      b.draw.push(performance.now() - b.keyAt)
      b.keyAt = 0
    }
  }).observe(document, { subtree: true, childList: true, characterData: true })
}

const promptIn = (page, lab) =>
  page.waitForFunction((lab) => [...document.querySelectorAll('.term[data-machine="host"] .xterm-rows > div')].some((r) => r.textContent.includes(`root@${lab}:~#`)), { timeout: 60_000, polling: 'mutation' }, lab)

// ── 1, 2: page to prompt; keystroke echo ─────────────────────────────────────
async function pageAndEcho() {
  const s = await serve([join(ROOT, 'labs/snat-outbound.md')])
  const b = await browser()
  const cold = []
  const warm = []
  const coldParts = []
  let echo = []
  let draw = []
  try {
    const page = await b.newPage()
    await page.setViewport({ width: 1400, height: 900 })
    await page.evaluateOnNewDocument(instrument)
    await page.goto(s.url)
    for (let i = 0; i < ROUNDS + 1; i++) {
      await page.goto(`${s.base}/`)
      await page.waitForSelector('a[href="/lab/snat-outbound"]')
      const t0 = performance.now()
      await page.click('a[href="/lab/snat-outbound"]')
      await promptIn(page, 'snat-outbound')
      const t = performance.now() - t0
      if (i > 0) cold.push(t) // the first visit also warms chromium's cache
      console.error(`page to prompt, round ${i}: ${Math.round(t)} ms`)
      const t1 = performance.now()
      await page.reload()
      await promptIn(page, 'snat-outbound')
      if (i > 0) warm.push(performance.now() - t1)
      const up = /up as snat-outbound \(lab host (\d+) ms, setup (\d+) ms\)/g
      const last = [...s.stderr().matchAll(up)].pop()
      if (last && i > 0) coldParts.push(Number(last[1]) + Number(last[2]))
      if (i === ROUNDS) {
        // Keystrokes into the host terminal, one at a time.
        await page.click('.term[data-machine="host"]')
        await sleep(300)
        await page.evaluate(() => Object.assign(window.__bench, { echo: [], draw: [] }))
        for (let k = 0; k < 100; k++) {
          await page.keyboard.press('x')
          await sleep(40)
        }
        ;({ echo, draw } = await page.evaluate(() => window.__bench))
        console.error(`keystrokes: ${echo.length} echoes, ${draw.length} draws`)
        await page.keyboard.down('Control')
        await page.keyboard.press('u')
        await page.keyboard.up('Control')
      } else {
        // Down from a terminal of the machine: the next click builds a new lab host.
        nslab(['down', 'snat-outbound'])
        await page.waitForFunction(() => document.body.dataset.labStatus === 'gone', { timeout: 30_000 })
      }
    }
  } finally {
    await b.close()
    await s.stop()
  }
  row('SNAT lab page to a shell prompt, from the click on the list (cold: its lab host built then)', cold, '≤ 1 s')
  row('… of which: the lab host up and its setup run (server side)', coldParts, '')
  row('the same page reloaded (warm: the lab host is up)', warm, '')
  row('keystroke echo: key sent on the socket → its echo back', echo, '≤ 20 ms median')
  row('keystroke echo: key pressed → drawn on the screen (xterm.js draws on the next frame)', draw, '')
}

// ── 3: a task done after its command ─────────────────────────────────────────
/** A lab of typical checks, each task made to pass by one command on the host. */
function typicalLab(dir) {
  const tasks = []
  for (let i = 1; i <= 6; i++) {
    tasks.push({ cmd: `ip addr add 10.77.${i}.1/32 dev lo`, check: `addr host lo 10.77.${i}.1/32` })
    tasks.push({ cmd: `iptables -A INPUT -s 10.88.${i}.0/24 -j ACCEPT`, check: `rule filter INPUT -s 10.88.${i}.0/24 -j ACCEPT` })
  }
  tasks.push({ cmd: 'sysctl -w net.ipv4.ip_forward=0', check: 'sysctl host net.ipv4.ip_forward 0' })
  tasks.push({ cmd: 'ip route add 192.0.2.0/24 via 172.17.0.2', check: 'route host 192.0.2.0/24 via 172.17.0.2' })
  tasks.push({ cmd: 'ip addr add 172.17.0.77/16 dev docker0', check: 'ping box1 172.17.0.77' })
  const body = tasks.map((t, i) => `## Task ${i + 1}\n\nType \`${t.cmd}\`.\n\n\`\`\`check\n${t.check}\n\`\`\`\n`).join('\n')
  const file = join(dir, 'typical-checks.md')
  writeFileSync(file, `---\ntitle: Typical checks\ntopology:\n  docker: true\n  containers: [box1]\n---\n\n# Typical checks\n\nA start.\n\n\`\`\`check\nnetns box1\n\`\`\`\n\n${body}`)
  return { file, tasks }
}

async function taskDone() {
  const { file, tasks } = typicalLab(work)
  const s = await serve([file])
  const b = await browser()
  const after = []
  try {
    const page = await b.newPage()
    await page.setViewport({ width: 1400, height: 900 })
    await page.goto(s.url)
    await page.goto(`${s.base}/lab/typical-checks`)
    await promptIn(page, 'typical-checks')
    await page.click('.term[data-machine="host"]')
    for (let i = 0; i < tasks.length; i++) {
      const n = i + 2
      await page.waitForFunction((n) => /current|failed/.test(document.querySelector(`[data-task="${n}"]`).dataset.state), { timeout: 60_000 }, n)
      // Let the current task's failing judgement be under way, as when a learner reads and types.
      await sleep(700)
      await page.keyboard.type(tasks[i].cmd)
      // Listening first, then Enter: the time from Enter to the task's element saying done.
      await page.evaluate((n) => {
        const el = document.querySelector(`[data-task="${n}"]`)
        window.__taskDone = new Promise((resolve) => {
          let t0 = 0
          document.addEventListener('keydown', (e) => e.key === 'Enter' && (t0 = performance.now()), { capture: true, once: true })
          new MutationObserver(() => {
            if (t0 && el.dataset.state === 'done') resolve(performance.now() - t0)
          }).observe(el, { attributes: true, attributeFilter: ['data-state'] })
        })
      }, n)
      await page.keyboard.press('Enter')
      after.push(await page.evaluate(() => window.__taskDone))
      console.error(`task ${n} done after ${Math.round(after[after.length - 1])} ms`)
    }
  } finally {
    await b.close()
    await s.stop()
  }
  row(`a task done after its command: Enter → data-state "done" (${tasks.length} tasks: addr, rule, sysctl, route, ping)`, after, '≤ 1.5 s')
}

// ── 4: 20 learners ───────────────────────────────────────────────────────────
function rssOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024, hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024 }
  } catch {
    return { rss: 0, hwm: 0 }
  }
}

/** What a page opens: the lab's control socket and its host terminal. */
function learnerPage(s, lab) {
  const headers = { origin: s.base, cookie: `nslab-token-${s.port}=${s.token}` }
  const wsBase = s.base.replace('http', 'ws')
  const control = new WebSocket(`${wsBase}/ws/lab/${lab}`, { headers })
  const term = new WebSocket(`${wsBase}/ws/term/${lab}/host`, { headers })
  const p = { control, term, screen: '', state: undefined, echo: [] }
  control.on('message', (d) => {
    const m = JSON.parse(String(d))
    if (m.type === 'state') p.state = m
  })
  term.on('open', () => term.send('r120 40'))
  term.on('message', (d) => (p.screen += String(d)))
  return p
}

async function until(what, fn, timeout = 120_000) {
  const end = Date.now() + timeout
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await sleep(50)
  }
}

async function twentyLearners() {
  const dir = join(work, 'twenty')
  mkdirSync(dir)
  const snat = readFileSync(join(ROOT, 'labs/snat-outbound.md'), 'utf8')
  const ids = Array.from({ length: 20 }, (_, i) => `snat-${String(i + 1).padStart(2, '0')}`)
  for (const id of ids) writeFileSync(join(dir, `${id}.md`), snat)
  const s = await serve([dir])
  const pid = s.proc.pid
  const base = rssOf(pid)
  let peak = base.rss
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid).rss)), 200)
  const pages = []
  const prompt = []
  const done = []
  const echo = []
  const t0 = performance.now()
  try {
    // Learners arrive a second apart, as a class does when told to start.
    for (const id of ids) {
      const started = performance.now()
      const p = learnerPage(s, id)
      pages.push(p)
      void until(`${id}'s prompt`, () => p.screen.includes(`root@${id}:~#`)).then(() => prompt.push(performance.now() - started))
      await sleep(1000)
    }
    await until('every prompt', () => prompt.length === ids.length)
    const allUp = performance.now() - t0
    // Each learner does task 2 (a ping from box1), as the page's Run would type it.
    for (const p of pages) {
      const at = performance.now()
      p.term.send('iip netns exec box1 ping -c 3 -i 0.2 internet\r')
      void until('task 2 done', () => p.state?.tasks[1]?.state === 'done').then(() => done.push(performance.now() - at))
    }
    await until('task 2 done everywhere', () => done.length === ids.length)
    // Keystrokes in one terminal while the 19 others' tasks are re-checked.
    const one = pages[0]
    for (let k = 0; k < 50; k++) {
      const before = one.screen.length
      const at = performance.now()
      one.term.send('ix')
      await until('echo', () => one.screen.length > before, 60_000)
      echo.push(performance.now() - at)
      await sleep(40)
    }
    one.term.send('i\x15')
    // Twenty pages open for a while: the server's memory as they work.
    await sleep(15_000)
    const end = rssOf(pid)
    clearInterval(sampler)
    row('20 learners: each page to its prompt (joining a second apart)', prompt, '')
    row('20 learners: task done after the ping (all at once)', done, '')
    row('20 learners: keystroke echo on the socket, 19 other pages open', echo, '')
    rows.push(`| 20 learners: the server's memory (RSS): at start / with 20 pages (20 lab hosts) / peak | – | ${Math.round(base.rss)} / ${Math.round(end.rss)} / ${Math.round(Math.max(peak, end.hwm))} MB | | | < 300 MB |`)
    rows.push(`| 20 learners: time until all 20 prompts were there | – | ${(allUp / 1000).toFixed(1)} s | | | |`)
    const sessions = nslab(['status']).stdout.split('\n').filter((l) => / up$/.test(l)).length
    rows.push(`| 20 learners: lab hosts up (nslab status) | – | ${sessions} | | | 20 |`)
  } finally {
    clearInterval(sampler)
    for (const p of pages) {
      p.control.close()
      p.term.close()
    }
    await s.stop()
  }
}

// SERVE_BENCH_ONLY=page|task|twenty runs one part.
const only = process.env.SERVE_BENCH_ONLY
const loadBefore = loadavg().map((l) => l.toFixed(1)).join(' ')
try {
  if (!only || only === 'page') await pageAndEcho()
  if (!only || only === 'task') await taskDone()
  if (!only || only === 'twenty') await twentyLearners()
} finally {
  nslab(['down', '--all'])
  rmSync(work, { recursive: true, force: true, maxRetries: 5 })
}
console.log(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load before ${loadBefore}, after ${loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}, ${ROUNDS} rounds\n`)
console.log('| what | n | median | p90 | max | aim |')
console.log('| --- | ---: | ---: | ---: | ---: | --- |')
for (const r of rows) console.log(r)
