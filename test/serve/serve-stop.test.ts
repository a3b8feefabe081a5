// Ctrl-C on nslab serve stops it and every lab host it started, with their
// shells and whatever runs in them: the machine is left as it was. A lab host
// it found up (nslab up) is the learner's and stays. Killed outright, the
// server still leaves nothing running: its lab hosts end with it.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { machineState } from '../helpers/machine-state.js'
import { sandboxProcesses, stillRunning, type Proc } from '../helpers/namespace-traces.js'
import { FIXTURES, learner, requireBuild, ROOT, until } from '../helpers/learner-cli.js'
import { startServe, type Served } from './serve-process.js'

const TINY = join(FIXTURES, 'tiny.md')
const C2C = join(ROOT, 'labs/container-to-container.md')
const T = 30_000
const before = machineState()

/** Every process below pid (its children, theirs, …), by pid and start time. */
function descendants(pid: number): Proc[] {
  const parent = new Map<number, { ppid: number; start: string }>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8')
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
      if (f[0] !== 'Z') parent.set(Number(d), { ppid: Number(f[1]), start: f[19] ?? '' })
    } catch {
      // gone meanwhile
    }
  }
  const out: Proc[] = []
  for (const [p, info] of parent) {
    for (let up = info.ppid, n = 0; up > 1 && n < 64; up = parent.get(up)?.ppid ?? 0, n++) {
      if (up === pid) {
        out.push({ pid: p, start: info.start })
        break
      }
    }
  }
  return out
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
  } catch {
    return '(gone)'
  }
}

/** A page's sockets, without a page: the control socket of a lab and a terminal, as the browser opens them. */
async function openTerminal(s: Served, lab: string, machine: string): Promise<{ ws: WebSocket; screen: () => string; close: () => void }> {
  const headers = { origin: s.base, cookie: `nslab-token-${s.port}=${s.token}` }
  const control = new WebSocket(`${s.base.replace('http', 'ws')}/ws/lab/${lab}`, { headers })
  const ws = new WebSocket(`${s.base.replace('http', 'ws')}/ws/term/${lab}/${machine}`, { headers })
  let screen = ''
  ws.on('message', (d) => (screen += d.toString()))
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  await until(`a prompt in ${lab}'s ${machine} terminal`, () => /root@\S+:~# $/.test(screen), T)
  return {
    ws,
    screen: () => screen,
    close: () => {
      ws.close()
      control.close()
    },
  }
}

t.test('Ctrl-C: every lab host the server started ends, with everything in it; one it found stays', async (t) => {
  requireBuild()
  const L = learner()
  t.teardown(() => L.cleanup())
  // A lab the learner started with nslab up: the server uses it, and leaves it up.
  const up = L.nslab(['up', C2C])
  t.equal(up.code, 0, up.stderr)
  const theirs = L.sessions()['container-to-container']!
  const theirProcs = sandboxProcesses(theirs.sandbox.pid)

  const served = await startServe([TINY, C2C], { learner: L })
  const tinyHost = await openTerminal(served, 'tiny', 'host')
  const tinyBox = await openTerminal(served, 'tiny', 'box1')
  const c2c = await openTerminal(served, 'container-to-container', 'host')
  t.match(c2c.screen(), /root@container-to-container/, 'the lab found up is the one the page shows')
  t.equal(L.sessions()['container-to-container']!.sandbox.pid, theirs.sandbox.pid, 'the same lab host as nslab up’s')
  // Things left running in the shells: a background job, a command in the foreground.
  tinyHost.ws.send('isleep 1000 &\r')
  tinyBox.ws.send('iping -i 0.5 172.17.0.1\r')
  await until('ping running in box1', () => /icmp_seq=2/.test(tinyBox.screen()), T)

  const ours = L.sessions().tiny!
  const serverProcs = descendants(served.proc.pid!)
  const labProcs = sandboxProcesses(ours.sandbox.pid)
  t.ok(serverProcs.length >= 3, `the server's processes: its lab host, its shells (${serverProcs.length})`)
  t.ok(labProcs.some((p) => /sleep/.test(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8'))), 'sleep runs in the lab host')

  const code = await served.stop('SIGINT')
  t.equal(code, 130, 'Ctrl-C: exit 130')
  t.match(served.stderr(), /SIGINT received, taking the lab hosts down…\nnslab serve: stopped\./, 'it says what it does')
  tinyHost.close()
  tinyBox.close()
  c2c.close()
  const left = (ps: Proc[]) => stillRunning(ps).map((p) => `${p.pid} ${cmdline(p.pid)}`)
  // Its forker ends when it reads the end of its stdin, a moment after the server: on a busy machine that
  // moment is not over when the server's exit is seen. Given it (as the SIGKILL test below), nothing may be left.
  await until("the server's processes to end", () => stillRunning(serverProcs).length === 0, T).catch(() => undefined)
  t.same(left(serverProcs), [], 'no process the server started is left')
  t.same(left(labProcs), [], 'nothing of its lab host is left')
  t.equal(L.sessions().tiny, undefined, 'its session is gone')
  t.equal(stillRunning(theirProcs).length, theirProcs.length, 'the lab host nslab up started is still up')
  t.match(L.nslab(['status']).stdout, /^container-to-container\s.*\sup$/m, 'and nslab status says so')

  const down = L.nslab(['down', '--all'])
  t.equal(down.code, 0, down.stderr)
  t.same(machineState(), before, "the machine's network and mounts are as they were")
})

t.test('killed outright (SIGKILL), the server leaves no lab host running', async (t) => {
  requireBuild()
  const served = await startServe([TINY])
  const L = served.learner
  t.teardown(() => L.cleanup())
  const term = await openTerminal(served, 'tiny', 'host')
  term.ws.send('isleep 1000 &\r')
  const s = L.sessions().tiny!
  const labProcs = sandboxProcesses(s.sandbox.pid)
  const serverProcs = descendants(served.proc.pid!)
  t.ok(labProcs.length > 0)
  await served.stop('SIGKILL')
  term.close()
  // The lab host's init reads EOF on the pipe the server held, and ends; the kernel ends the rest.
  await until('every process of the lab host to end', () => stillRunning(labProcs).length === 0 && stillRunning(serverProcs).length === 0, T)
  t.pass('its lab host and shells ended with it')
  t.match(L.nslab(['status']).stdout, /^tiny\s.*\sgone \(nslab gc\)$/m, 'its session is left, as gone')
  t.equal(L.nslab(['gc']).code, 0, 'nslab gc cleans it')
  t.same(L.sessions(), {}, 'no session is left')
  t.same(machineState(), before, "the machine's network and mounts are as they were")
})
