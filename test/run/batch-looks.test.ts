// Quick looks asked for at once share a process, on a real lab host: each
// gets back exactly what it would have got alone (stdout, stderr, status),
// and a batch that breaks falls back to a process a look.
import t from 'tap'
import { createSandbox, type Sandbox } from '../../runner/host/sandbox.js'
import { batchLooks } from '../../runner/run/batch-looks.js'
import type { Topology } from '../../runner/lab/lab.js'

const topology: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [{ name: 'box1', ip: '172.17.0.2', publish: [], line: 1 }],
  internet: false,
}
let sb: Sandbox
t.before(async () => {
  sb = await createSandbox({ topology, name: 'batch-looks' })
})
t.teardown(() => sb?.stop())

/** The pid of the shell a look's script ran in ($$ is the batch's shell in a subshell too). */
const shellPid = (stdout: string) => /^pid (\d+)$/m.exec(stdout)?.[1]

t.test('looks at one machine at once: one process, each its own stdout, stderr and status', async (t) => {
  const look = batchLooks((o) => sb.look(o))
  const scripts = [
    'echo pid $$; ip -o -4 addr show dev eth0',
    'echo pid $$; printf "no newline at the end"',
    'echo pid $$; echo to stderr >&2; exit 3',
    'echo pid $$; echo "@@NSLAB-LOOK-0123456789abcdef01234567@@ 0"; ip -j route show',
    'echo pid $$; cat /proc/sys/kernel/hostname',
  ]
  const rs = await Promise.all(scripts.map((script, i) => look({ machine: 'box1', script, timeoutMs: 5000, quick: true, ...(i === 4 ? { also: ['uts' as const] } : {}) })))
  const pids = new Set(rs.map((r) => shellPid(r.stdout)))
  t.equal(pids.size, 1, `one shell ran all five: ${[...pids].join(', ')}`)
  const alone = await Promise.all(scripts.map((script, i) => sb.look({ machine: 'box1', script, timeoutMs: 5000, ...(i === 4 ? { also: ['uts' as const] } : {}) })))
  rs.forEach((r, i) => {
    const a = alone[i]!
    const strip = (s: string) => s.replace(/^pid \d+\n/, '')
    t.equal(strip(r.stdout), strip(a.stdout), `${scripts[i]}: the stdout it gets alone`)
    t.equal(r.stderr, a.stderr, `${scripts[i]}: the stderr it gets alone`)
    t.equal(r.exitCode, a.exitCode, `${scripts[i]}: status ${a.exitCode}`)
    t.equal(r.command, scripts[i], '  named by its own script')
  })
  t.match(rs[1]!.stdout, /no newline at the end$/, 'a last line without a newline stays so')
  t.equal(rs[2]!.stderr, 'to stderr\n')
  t.equal(rs[2]!.exitCode, 3)
  t.match(rs[3]!.stdout, /^@@NSLAB-LOOK-0123456789abcdef01234567@@ 0$/m, 'a mark with another nonce is output like any other')
})

t.test('looks with one script run it once, and each gets the result', async (t) => {
  const ran: string[] = []
  const look = batchLooks((o) => {
    ran.push(o.script)
    return sb.look(o)
  })
  // A fresh value at every read: two runs of the script would differ.
  const uuid = 'cat /proc/sys/kernel/random/uuid'
  const [a, b, other, c] = await Promise.all([
    look({ machine: 'box1', script: uuid, timeoutMs: 5000, quick: true }),
    look({ machine: 'box1', script: uuid, timeoutMs: 4000, quick: true, also: ['uts'] }),
    look({ machine: 'box1', script: 'echo other', timeoutMs: 5000, quick: true }),
    look({ machine: 'box1', script: uuid, timeoutMs: 5000, quick: true }),
  ])
  t.match(a!.stdout, /^[0-9a-f-]{36}\n$/, 'a uuid')
  t.equal(b!.stdout, a!.stdout, 'the second look of the script has the first one\'s result')
  t.equal(c!.stdout, a!.stdout, 'and the third')
  t.not(b, a, 'each its own copy')
  t.same([a!.command, b!.command, c!.command], [uuid, uuid, uuid])
  t.equal(other!.stdout, 'other\n')
  t.equal(ran.length, 1, 'one process for the batch')
  t.equal(ran[0]!.split(uuid).length - 1, 1, 'where the script is once')
  // Alone, two looks of one script: one process, no batch around it.
  ran.length = 0
  const [d, e] = await Promise.all([look({ machine: 'box1', script: uuid, quick: true }), look({ machine: 'box1', script: uuid, quick: true })])
  t.same(ran, [uuid], 'the script itself, once')
  t.equal(d!.stdout, e!.stdout)
  // Not at once: each its own read.
  const later = await look({ machine: 'box1', script: uuid, quick: true })
  t.not(later.stdout, d!.stdout, 'a look asked later reads again')
})

t.test('not quick, or other machines: a process each', async (t) => {
  const look = batchLooks((o) => sb.look(o))
  const rs = await Promise.all([
    look({ machine: 'box1', script: 'echo pid $$', quick: true }),
    look({ machine: 'host', script: 'echo pid $$', quick: true }),
    look({ machine: 'box1', script: 'echo pid $$' }),
  ])
  t.equal(new Set(rs.map((r) => shellPid(r.stdout))).size, 3)
  t.same(rs.map((r) => r.machine), ['box1', 'host', 'box1'])
})

t.test('a batch that does not come back whole: each look again on its own', async (t) => {
  const look = batchLooks((o) => sb.look(o))
  // The second script kills the batch's shell; alone, it kills its own.
  const rs = await Promise.all([
    look({ machine: 'box1', script: 'echo first', quick: true }),
    look({ machine: 'box1', script: 'kill -9 $$', quick: true }),
    look({ machine: 'box1', script: 'echo third', quick: true }),
  ])
  t.equal(rs[0]!.stdout, 'first\n')
  t.equal(rs[0]!.exitCode, 0)
  t.equal(rs[1]!.exitCode, null, 'the killer is killed, alone')
  t.equal(rs[2]!.stdout, 'third\n')
  // A batch that runs out of time: the one that hangs times out alone, the others answer.
  const t0 = performance.now()
  const slow = await Promise.all([
    look({ machine: 'box1', script: 'echo quick', quick: true, timeoutMs: 3000 }),
    look({ machine: 'box1', script: 'sleep 30', quick: true, timeoutMs: 600 }),
  ])
  t.equal(slow[0]!.stdout, 'quick\n')
  t.equal(slow[1]!.timedOut, true, 'the sleeper timed out')
  t.ok(performance.now() - t0 < 20_000, 'well before the sleep would have ended')
})

t.test('a machine that is not there: every look of the batch is told', async (t) => {
  const look = batchLooks((o) => sb.look(o))
  const rs = await Promise.allSettled([look({ machine: 'nowhere', script: 'true', quick: true }), look({ machine: 'nowhere', script: 'true', quick: true })])
  t.same(
    rs.map((r) => r.status),
    ['rejected', 'rejected'],
  )
  t.match(String((rs[0] as PromiseRejectedResult).reason), /no machine "nowhere"/)
})
