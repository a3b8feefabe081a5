// A check block's lines judged side by side, live in a lab host: which lines
// share it (those that look), which go one at a time (those that send), which
// run alone (counting, sh), results in the block's order, and prove's "stop at
// the first failure". Each command a check runs is recorded with when it
// started and ended, so the test reads what overlapped, not how long it took.
import t from 'tap'
import type { CheckContext } from '../../checks/check-context.js'
import { howCheckRuns, runCheckBlock } from '../../checks/run-check-block.js'
import type { Check, Lab, Topology } from '../../runner/lab/lab.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { createSandbox, type Sandbox } from '../../runner/host/sandbox.js'
import { sandboxCheckContext } from '../../runner/run/sandbox-check-context.js'

const topology: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [
    { name: 'box1', ip: '172.17.0.2', publish: [], line: 0 },
    { name: 'box2', ip: '172.17.0.3', publish: [], line: 0 },
  ],
  internet: true,
}
const lab: Lab = { file: 'run-check-block.md', title: 'block', engine: 'netns', timeoutMs: 10_000, topology, blocks: [], epilogue: '' }

const checks = (...lines: string[]): Check[] =>
  lines.map((l, i) => {
    const p = parseCheck(l, i + 1)
    if (!p.check) throw new Error(`${l}: ${JSON.stringify(p)}`)
    return p.check
  })

interface Ran {
  script: string
  start: number
  end: number
}
/** A context whose every command (a look or an sh check's exec) is recorded. */
function recording(ctx: CheckContext): { ctx: CheckContext; ran: Ran[] } {
  const ran: Ran[] = []
  const wrap =
    <O extends { script: string }, R>(f: (o: O) => Promise<R>) =>
    async (o: O): Promise<R> => {
      const r: Ran = { script: o.script, start: performance.now(), end: Number.POSITIVE_INFINITY }
      ran.push(r)
      try {
        return await f(o)
      } finally {
        r.end = performance.now()
      }
    }
  return { ctx: { ...ctx, look: wrap(ctx.look), exec: wrap(ctx.exec) }, ran }
}
/** The commands whose script matches. */
const of = (ran: Ran[], re: RegExp) => ran.filter((r) => re.test(r.script))
/** Did any of a's commands run while one of b's did? */
const overlap = (a: Ran[], b: Ran[]) => a.some((x) => b.some((y) => x.start < y.end && y.start < x.end))
/** Did every one of a's commands end before any of b's started? */
const before = (a: Ran[], b: Ran[]) => a.length > 0 && b.length > 0 && Math.max(...a.map((x) => x.end)) <= Math.min(...b.map((y) => y.start))

let sb: Sandbox
t.before(async () => {
  sb = await createSandbox({ topology, name: 'run-check-block' })
})
t.teardown(() => sb?.stop())

t.test('how each kind of line shares the lab host', async (t) => {
  t.same(
    checks(
      'addr box1 eth0 172.17.0.2',
      'route box1 default via 172.17.0.1',
      'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
      'policy filter FORWARD ACCEPT',
      'sysctl host net.ipv4.ip_forward 1',
      'netns box1',
      'ping box1 box2',
      'no http box1 http://172.17.0.3/',
      'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE min-packets=1',
      'sh box1 "true"',
    ).map(howCheckRuns),
    ['look', 'look', 'look', 'look', 'look', 'look', 'sends', 'sends', 'alone', 'alone'],
  )
})

t.test('lines that look run beside a slow one; results in the block’s order', async (t) => {
  const { ctx, ran } = recording(sandboxCheckContext(sb, lab))
  // The first line takes a second (one echo, no reply); the looks after it answer at once.
  const block = checks('no ping box1 198.51.100.99', 'addr box1 eth0 172.17.0.2', 'route box1 default via 172.17.0.1', 'addr box2 eth0 172.17.0.3')
  const results = await runCheckBlock(block, ctx)
  t.same(
    results.map((r) => [r.check.source, r.ok]),
    block.map((c) => [c.source, true]),
    'every line passes, reported in the block’s order',
  )
  const ping = of(ran, /ping -c 1/)
  const looks = of(ran, /^ip /)
  t.equal(ping.length, 1)
  t.ok(looks.length >= 3, 'each look ran its command')
  t.ok(looks.every((l) => overlap([l], ping)), 'every look ran while the ping was waiting for its reply')
  t.ok(results[1]!.evidence.length > 0 && results[3]!.evidence[0]!.machine === 'box2', 'each result keeps its own evidence')
})

t.test('lines that send go one at a time, in order', async (t) => {
  const { ctx, ran } = recording(sandboxCheckContext(sb, lab))
  const results = await runCheckBlock(checks('no ping box1 198.51.100.99', 'ping box1 box2', 'addr box1 eth0 172.17.0.2'), ctx)
  t.ok(results.every((r) => r.ok))
  t.ok(before(of(ran, /198\.51\.100\.99/), of(ran, /172\.17\.0\.3/)), 'the second ping started after the first ended')
  t.ok(overlap(of(ran, /^ip /), of(ran, /198\.51\.100\.99/)), 'the look beside them did not wait')
})

t.test('a line that counts packets, and an sh line, run alone', async (t) => {
  const { ctx, ran } = recording(sandboxCheckContext(sb, lab))
  const block = checks(
    'no ping box1 198.51.100.99',
    'addr box1 eth0 172.17.0.2',
    'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE min-packets=1',
    'addr box2 eth0 172.17.0.3',
    'sh box1 "echo nslab-sh"',
    'route box1 default via 172.17.0.1',
  )
  const results = await runCheckBlock(block, ctx)
  t.same(
    results.map((r) => [r.check.source, r.ok]),
    block.map((c) => [c.source, true]),
    'the rule counted the first line’s echo (sent to the internet through MASQUERADE)',
  )
  const ping = of(ran, /ping -c 1/)
  const rule = of(ran, /iptables/)
  const sh = of(ran, /nslab-sh/)
  t.ok(ping.length === 1 && before(ran.filter((r) => r.start < rule[0]!.start && !rule.includes(r)), rule), 'the counting line started when every line before it had ended')
  const after = ran.filter((r) => r.start > rule[0]!.start && !rule.includes(r))
  t.ok(before(rule, after), 'the lines after it waited for it')
  t.ok(before(ran.filter((r) => r.start < sh[0]!.start && !sh.includes(r)), sh), 'the sh line started when every line before it had ended')
  t.ok(before(sh, of(ran, /route/)), 'the line after sh waited for it')
})

t.test('firstFailure: results end at the first line that fails; nothing after it that sends is started', async (t) => {
  const block = checks('addr box1 eth0 172.17.0.2', 'addr box1 eth0 10.9.9.9 within=300ms', 'ping box1 box2', 'addr box2 eth0 172.17.0.3')
  const first = recording(sandboxCheckContext(sb, lab))
  const r = await runCheckBlock(block, first.ctx, { firstFailure: true })
  t.same(
    r.map((c) => [c.check.source, c.ok]),
    [
      [block[0]!.source, true],
      [block[1]!.source, false],
    ],
  )
  t.equal(of(first.ran, /ping/).length, 0, 'the ping after the failure never ran')
  const all = recording(sandboxCheckContext(sb, lab))
  const r2 = await runCheckBlock(block, all.ctx)
  t.same(
    r2.map((c) => c.ok),
    [true, false, true, true],
    'without it, every line is judged',
  )
  t.equal(r2[1]!.sentence, r[1]!.sentence, 'the failure says the same either way')
})
