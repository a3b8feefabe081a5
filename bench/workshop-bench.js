#!/usr/bin/env node
// nslab serve --workshop with N scripted learners (default 30, at most 40):
// each a WebSocket client of its own personal link, as its page would be (the
// lab's control socket and the host terminal), on its own lab host of the
// SNAT lab under its own uid and limits. Learners join 1 s apart, then all
// type the lab's step of task 2 at a typist's pace (one key every 60 ms, each
// key its own frame, as xterm.js sends them), then a second command.
// Measured: keystroke echo (key frame sent → the next bytes of that terminal),
// task tick (Enter → the task's state "done" on the control socket), each
// learner's page to prompt, and the server's memory (RSS) per learner.
// Everything on loopback; bounded: at most 40 learners, 8 minutes in all.
// Usage: npm run build && node bench/workshop-bench.js [learners]
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'node:http'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'dist/bin/nslab.cjs')
const N = Math.min(40, Math.max(1, Number(process.argv[2] ?? 30)))
const KEY_MS = 60
/** Learners join this far apart, as a class does when told to open their links. */
const JOIN_MS = Number(process.env.WORKSHOP_BENCH_JOIN_MS ?? 1000)
const require = createRequire(join(ROOT, 'package.json'))
const WebSocket = require('ws')
const work = mkdtempSync(join(tmpdir(), 'nslab-workshop-bench-'))
const env = { ...process.env, NSLAB_STATE_DIR: join(work, 'state'), NO_COLOR: '1' }
delete env.NODE_OPTIONS
const sleep = (t) => new Promise((r) => setTimeout(r, t))
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]
const ms = (x) => (x === undefined ? '–' : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`)
const rows = []
const row = (what, xs, aim) => rows.push(`| ${what} | ${xs.length} | ${ms(q(xs, 0.5))} | ${ms(q(xs, 0.9))} | ${ms(q(xs, 1))} | ${aim} |`)
const deadline = setTimeout(() => {
  console.error('workshop-bench: 8 minutes passed; stopping (what was measured so far follows)')
  console.log(rows.join('\n'))
  void stop().then(() => process.exit(1))
}, 8 * 60_000)

function rssOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024, hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024 }
  } catch {
    return { rss: 0, hwm: 0 }
  }
}

async function until(what, fn, timeout = 120_000) {
  const end = Date.now() + timeout
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await sleep(25)
  }
}

/** The cookie a personal link sets on its first visit (asked again if the busy server dropped the connection). */
async function cookieOf(link) {
  for (let i = 0; ; i++) {
    try {
      return await cookieOnce(link)
    } catch (e) {
      if (i >= 3) throw e
      await sleep(500)
    }
  }
}
function cookieOnce(link) {
  const u = new URL(link)
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}` }, (res) => {
      res.resume()
      resolve(String(res.headers['set-cookie']).split(';')[0])
    })
    r.on('error', reject)
    r.end()
  })
}

let proc
async function stop() {
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGINT')
    await new Promise((r) => proc.on('exit', r))
  }
  rmSync(work, { recursive: true, force: true })
}

const classFile = join(work, 'class.yaml')
writeFileSync(classFile, `title: Bench\nlabs: [snat-outbound]\nlearners: ${N}\n`)
const linksFile = join(work, 'links.txt')
const load0 = loadavg()[0]
proc = spawn(process.execPath, [CLI, 'serve', '--workshop', classFile, '--links', linksFile, '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
let out = ''
let err = ''
proc.stdout.on('data', (d) => (out += d))
proc.stderr.on('data', (d) => (err += d))
try {
  await until('the server', () => /^instructor http/m.test(out), 30_000)
  await sleep(300)
  const links = readFileSync(linksFile, 'utf8').trim().split('\n').map((l) => l.split(' '))
  const base = new URL(links[0][1])
  const wsBase = `ws://${base.host}`
  const pid = proc.pid
  const start = rssOf(pid)
  let peak = start.rss
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid).rss)), 200)

  const learners = []
  const prompt = []
  const t0 = performance.now()
  for (const [name, link] of links.slice(1)) {
    const cookie = await cookieOf(link)
    const headers = { origin: `http://${base.host}`, cookie }
    const l = { name, screen: '', state: undefined, echoAt: 0, echo: [], joined: performance.now() }
    l.control = new WebSocket(`${wsBase}/ws/lab/snat-outbound`, { headers })
    l.term = new WebSocket(`${wsBase}/ws/term/snat-outbound/host`, { headers })
    l.control.on('error', () => undefined)
    l.term.on('error', () => undefined)
    l.control.on('message', (d) => {
      const m = JSON.parse(String(d))
      if (m.type === 'state') l.state = m
      // A lab host that could not start (the machine too busy): the page's "Try again".
      if (m.type === 'state' && m.status === 'error' && (l.retries = (l.retries ?? 0) + 1) <= 3) {
        console.error(`${name}: ${m.message?.split('\n')[0]}; trying again`)
        setTimeout(() => l.control.send(JSON.stringify({ type: 'start' })), 1000)
      }
      // A new lab host: the terminal attaches to its shell again, as the page does.
      if (m.type === 'state' && m.status === 'up' && l.hostId !== m.hostId) {
        if (l.hostId !== undefined || l.term.readyState >= WebSocket.CLOSING) reconnect(l)
        l.hostId = m.hostId
      }
    })
    const reconnect = (x) => {
      x.term.removeAllListeners('message')
      x.term.close()
      x.term = new WebSocket(`${wsBase}/ws/term/snat-outbound/host`, { headers })
      hook(x)
    }
    const hook = (x) => {
      x.term.on('error', () => undefined)
      x.term.on('open', () => x.term.send('r120 40'))
      x.term.on('message', (d) => {
        x.screen += String(d)
        if (x.screen.length > 20000) x.screen = x.screen.slice(-10000)
        if (x.echoAt) {
          x.echo.push(performance.now() - x.echoAt)
          x.echoAt = 0
        }
      })
    }
    hook(l)
    l.reconnect = () => reconnect(l)
    learners.push(l)
    void until(`${name}'s prompt`, () => l.screen.includes(`root@ws-${name}-snat-outbound:~#`), 240_000).then(() => prompt.push(performance.now() - l.joined), () => undefined)
    await sleep(JOIN_MS)
  }
  await until('every prompt', () => prompt.length === N, 240_000).catch(() => console.error(`only ${prompt.length} of ${N} prompts within 4 minutes`))
  const allUp = performance.now() - t0
  const up = learners.filter((l) => l.screen.includes(`root@ws-${l.name}-snat-outbound:~#`))
  await until('task 1 done for all', () => up.every((l) => l.state?.tasks[0]?.state === 'done'), 120_000).catch(() => console.error('task 1 not done for all within 2 minutes'))
  const joined = rssOf(pid)
  console.error(`${up.length} of ${N} learners up in ${(allUp / 1000).toFixed(1)} s; RSS ${Math.round(joined.rss)} MB; load ${loadavg()[0].toFixed(1)}`)
  rows.push(`| learners with a prompt (lab host up) | – | ${up.length} of ${N} | | | ${N} |`)
  row(`${N} learners: page to prompt (joining ${JOIN_MS / 1000} s apart)`, prompt, '')
  rows.push(`| ${N} learners: all prompts there | – | ${(allUp / 1000).toFixed(1)} s | | | |`)
  rows.push(`| server RSS: at start / with ${up.length} learners up | – | ${Math.round(start.rss)} / ${Math.round(joined.rss)} MB | | | |`)

  /** Type a line one key at a time, each key's echo timed; then Enter. */
  const typeLine = async (l, line) => {
    for (const ch of line) {
      l.echoAt = performance.now()
      l.term.send(`i${ch}`)
      await sleep(KEY_MS)
    }
    l.echoAt = 0
    l.term.send('i\r')
  }
  // A terminal socket the server closed while the lab host was not up yet (a busy machine): opened again, as the page does.
  const closed = up.filter((l) => l.term.readyState !== WebSocket.OPEN)
  for (const l of closed) l.reconnect()
  await until('terminals open', () => up.every((l) => l.term.readyState === WebSocket.OPEN), 30_000).catch(() => undefined)
  if (closed.length) console.error(`${closed.length} terminal sockets opened again before typing`)
  // Task 2: the lab's step, typed by everyone at once (each starting a little apart).
  const tick = []
  await Promise.all(
    up.map(async (l, i) => {
      await sleep((i * 37) % 1000)
      await typeLine(l, 'ip netns exec box1 ping -c 3 -i 0.2 internet')
      const at = performance.now()
      await until(`${l.name}: task 2`, () => l.state?.tasks[1]?.state === 'done', 120_000)
      tick.push(performance.now() - at)
    }),
  )
  // A second command, typed by everyone while every lab's task 3 is being re-checked.
  await Promise.all(
    up.map(async (l, i) => {
      await sleep((i * 53) % 1000)
      await typeLine(l, 'iptables -t nat -S POSTROUTING | head -n 5')
    }),
  )
  await sleep(5000)
  const end = rssOf(pid)
  clearInterval(sampler)
  const echo = learners.flatMap((l) => l.echo)
  if (process.env.WORKSHOP_BENCH_DEBUG) for (const l of up) console.error(`${l.name}: ${l.echo.length} echoes; screen ends ${JSON.stringify(l.screen.slice(-200))}`)
  const load1 = loadavg()[0]
  row(`${N} learners: keystroke echo, all typing at once (key → its echo)`, echo, '< 50 ms median')
  row(`${N} learners: task 2 ticks done after Enter (its ping takes 0.4 s)`, tick, '≤ 2 s')
  rows.push(`| server RSS: at start / ${N} learners up / after typing / peak | – | ${Math.round(start.rss)} / ${Math.round(joined.rss)} / ${Math.round(end.rss)} / ${Math.round(Math.max(peak, end.hwm))} MB | | | |`)
  rows.push(`| server RSS per learner ((after typing − at start) / ${N}) | – | ${((end.rss - start.rss) / N).toFixed(1)} MB | | | |`)
  for (const l of learners) {
    l.control.removeAllListeners('message')
    l.control.close()
    l.term.close()
  }
  console.log(`workshop-bench: ${N} learners, ${cpus().length} CPUs, load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after, ${new Date().toISOString().slice(0, 16)}Z\n`)
  console.log('| what | n | median | p90 | max | aim |\n| --- | ---: | ---: | ---: | ---: | --- |')
  console.log(rows.join('\n'))
} catch (e) {
  console.error(`workshop-bench: ${e.message}\n${err.slice(-3000)}`)
  process.exitCode = 1
} finally {
  clearTimeout(deadline)
  await stop()
}
