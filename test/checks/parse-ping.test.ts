import t from 'tap'
import { readFileSync } from 'node:fs'
import { parsePing } from '../../checks/parse-ping.js'

// Captured real outputs: test/fixtures/checks/*.json (capture.sh) and test/fixtures/outputs/ (its README).
const cap = (name: string) => {
  const c = JSON.parse(readFileSync(new URL(`../fixtures/checks/${name}.json`, import.meta.url), 'utf8')) as { stdout: string; stderr: string }
  return c.stdout + '\n' + c.stderr
}
const out = (name: string) => {
  const read = (ext: string) => {
    try {
      return readFileSync(new URL(`../fixtures/outputs/${name}.${ext}`, import.meta.url), 'utf8')
    } catch {
      return ''
    }
  }
  return read('stdout') + '\n' + read('stderr')
}

const cases: [string, string, { transmitted: number; received: number; lossPercent: number; errors?: number; summary?: boolean; problem?: RegExp; rtt?: number }][] = [
  ['iputils ok', cap('ping-iputils-ok'), { transmitted: 1, received: 1, lossPercent: 0 }],
  ['iputils ok, 3', cap('ping-iputils-ok-3'), { transmitted: 3, received: 3, lossPercent: 0 }],
  ['iputils loss', cap('ping-iputils-loss'), { transmitted: 1, received: 0, lossPercent: 100 }],
  ['iputils interrupted by SIGINT', cap('ping-iputils-interrupted'), { transmitted: 1, received: 0, lossPercent: 100 }],
  ['iputils host unreachable, 1 s', cap('ping-iputils-host-unreachable'), { transmitted: 1, received: 0, lossPercent: 100 }],
  ['iputils host unreachable, errors', cap('ping-iputils-unreachable-3'), { transmitted: 10, received: 0, lossPercent: 100, errors: 10 }],
  ['iputils no route', cap('ping-iputils-no-route'), { transmitted: 0, received: 0, lossPercent: 100, summary: false, problem: /^Network is unreachable$/ }],
  ['iputils unknown host', cap('ping-iputils-unknown-host'), { transmitted: 0, received: 0, lossPercent: 100, summary: false, problem: /nosuchhost\.invalid: Temporary failure in name resolution/ }],
  ['busybox ok', cap('ping-busybox-ok'), { transmitted: 1, received: 1, lossPercent: 0 }],
  ['busybox ok, 3', cap('ping-busybox-ok-3'), { transmitted: 3, received: 3, lossPercent: 0 }],
  ['busybox loss', cap('ping-busybox-loss'), { transmitted: 1, received: 0, lossPercent: 100 }],
  ['busybox interrupted by SIGINT', cap('ping-busybox-interrupted'), { transmitted: 1, received: 0, lossPercent: 100 }],
  ['busybox no route', cap('ping-busybox-no-route'), { transmitted: 0, received: 0, lossPercent: 100, summary: false, problem: /^Network is unreachable$/ }],
  ['busybox unknown host', cap('ping-busybox-unknown-host'), { transmitted: 0, received: 0, lossPercent: 100, summary: false, problem: /^bad address 'nosuchhost\.invalid'$/ }],
  // The other capture set (test/fixtures/outputs).
  ['outputs: iputils ok', out('ping-iputils.ok'), { transmitted: 3, received: 3, lossPercent: 0, rtt: 0.117 }],
  ['outputs: iputils by name', out('ping-iputils.ok-name'), { transmitted: 1, received: 1, lossPercent: 0 }],
  ['outputs: iputils quiet', out('ping-iputils.ok-quiet'), { transmitted: 3, received: 3, lossPercent: 0 }],
  ['outputs: iputils snat missing', out('ping-iputils.snat-missing'), { transmitted: 3, received: 0, lossPercent: 100 }],
  ['outputs: iputils host unreachable', out('ping-iputils.host-unreachable'), { transmitted: 5, received: 0, lossPercent: 100, errors: 4 }],
  ['outputs: iputils no route', out('ping-iputils.no-route'), { transmitted: 0, received: 0, lossPercent: 100, summary: false, problem: /Network is unreachable/ }],
  ['outputs: busybox ok', out('ping-busybox.ok'), { transmitted: 3, received: 3, lossPercent: 0, rtt: 0.1 }],
  ['outputs: busybox quiet', out('ping-busybox.ok-quiet'), { transmitted: 3, received: 3, lossPercent: 0 }],
  ['outputs: busybox snat missing', out('ping-busybox.snat-missing'), { transmitted: 3, received: 0, lossPercent: 100 }],
  ['outputs: busybox no route', out('ping-busybox.no-route'), { transmitted: 0, received: 0, lossPercent: 100, summary: false, problem: /Network is unreachable/ }],
]

// Through netem (test/fixtures/netem-ping/: capture.md run in a VM on Debian's kernel, kept by capture.js).
const netem = (id: string) => readFileSync(new URL(`../fixtures/netem-ping/${id}.out`, import.meta.url), 'utf8')
const netemCases: [string, { transmitted: number; received: number; lossPercent: number; errors: number; icmpErrors: number; rtt?: [number, number, number] }][] = [
  // netem's loss dropped box1's ARP requests too: 12 echoes answered "Destination Host Unreachable" by box1 itself.
  ['iputils-delay-loss', { transmitted: 20, received: 4, lossPercent: 80, errors: 12, icmpErrors: 12, rtt: [101.945, 104.3, 107.205] }],
  ['iputils-delay-loss-quiet', { transmitted: 40, received: 21, lossPercent: 47.5, errors: 0, icmpErrors: 0, rtt: [101.55, 104.122, 112.602] }],
  ['busybox-delay-loss', { transmitted: 20, received: 11, lossPercent: 45, errors: 0, icmpErrors: 0, rtt: [102.659, 106.662, 122.588] }],
  ['iputils-delay-quiet', { transmitted: 5, received: 5, lossPercent: 0, errors: 0, icmpErrors: 0, rtt: [101.624, 110.928, 144.765] }],
  ['iputils-all-lost', { transmitted: 5, received: 0, lossPercent: 100, errors: 0, icmpErrors: 0 }],
  ['busybox-all-lost', { transmitted: 3, received: 0, lossPercent: 100, errors: 0, icmpErrors: 0 }],
  ['iputils-unreachable-errors', { transmitted: 5, received: 0, lossPercent: 100, errors: 0, icmpErrors: 0 }],
]

for (const [id, want] of netemCases) {
  t.test(`through netem: ${id}`, async (t) => {
    const p = parsePing(netem(id))
    t.equal(p.summary, true)
    t.match(p, { transmitted: want.transmitted, received: want.received, lossPercent: want.lossPercent, errors: want.errors })
    t.equal(p.icmpErrors.length, want.icmpErrors, 'ICMP errors')
    t.same([p.rttMinMs, p.rttAvgMs, p.rttMaxMs], want.rtt ?? [undefined, undefined, undefined], 'rtt min/avg/max')
    t.equal(p.problem, undefined)
  })
}

t.test('rtt min/avg/max of every captured output with replies', async (t) => {
  t.same([parsePing(out('ping-iputils.ok')).rttMinMs !== undefined, parsePing(out('ping-busybox.ok')).rttMaxMs !== undefined], [true, true])
  const p = parsePing('rtt min/avg/max/mdev = 101.945/104.300/107.205/2.094 ms, pipe 12')
  t.same([p.rttMinMs, p.rttAvgMs, p.rttMaxMs], [101.945, 104.3, 107.205], 'iputils with ", pipe N" after it')
  const b = parsePing('round-trip min/avg/max = 102.659/106.662/122.588 ms')
  t.same([b.rttMinMs, b.rttAvgMs, b.rttMaxMs], [102.659, 106.662, 122.588], 'busybox')
})

for (const [name, text, want] of cases) {
  t.test(name, async (t) => {
    t.not(text.trim(), '', 'the fixture exists')
    const p = parsePing(text)
    t.equal(p.summary, want.summary ?? true, 'summary')
    t.equal(p.transmitted, want.transmitted, 'transmitted')
    t.equal(p.received, want.received, 'received')
    t.equal(p.lossPercent, want.lossPercent, 'loss')
    t.equal(p.errors, want.errors ?? 0, 'errors')
    if (want.problem) t.match(p.problem, want.problem, 'problem')
    else t.equal(p.problem, undefined, 'no problem')
    if (want.rtt !== undefined) t.equal(p.rttAvgMs, want.rtt, 'rtt avg')
  })
}

t.test('numbers are read, not matched as text', async (t) => {
  const loss = parsePing('1 packets transmitted, 0 received, 100% packet loss, time 0ms')
  t.equal(loss.lossPercent, 100)
  t.equal(loss.received, 0, '"100% packet loss" is not "0% packet loss"')
  const half = parsePing('4 packets transmitted, 2 received, 50% packet loss, time 3004ms')
  t.equal(half.received, 2)
  t.equal(half.lossPercent, 50)
  const dup = parsePing('1 packets transmitted, 1 packets received, 1 duplicates, 0% packet loss')
  t.equal(dup.duplicates, 1)
  t.equal(dup.received, 1)
})

t.test('ICMP errors say who answered with what', async (t) => {
  const p = parsePing(cap('ping-iputils-unreachable-3'))
  t.equal(p.icmpErrors.length, 10)
  t.same(p.icmpErrors[0], { from: '172.17.0.2', message: 'Destination Host Unreachable' })
})

t.test('a missing ping is a problem, not a summary', async (t) => {
  const p = parsePing('bash: line 1: ping: command not found')
  t.equal(p.summary, false)
  t.match(p.problem, /command not found/)
})
