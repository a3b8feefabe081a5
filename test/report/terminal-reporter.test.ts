import t from 'tap'
import { colorEnabled, createColors } from '../../runner/util/colors.js'
import { formatDuration } from '../../runner/util/format-duration.js'
import type { RunEvent } from '../../runner/run/run-event.js'
import { createTerminalReporter, type TerminalReporterOptions } from '../../runner/report/terminal-reporter.js'
import { errorLab, failLab, labEvents, nastyLab, passLab, runEvents, T0 } from '../fixtures/sample-run.js'
import { ACTS_ON_TERMINAL, sneakyLab } from '../fixtures/sneaky-run.js'

/** Feeds events to a terminal reporter and returns all it wrote. */
async function render(events: RunEvent[], opts: Partial<TerminalReporterOptions> = {}): Promise<string> {
  let out = ''
  const r = createTerminalReporter({
    stream: { write: (s: string) => (out += s), columns: 80 },
    color: false,
    verbose: false,
    isTTY: false,
    tickMs: 0,
    ...opts,
  })
  for (const e of events) r.onEvent(e)
  await r.close()
  return out
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g
const ANSI_COLOR = /\x1b\[[0-9;]*m/g

t.test('plain output of a failing lab follows the format guide', async (t) => {
  const out = await render(runEvents([failLab]))
  t.equal(
    out,
    `labs/snat-outbound.md  SNAT — how a container reaches the outside world
  ✓ setup: iptables -t nat -N EXTRA                       12 ms
  ✓ step: ip netns exec box1 ping -c 3 203.0.113.10       410 ms
  ✓ check: ping box1 internet (+1)                        35 ms
  ✓ step: iptables -t nat -F                              20 ms
  ✗ check: no ping box1 internet                          1.2 s
      box1 got replies from 203.0.113.10 (1 sent, 1 received)
      expected: no reply   got: 1 received
      $ ping -c 1 -W 1 203.0.113.10   (on box1, exit 0)
        PING 203.0.113.10 (203.0.113.10) 56(84) bytes of data.
        64 bytes from 203.0.113.10: icmp_seq=1 ttl=63 time=0.061 ms

        --- 203.0.113.10 ping statistics ---
        1 packets transmitted, 1 received, 0% packet loss, time 0ms
        rtt min/avg/max/mdev = 0.061/0.061/0.061/0.000 ms
      hint: Rewrite the source of traffic from 172.17.0.0/16 in nat POSTROUTING
  - solution: iptables -t nat -A POSTROUTING -s 172.17.… (skipped: an earlier step failed)
  - check: ping box1 internet (skipped: an earlier step failed)
✗ labs/snat-outbound.md  1 of 7 blocks failed, 2 skipped  (1.9 s)

1 lab: 0 passed, 1 failed  (4.2 s)
`,
  )
})

t.test('passing, errored and summary lines', async (t) => {
  const out = await render(runEvents([passLab, errorLab]))
  t.match(out, /^✓ labs\/pass\.md {2}4 blocks passed {2}\(480 ms\)$/m)
  t.match(out, /^ {2}! labs\/broken\.md:14: the sandbox could not be built: RTNETLINK answers: Operation not permitted$/m)
  t.match(out, /^ {4} {2}fix: run nslab as root$/m, 'later lines of the error are indented under it')
  t.match(out, /^✗ labs\/broken\.md {2}error after 1 block {2}\(300 ms\)$/m)
  t.match(out, /\n\n2 labs: 1 passed, 1 error {2}\(4\.2 s\)\n$/)
  t.notMatch(out, ANSI, 'no escape codes without color')
})

t.test('-j 1 streams block lines; the text is the same as printed whole', async (t) => {
  const labs = [passLab, failLab, errorLab, nastyLab]
  const streamed = await render(runEvents(labs, { jobs: 1 }))
  const grouped = await render(runEvents(labs, { jobs: 4 }))
  t.equal(streamed, grouped)
  // Skipped blocks that come only in the LabResult (no block-end) are printed too.
  const noSkipEvents = await render(runEvents(labs, { jobs: 1, skipEvents: false }))
  t.equal(noSkipEvents, grouped)

  // With -j 1 a block's line is out as soon as the block ends.
  let out = ''
  const r = createTerminalReporter({ stream: { write: (s: string) => (out += s) }, color: false, verbose: false, isTTY: false })
  const events = runEvents([failLab], { jobs: 1 })
  const firstBlockEnd = events.findIndex((e) => e.type === 'block-end')
  for (const e of events.slice(0, firstBlockEnd + 1)) r.onEvent(e)
  t.match(out, /✓ setup: iptables -t nat -N EXTRA/)
  await r.close()
})

t.test('a long run of skipped blocks is counted, not listed (but with --verbose)', async (t) => {
  const lab = structuredClone(failLab)
  const skipped = lab.blocks[6]!
  for (let i = 7; i < 12; i++) lab.blocks.push({ ...structuredClone(skipped), index: i })
  const out = await render(runEvents([lab], { jobs: 1 }))
  t.match(out, /\n {2}- solution: .*\(skipped: an earlier step failed\)\n {2}- … 6 more blocks \(skipped: an earlier step failed\)\n✗ labs\/snat-outbound\.md {2}1 of 12 blocks failed, 7 skipped/)
  t.equal(await render(runEvents([lab], { jobs: 2 })), out, 'the same when printed whole')
  const verbose = await render(runEvents([lab]), { verbose: true })
  t.equal(verbose.match(/^ {2}- /gm)?.length, 7)
  t.equal((await render(runEvents([failLab]))).match(/^ {2}- /gm)?.length, 2, 'a short run is listed')
})

t.test('interleaved labs (-j 2) are printed each as one group when it ends', async (t) => {
  const labs = [passLab, failLab, nastyLab]
  const events = runEvents(labs, { interleave: true, jobs: 3 })
  const out = await render(events)
  // Each lab alone, as it would print by itself.
  const alone = new Map<string, string>()
  for (const lab of labs) {
    const text = await render([{ type: 'run-start', files: [lab.file], jobs: 3, time: T0 }, ...labEvents(lab)])
    alone.set(lab.file, text)
  }
  const endOrder = events.flatMap((e) => (e.type === 'lab-end' ? [e.result.file] : []))
  t.not(endOrder.join(), labs.map((l) => l.file).join(), 'labs end in another order than they started')
  const summary = out.slice(out.lastIndexOf('\n', out.length - 2) + 1)
  t.equal(out, endOrder.map((f) => alone.get(f)).join('') + summary)
  t.equal(summary, '3 labs: 1 passed, 2 failed  (4.2 s)\n')
})

t.test('color: green ✓, red ✗, dim times; the same text without it', async (t) => {
  const labs = [passLab, failLab, errorLab]
  const colored = await render(runEvents(labs), { color: true })
  t.match(colored, '\x1b[32m✓\x1b[39m')
  t.match(colored, '\x1b[31m✗\x1b[39m')
  t.match(colored, '\x1b[2m12 ms\x1b[22m')
  t.equal(colored.replace(ANSI, ''), await render(runEvents(labs)))
})

t.test('--verbose shows what steps print and each check line', async (t) => {
  const out = await render(runEvents([passLab]), { verbose: true })
  t.match(out, /✓ step: ip netns exec box1 ping -c 1 203\.0\.113\.10 +410 ms\n {6}PING 203\.0\.113\.10 \(203\.0\.113\.10\) 56\(84\) bytes of data\.\n {6}64 bytes from/)
  t.match(out, /^ {6}✓ rule nat POSTROUTING -s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE {2}nat POSTROUTING has/m)
  t.match(out, /^ {2}· sandbox up +120 ms$/m)
  const quiet = await render(runEvents([passLab]))
  t.notMatch(quiet, /64 bytes from/)
})

t.test('failed steps show their output, checks with several lines say which failed', async (t) => {
  const out = await render(runEvents([nastyLab]))
  t.match(out, /✗ step: .* \(\+1 line\) +50 ms\n {6}.*expected 0/)
  t.match(out, /\$ .*\(\+1 line\) {3}\(on host, exit 3\)/)
  t.match(out, /^ {6}✗ sh box1 "test -e \/x<y" {2}line 21$/m)
  t.match(out, /^ {6}✗ no netns box1 {2}line 23$/m)
  t.match(out, /^ {8}expected: no netns box1 {3}got: box1 <listed> & "present"$/m)
  t.notMatch(out, /✗ stdout "a&b"/, 'a check line that passed is not listed as failed')
  t.match(out, /^ {6}expected:\n {8}\.\.\.\n {8}line \{\*\} <tag> & "x"\n {8}\.\.\.\n {6}got:\n/m, 'an output block shows what was expected and got')
  t.match(out, /✗ labs\/<nasty> & "odd"\.md \[linux 6\.1 <nft> & "legacy"\] {2}3 of 3 blocks failed/)
})

t.test('control characters from processes never reach the terminal', async (t) => {
  const out = await render(runEvents([nastyLab]), { verbose: true })
  t.notMatch(out, /[\x00-\x08\x0b-\x1f\x7f]/)
  t.notMatch(out, /[\ud800-\udbff](?![\udc00-\udfff])/)
  t.match(out, 'bell nul', 'the text around them stays')
})

t.test('bidi formatting and escapes in names and outputs show as escapes, only our colors act', async (t) => {
  for (const color of [false, true]) {
    for (const jobs of [1, 2]) {
      const out = await render(runEvents([sneakyLab], { jobs }), { verbose: true, color })
      t.notMatch(out, ACTS_ON_TERMINAL, `nothing acts on the terminal (color ${color}, -j ${jobs})`)
    }
  }
  const out = await render(runEvents([sneakyLab]), { verbose: true })
  t.match(out, 'labs/\\u202egpj.exe\\u202c.md  Title \\u202eeltit\\u202c \\x1b]0;owned\\x07 \\x1b[2J\n', 'the file and the title, their controls shown')
  t.match(out, 'labs/\\u202egpj.exe\\u202c.md [alice\\u2066\\u202e ecila\\u2069]', 'the cell (a learner) too')
  t.match(out, 'motd \\u202ereversed\\u202c', "a step's output")
  t.match(out, '\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069', 'every bidi control')
  t.match(out, '(on box\\u202e1, exit 1)', 'a machine name')
  t.match(out, 'From \\u202e203.0.113.1\\u202c: unreachable', 'evidence')
  t.match(out, 'hint: the hint \\u202eflipped\\u202c')
  const c = createColors(true)
  t.match(await render(runEvents([sneakyLab]), { color: true }), c.bold('labs/\\u202egpj.exe\\u202c.md'), 'our own colors are kept')
})

t.test('long evidence is cut in the middle, all of it with --verbose', async (t) => {
  const long = Array.from({ length: 50 }, (_, i) => `-A DOCKER rule ${i + 1}`).join('\n')
  const lab = structuredClone(failLab)
  lab.blocks[4]!.checks![0]!.evidence = [{ machine: 'host', command: 'iptables -S', exitCode: 0, output: long }]
  const out = await render(runEvents([lab]))
  t.match(out, /rule 1\n.*rule 2\n.*… 43 more lines\n.*rule 46\n/)
  t.match(out, /rule 50\n/)
  const verbose = await render(runEvents([lab]), { verbose: true })
  for (let i = 1; i <= 50; i++) t.match(verbose, `rule ${i}\n`)
})

/** What a terminal shows after the raw output: the few escapes the reporter uses, applied. */
function screen(raw: string): string[] {
  const lines = ['']
  let row = 0
  let col = 0
  for (let i = 0; i < raw.length; ) {
    const m = /^\x1b\[(\d*)([A-Za-z])/.exec(raw.slice(i, i + 12))
    if (m) {
      const n = Number(m[1] || 1)
      if (m[2] === 'A') row = Math.max(0, row - n)
      else if (m[2] === 'J') {
        lines.length = row + 1
        lines[row] = (lines[row] ?? '').slice(0, col)
      } else if (m[2] !== 'm') throw new Error(`unexpected escape ${JSON.stringify(m[0])}`)
      i += m[0].length
      continue
    }
    const ch = raw[i]!
    if (ch === '\n') {
      row++
      col = 0
      while (lines.length <= row) lines.push('')
    } else if (ch === '\r') col = 0
    else {
      const line = lines[row] ?? ''
      lines[row] = line.slice(0, col).padEnd(col) + ch + line.slice(col + 1)
      col++
    }
    i++
  }
  return lines
}

t.test('on a TTY: a live line per running lab, gone when the run ends', async (t) => {
  let raw = ''
  let clock = T0
  const r = createTerminalReporter({
    stream: { write: (s: string) => (raw += s), columns: 60 },
    color: true,
    verbose: false,
    isTTY: true,
    tickMs: 0,
    now: () => clock,
  })
  const events = runEvents([failLab, passLab], { interleave: true, jobs: 2 })
  const firstEnd = events.findIndex((e) => e.type === 'lab-end')
  // Up to just before the first lab ends: both labs are running.
  for (const e of events.slice(0, firstEnd)) {
    clock += 100
    r.onEvent(e)
  }
  const live = screen(raw.replace(ANSI_COLOR, ''))
  t.equal(live.length - 1, 2, 'nothing but the two live lines while no lab has ended')
  t.equal(live[2], '', 'the cursor is on the line after them')
  t.match(live[0], /^⠋ labs\/snat-outbound\.md {2}\d\/7 {2}(step|check|setup).* \d+(\.\d)? m?s$/)
  t.equal(live[1], '⠋ labs/pass.md  4/4  cleaning up…  1.9 s')
  for (const l of live) t.ok([...l].length < 60, `live line fits the width: ${l}`)

  for (const e of events.slice(firstEnd)) r.onEvent(e)
  await r.close()
  const final = screen(raw.replace(ANSI_COLOR, '')).join('\n')
  const plain = await render(events, { isTTY: false })
  t.equal(final, plain, 'what stays on screen is the plain report')
})

t.test('on a TTY the live line redraws on its own, and close stops it', async (t) => {
  let raw = ''
  const r = createTerminalReporter({ stream: { write: (s: string) => (raw += s) }, color: false, verbose: false, isTTY: true, tickMs: 10 })
  for (const e of labEvents(passLab).slice(0, 3)) r.onEvent(e)
  r.onEvent({ type: 'run-start', files: ['labs/pass.md'], jobs: 2, time: T0 })
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.match(raw, '⠙', 'the spinner moved')
  await r.close()
  const after = raw.length
  await new Promise((resolve) => setTimeout(resolve, 40))
  t.equal(raw.length, after, 'nothing written after close')
})

t.test('close before the run ends says which labs were interrupted', async (t) => {
  const events = runEvents([failLab], { jobs: 1 })
  const out = await render(events.slice(0, 6))
  t.match(out, /^✗ labs\/snat-outbound\.md {2}interrupted {2}\(\d+ ms\)$/m)
  const grouped = await render(runEvents([passLab], { jobs: 2 }).slice(0, 5))
  t.match(grouped, /^labs\/pass\.md {2}Pass — everything works\n {2}✓ setup: ip link set lo up +12 ms\n✗ labs\/pass\.md {2}interrupted/m)
})

t.test('formatDuration', async (t) => {
  t.equal(formatDuration(0), '0 ms')
  t.equal(formatDuration(12.4), '12 ms')
  t.equal(formatDuration(999.4), '999 ms')
  t.equal(formatDuration(999.6), '1.0 s')
  t.equal(formatDuration(1234), '1.2 s')
  t.equal(formatDuration(9960), '10 s')
  t.equal(formatDuration(42_400), '42 s')
  t.equal(formatDuration(125_000), '2 min 5 s')
  t.equal(formatDuration(-5), '0 ms')
  t.equal(formatDuration(Number.NaN), '0 ms')
})

t.test('colorEnabled honors NO_COLOR, FORCE_COLOR and TERM=dumb', async (t) => {
  const tty = { isTTY: true }
  const pipe = { isTTY: false }
  t.equal(colorEnabled(tty, {}), true)
  t.equal(colorEnabled(pipe, {}), false)
  t.equal(colorEnabled(tty, { NO_COLOR: '1' }), false)
  t.equal(colorEnabled(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count')
  t.equal(colorEnabled(tty, { TERM: 'dumb' }), false)
  t.equal(colorEnabled(pipe, { FORCE_COLOR: '1' }), true)
  t.equal(colorEnabled(tty, { FORCE_COLOR: '0' }), false)
  t.equal(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }), true)
  t.equal(createColors(false).red('x'), 'x')
  t.equal(createColors(true).red('x'), '\x1b[31mx\x1b[39m')
})
