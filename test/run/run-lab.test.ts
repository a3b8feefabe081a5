// nslab run judges a check block's lines side by side (checks/run-check-block):
// on a live lab host, a block whose first line takes a second (a `no ping`
// that waits for its reply) and whose other lines look, the looks run while
// the ping waits; the block's results come in the lab's order; prove's
// firstFailure still ends the results at the first line that fails. The lab
// host's commands are recorded with when they started and ended: the test
// reads what overlapped, not how long anything took.
import t from 'tap'
import type { Lab } from '../../runner/lab/lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import type { CheckBlock } from '../../runner/lab/lab.js'
import type { Sandbox } from '../../runner/host/sandbox.js'
import type { BlockResult } from '../../runner/run/run-event.js'
import { blockRunner, createLabHost, runLab } from '../../runner/run/run-lab.js'

const CHECKS = [
  'no ping box1 198.51.100.99',
  'addr box1 eth0 172.17.0.2',
  'route box1 default via 172.17.0.1',
  'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
  'policy filter FORWARD DROP',
  'sysctl host net.ipv4.ip_forward 1',
  'addr box2 eth0 172.17.0.3',
  'ping box1 box2',
]
const text = [
  '---',
  'title: side by side',
  'topology:',
  '  docker: true',
  '  containers: [box1, box2]',
  '  internet: true',
  '---',
  '',
  '```sh step',
  'ip -br addr',
  '```',
  '',
  '```check',
  ...CHECKS,
  '```',
  '',
  '```check',
  'addr box1 eth0 172.17.0.2',
  'addr box1 eth0 10.9.9.9 within=300ms',
  'ping box1 box2',
  '```',
  '',
].join('\n')
const parsed = parseLab(text, 'side-by-side.md')
if (!parsed.lab) throw new Error(parsed.problems.map(formatProblem).join('\n'))
const lab: Lab = parsed.lab

interface Ran {
  script: string
  start: number
  end: number
}
/** Record every look the checks make on the lab host (the sandbox's own method, wrapped). */
function record(sb: Sandbox): Ran[] {
  const ran: Ran[] = []
  const look = sb.look.bind(sb)
  sb.look = async (o) => {
    const r: Ran = { script: o.script, start: performance.now(), end: Number.POSITIVE_INFINITY }
    ran.push(r)
    try {
      return await look(o)
    } finally {
      r.end = performance.now()
    }
  }
  return ran
}

let sb: Sandbox
let ran: Ran[]
t.before(async () => {
  sb = await createLabHost(lab, { name: 'run-lab-test' })
  ran = record(sb)
})
t.teardown(() => sb?.stop())

t.test('a block’s lines run side by side, reported in the lab’s order', async (t) => {
  ran.length = 0
  const ends: BlockResult[] = []
  const r = await runLab({ lab, sandbox: sb, emit: (e) => e.type === 'block-end' && ends.push(e.result), stopAfter: 1 })
  t.equal(r.status, 'pass', r.blocks.map((b) => b.message ?? '').join('\n'))
  const block = r.blocks.find((b) => b.block.kind === 'check')!
  t.same(
    block.checks?.map((c) => [c.check.source, c.ok]),
    CHECKS.map((s) => [s, true]),
    'every line passes, in the lab’s order',
  )
  t.same(ends.find((b) => b.block.kind === 'check')?.checks?.map((c) => c.check.line), (lab.blocks[1] as CheckBlock).checks.map((c) => c.line), 'the event carries the same order')
  const slow = ran.filter((x) => x.script.includes('198.51.100.99'))
  const looks = ran.filter((x) => !x.script.includes('ping'))
  t.equal(slow.length, 1, 'the no ping sent one echo')
  // Each looking line's command ran, alone or in a batch of the machine's looks.
  for (const cmd of ['ip -j addr show dev eth0', 'ip -j route show', 'iptables-save -c -t nat', 'iptables-save -c -t filter', 'sysctl -n net.ipv4.ip_forward']) {
    t.ok(
      looks.some((l) => l.script.includes(cmd)),
      `the looking lines ran ${cmd}`,
    )
  }
  t.ok(looks.length >= 3, `on three machines (${looks.length} processes)`)
  const during = looks.filter((l) => l.start < slow[0]!.end && slow[0]!.start < l.end)
  t.equal(during.length, looks.length, 'every look ran while the no ping waited for its reply (one after another, they would have waited for it)')
  const ping = ran.filter((x) => x.script.includes('172.17.0.3') && x.script.includes('ping'))
  t.ok(ping.length >= 1 && ping[0]!.start >= slow[0]!.end, 'the second ping started after the first had ended (lines that send go in order)')
})

t.test('prove’s firstFailure: the results end at the first line that fails', async (t) => {
  ran.length = 0
  const run = blockRunner(sb, lab)
  const index = lab.blocks.length - 1
  const block = lab.blocks[index] as CheckBlock
  const r = await run.checks(block, index, undefined, { firstFailure: true })
  t.equal(r.status, 'fail')
  t.same(
    r.checks?.map((c) => [c.check.source, c.ok]),
    [
      ['addr box1 eth0 172.17.0.2', true],
      ['addr box1 eth0 10.9.9.9 within=300ms', false],
    ],
  )
  t.equal(ran.filter((x) => x.script.includes('ping')).length, 0, 'the ping after the failure never ran')
  const all = await run.checks(block, index, undefined)
  t.same(
    all.checks?.map((c) => c.ok),
    [true, false, true],
    'a run judges every line',
  )
  t.equal(all.message, r.message, 'and says the same of the failure')
})
