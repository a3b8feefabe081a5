// nslab prove's rule (which step a check block is proven against), its plan
// (one pass cut into stretches, lab hosts of their own for after= across
// changes), and a live proof of a small lab, with outcomes put in order.
import t from 'tap'
import type { Lab } from '../../runner/lab/lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { proveJobs, proveLabs, trialsOf, type ProveOutcome } from '../../runner/run/prove-lab.js'
import { inOrder } from '../../runner/run/in-order.js'

function labOf(body: string, file = 'prove.md'): Lab {
  const r = parseLab(`---\ntitle: prove\n---\n${body}`, file)
  if (!r.lab) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.lab
}
const block = (info: string, text: string) => `\`\`\`${info}\n${text}\n\`\`\`\n`
/** The trials as [check block's first check, the omitted step's first line or undefined, by, inline]. */
const rule = (lab: Lab) =>
  trialsOf(lab).map((x) => {
    const c = lab.blocks[x.check]!
    const o = x.omitted === undefined ? undefined : lab.blocks[x.omitted]!
    return [c.kind === 'check' ? c.checks[0]!.source : '', o?.kind === 'script' ? o.content.split('\n')[0] : undefined, x.by, x.inline]
  })

t.test('a check block is proven against the nearest step before it that changes what it checks', async (t) => {
  const lab = labOf(
    [
      block('sh step', 'ip link add dummy0 type dummy\nip addr add 10.9.0.1/24 dev dummy0'),
      block('sh step', 'ip -br addr show dummy0'),
      block('output', 'dummy0{*}10.9.0.1/24{*}'),
      block('sh step', 'sudo iptables -t nat -nvL\nip route | grep dummy0\nping -c 1 10.9.0.1'),
      block('check', 'addr host dummy0 10.9.0.1/24'),
    ].join('\n'),
  )
  t.same(rule(lab), [['addr host dummy0 10.9.0.1/24', 'ip link add dummy0 type dummy', 'changes', true]], 'the looking steps between are passed over')
})

t.test('exit and stdout are about the step just before; traffic counts for packet counters and sh', async (t) => {
  const lab = labOf(
    [
      block('sh step', 'iptables -A INPUT -p icmp -j ACCEPT'),
      block('sh step', 'ping -c 1 127.0.0.1'),
      block('check', 'exit 0'),
      block('check', 'rule filter INPUT -p icmp -j ACCEPT min-packets=1'),
      block('check', 'rule filter INPUT -p icmp -j ACCEPT'),
      block('check', 'sh host "true"'),
    ].join('\n'),
  )
  t.same(rule(lab), [
    ['exit 0', 'ping -c 1 127.0.0.1', 'previous', true],
    ['rule filter INPUT -p icmp -j ACCEPT min-packets=1', 'ping -c 1 127.0.0.1', 'changes', true],
    ['rule filter INPUT -p icmp -j ACCEPT', 'iptables -A INPUT -p icmp -j ACCEPT', 'changes', true],
    ['sh host "true"', 'ping -c 1 127.0.0.1', 'changes', true],
  ])
})

t.test('traffic counts for conntrack: its entries are what traffic leaves behind', async (t) => {
  const lab = labOf(
    [
      block('sh step', 'iptables -t nat -A POSTROUTING -j MASQUERADE'),
      block('sh step', 'curl -sS http://203.0.113.10/'),
      block('sh step', 'conntrack -L -p tcp'),
      block('check', 'conntrack host tcp dport=80 snat'),
    ].join('\n'),
  )
  t.same(rule(lab), [['conntrack host tcp dport=80 snat', 'curl -sS http://203.0.113.10/', 'changes', true]], 'conntrack -L only looks; the curl made the entry')
})

t.test('after= names the step; one across steps that change things runs on a lab host of its own', async (t) => {
  const lab = labOf(
    [
      block('sh step id=make', 'ip link add dummy0 type dummy'),
      block('sh step', 'ip link set dummy0 up'),
      block('check after=make', 'sh host "ip link show dummy0"'),
      block('check after=make', 'netns x'),
    ].join('\n'),
  )
  const trials = trialsOf(lab)
  t.same(rule(lab), [
    ['sh host "ip link show dummy0"', 'ip link add dummy0 type dummy', 'after', false],
    ['netns x', 'ip link add dummy0 type dummy', 'after', false],
  ])
  const jobs = proveJobs(lab, trials, (x) => trials.indexOf(x), 4)
  t.same(jobs.map((j) => [j.kind, j.kind === 'without' ? [j.omitted, j.trials] : j.points]), [['without', [0, [0, 1]]]], 'one lab host for both: everything but that step')
})

t.test('after a setup, or with nothing before: not tried; only looking steps: the nearest, as before', async (t) => {
  const lab = labOf(
    [
      block('check', 'netns a'),
      block('sh setup', 'ip netns add a'),
      block('check', 'netns a'),
      block('sh step', 'ip netns list'),
      block('check', 'netns a'),
    ].join('\n'),
  )
  t.same(rule(lab), [
    ['netns a', undefined, undefined, false],
    ['netns a', undefined, undefined, false],
    ['netns a', 'ip netns list', 'nearest', true],
  ])
})

t.test('the pass is cut into at most -j stretches of about equal work', async (t) => {
  const parts: string[] = []
  for (let i = 0; i < 12; i++) parts.push(block('sh step', `ip link add d${i} type dummy`), block('check', `sh host "ip link show d${i}"`))
  const lab = labOf(parts.join('\n'))
  const trials = trialsOf(lab)
  t.equal(trials.length, 12)
  t.ok(trials.every((x) => x.inline))
  for (const jobs of [1, 2, 4]) {
    const plan = proveJobs(lab, trials, (x) => trials.indexOf(x), jobs)
    t.equal(plan.length, jobs, `${jobs} stretches`)
    const points = plan.flatMap((j) => (j.kind === 'pass' ? j.points : []))
    t.same(points, trials.map((x) => x.omitted), 'every step judged before, once, in order')
    const costs = plan.map((j) => j.cost)
    t.ok(Math.max(...costs) < 1.6 * Math.min(...costs), `balanced: ${costs.join(', ')} ms`)
  }
})

t.test('outcomes handed on in order, whatever order they come in', async (t) => {
  const seen: [string, number][] = []
  const o = inOrder<string>((x, i) => seen.push([x, i]))
  o.put(2, 'c')
  o.put(1, 'b')
  t.same(seen, [])
  o.put(0, 'a')
  o.put(4, 'e')
  o.put(3, 'd')
  o.put(3, 'again')
  t.same(seen, [['a', 0], ['b', 1], ['c', 2], ['d', 3], ['e', 4]])
})

t.test('live: a small lab proven, the weak block found, every outcome once', async (t) => {
  const lab = labOf(
    [
      block('sh step', 'ip link add d0 type veth peer name d0p\nip addr add 10.9.0.1/24 dev d0'), // 0
      block('sh step', 'ip -br addr'), // 1
      block('output', '...\nd0{*}'), // 2
      block('check', 'addr host d0 10.9.0.1/24 within=500ms'), // 3: fails without 0
      block('sh step id=up', 'ip link set d0 up'), // 4
      block('sh step', 'ip link add d1 type veth peer name d1p'), // 5
      block('check', 'sh host "ip link show d0 | grep -q UP" within=500ms'), // 6: proven against 5: still passes
      block('check after=up', 'sh host "ip link show d0 | grep -q UP" within=500ms'), // 7: without 4: fails
      block('sh step', 'echo hello'), // 8
      block('check', 'stdout "hello"'), // 9: fails without 8
    ].join('\n'),
  )
  const order: number[] = []
  const outcomes = await proveLabs([lab], { jobs: 3, onOutcome: (i) => order.push(i) })
  t.same(
    outcomes.map((o: ProveOutcome) => [lab.blocks[o.trial.check]!.line, o.status]),
    [
      [lab.blocks[3]!.line, 'can-fail'],
      [lab.blocks[6]!.line, 'still-passes'],
      [lab.blocks[7]!.line, 'can-fail'],
      [lab.blocks[9]!.line, 'can-fail'],
    ],
  )
  t.same([...order].sort(), [0, 1, 2, 3], 'each outcome reported once')
  t.match(outcomes[0]!.detail, /host d0 has no IPv4 address inside 10\.9\.0\.1\/24|host has no interface d0/)
})
