// The conntrack check: its parser on what conntrack printed in a lab host
// (test/fixtures/conntrack/, capture.mjs), then the check live, on a lab host
// with traffic of its own: where an entry exists and where it does not, its
// `no` form, what a failing check shows, and a machine without conntrack.
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { CONNTRACK_LIST, shown } from '../../checks/conntrack.js'
import type { CheckContext } from '../../checks/check-context.js'
import type { CheckResult } from '../../checks/check-result.js'
import { parseConntrack, parseEntry, type ConntrackEntry } from '../../checks/parse-conntrack.js'
import { runCheck } from '../../checks/run-check.js'
import { howCheckRuns } from '../../checks/run-check-block.js'
import { createSandbox, type Sandbox } from '../../runner/host/sandbox.js'
import type { Lab, Topology } from '../../runner/lab/lab.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { sandboxCheckContext } from '../../runner/run/sandbox-check-context.js'

interface Case {
  name: string
  command: string
  exitCode: number
  stdout: string | null
  stderr: string | null
}
const fixtures = new URL('../fixtures/conntrack/', import.meta.url)
const cases = JSON.parse(readFileSync(new URL('cases.json', fixtures), 'utf8')) as Case[]
const file = (name: string | null) => (name === null ? '' : readFileSync(new URL(name, fixtures), 'utf8'))
const captured = (name: string) => {
  const c = cases.find((x) => x.name === name)
  if (!c) throw new Error(`no case ${name}`)
  return { ...c, out: file(c.stdout), err: file(c.stderr) }
}
const listing = (name: string) => {
  const c = captured(name)
  return parseConntrack(c.out, c.err)
}
const find = (entries: ConntrackEntry[], test: (e: ConntrackEntry) => boolean) => {
  const e = entries.find(test)
  if (!e) throw new Error('no such entry')
  return e
}

t.test('every captured listing: each line an entry, as many as conntrack says it showed', async (t) => {
  for (const c of cases) {
    const l = parseConntrack(file(c.stdout), file(c.stderr))
    t.same(l.unparsed, [], `${c.name}: no line left unread`)
    if (c.exitCode === 0) {
      t.equal(l.shown, l.entries.length, `${c.name}: ${l.entries.length} entries, as stderr says`)
      t.equal(l.version, '1.4.7')
      t.same(l.messages, [], `${c.name}: nothing else on stderr`)
    }
  }
  t.equal(listing('extended').entries.length, 11)
  t.equal(captured('extended').command, CONNTRACK_LIST, 'the listing the check reads')
})

t.test('the entries of one table: protocols, states, tuples, flags, mark, zone', async (t) => {
  const { entries } = listing('extended')
  t.same([...new Set(entries.map((e) => e.proto))].sort(), ['icmp', 'icmpv6', 'tcp', 'udp', 'unknown'])
  t.same(entries.filter((e) => e.proto === 'tcp').map((e) => e.state).sort(), ['CLOSE', 'ESTABLISHED', 'TIME_WAIT', 'TIME_WAIT'])
  t.ok(entries.filter((e) => e.proto !== 'tcp').every((e) => e.state === undefined), 'only tcp has a state')

  const live = find(entries, (e) => e.state === 'ESTABLISHED')
  t.match(live, {
    family: 'ipv4',
    proto: 'tcp',
    protoNumber: 6,
    original: { src: '172.17.0.2', dst: '203.0.113.10', dport: 7000 },
    reply: { src: '203.0.113.10', dst: '198.51.100.2', sport: 7000 },
    flags: ['ASSURED'],
    mark: 0,
    meta: { mark: '0', use: '1' },
  })
  t.equal(live.reply.dport, live.original.sport, 'MASQUERADE kept the port')
  t.ok(live.timeout > 400_000, 'an established connection has five days to live')
  t.equal(live.zone, undefined, 'zone 0 is not printed')

  const dnat = find(entries, (e) => e.original.dport === 8080)
  t.match(dnat, { state: 'TIME_WAIT', original: { src: '198.51.100.1', dst: '198.51.100.2' }, reply: { src: '172.17.0.2', sport: 80, dst: '198.51.100.1' } })

  const echo = find(entries, (e) => e.proto === 'udp' && e.original.dport === 5000)
  t.match(echo, { protoNumber: 17, flags: ['ASSURED'], mark: 42, original: { sport: 40000 } })
  const unanswered = find(entries, (e) => e.proto === 'udp' && e.original.dport === 5001)
  t.same(unanswered.flags, ['UNREPLIED'])
  t.match(unanswered.reply, { src: '203.0.113.10', dst: '198.51.100.2', sport: 5001 })
  const zoned = find(entries, (e) => e.proto === 'udp' && e.original.dport === 5002)
  t.match(zoned, { zone: 7, mark: 0, flags: ['UNREPLIED'], meta: { zone: '7', use: '1' } })

  const icmp = find(entries, (e) => e.proto === 'icmp' && e.original.dst === '203.0.113.10')
  t.same(icmp.original.fields, { src: '172.17.0.2', dst: '203.0.113.10', type: '8', code: '0', id: icmp.original.fields.id })
  t.same(Object.keys(icmp.reply.fields), ['src', 'dst', 'type', 'code', 'id'])
  t.equal(icmp.reply.fields.type, '0', 'the reply is an echo reply')
  t.equal(icmp.original.sport, undefined, 'no ports')

  const v6 = find(entries, (e) => e.proto === 'icmpv6')
  t.match(v6, { family: 'ipv6', protoNumber: 58, original: { src: 'fd00:17::2', dst: 'fd00:17::1' } })
  const igmp = find(entries, (e) => e.proto === 'unknown')
  t.match(igmp, { protoNumber: 2, original: { fields: { src: '172.17.0.1', dst: '224.0.0.22' } }, flags: ['UNREPLIED'] })
})

t.test('with and without -o extended: the same entries', async (t) => {
  const plain = listing('plain').entries
  const extended = listing('extended').entries
  t.same(plain.map(shown).sort(), extended.map(shown).sort())
  t.same(plain.map((e) => e.family).sort(), extended.map((e) => e.family).sort(), 'the family read from the addresses')
  t.same(listing('extended-ipv6').entries.map((e) => e.proto), ['icmpv6'])
  t.same(listing('extended-tcp').entries.map((e) => e.proto), ['tcp', 'tcp', 'tcp', 'tcp'])
})

t.test('without MASQUERADE: replies addressed to the container itself', async (t) => {
  const { entries } = listing('no-masquerade')
  const syn = find(entries, (e) => e.state === 'SYN_SENT')
  t.match(syn, { flags: ['UNREPLIED'], original: { src: '172.17.0.2', dst: '203.0.113.10', dport: 80 }, reply: { src: '203.0.113.10', dst: '172.17.0.2' } })
  const picked = find(entries, (e) => e.original.dport === 7000)
  t.match(picked, { state: 'ESTABLISHED', flags: ['UNREPLIED'], reply: { dst: '172.17.0.2' } }, 'picked up mid-stream, untranslated')
  t.ok(picked.timeout <= 300, 'an unreplied established entry has five minutes')
  t.equal(shown(syn), `tcp SYN_SENT src=172.17.0.2 dst=203.0.113.10 sport=${syn.original.sport} dport=80 [UNREPLIED] src=203.0.113.10 dst=172.17.0.2 sport=80 dport=${syn.original.sport}`)
})

t.test('an empty table, an error, no conntrack at all', async (t) => {
  t.match(listing('empty'), { entries: [], shown: 0, version: '1.4.7', messages: [] })
  const unknown = captured('unknown-protocol')
  t.equal(unknown.exitCode, 2)
  t.match(parseConntrack(unknown.out, unknown.err), { entries: [], shown: undefined, version: '1.4.7', messages: ["`nosuch' unsupported protocol", /^Try `conntrack -h'/] })
  const missing = captured('missing')
  t.equal(missing.exitCode, 127)
  t.match(parseConntrack(missing.out, missing.err), { entries: [], version: undefined, messages: ['/bin/sh: 1: conntrack: not found'] })
})

t.test('lines that are no entry', async (t) => {
  const l = parseConntrack('tcp 6 x ESTABLISHED src=1.2.3.4\nhello world\n\ntcp 6 10 ESTABLISHED src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2\n')
  t.same(l.entries, [])
  t.equal(l.unparsed.length, 3, 'a bad timeout, a sentence, an entry without a reply tuple')
  t.equal(parseEntry('tcp 6 10 ESTABLISHED dst=5.6.7.8 src=1.2.3.4 src=5.6.7.8'), undefined, 'a tuple starts with src=')
  t.equal(parseEntry('udp 17 10 src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2 src=5.6.7.8 dst=1.2.3.4 sport=2 dport=1 [ASSURED] mark=1 use=1')?.mark, 1)
})

const topology: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [{ name: 'box1', ip: '172.17.0.2', publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }], line: 0 }],
  internet: true,
}
const lab: Lab = { file: 'conntrack.md', title: 'conntrack', engine: 'netns', timeoutMs: 10_000, topology, blocks: [], epilogue: '' }

let sb: Sandbox
let ctx: CheckContext
t.before(async () => {
  sb = await createSandbox({ topology, name: 'conntrack-check' })
  ctx = sandboxCheckContext(sb, lab)
  const www = await sb.exec({ machine: 'host', script: 'mkdir -p /srv/www && echo hello > /srv/www/index.html' })
  if (www.exitCode !== 0) throw new Error(www.output)
  sb.spawn({ machine: 'internet', script: 'exec busybox httpd -f -p 80 -h /srv/www' })
  sb.spawn({ machine: 'box1', script: 'exec busybox httpd -f -p 80 -h /srv/www' })
  for (let i = 0; ; i++) {
    const up = await sb.exec({ machine: 'box1', script: 'curl -sf -o /dev/null --max-time 1 http://203.0.113.10/ && curl -sf -o /dev/null --max-time 1 http://127.0.0.1/' })
    if (up.exitCode === 0) break
    if (i > 100) throw new Error(`the web servers did not come up: ${up.output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  // The traffic the checks look for: a page fetched from the internet (MASQUERADE), one echo, the published port (DNAT),
  // and an echo nobody answers (an unreplied entry of another protocol, as the machine's own IGMP makes at times).
  const traffic = await sb.exec({ machine: 'host', script: 'conntrack -F 2>/dev/null\nip netns exec box1 ping -c 1 -W 1 198.51.100.99 || true\nip netns exec box1 curl -sS --max-time 2 http://203.0.113.10/\nip netns exec box1 ping -c 1 -W 1 203.0.113.10' })
  if (traffic.exitCode !== 0) throw new Error(traffic.output)
  const dnat = await sb.exec({ machine: 'internet', script: 'curl -sS --max-time 2 http://198.51.100.2:8080/' })
  if (dnat.exitCode !== 0) throw new Error(dnat.output)
})
t.teardown(() => sb?.stop())

async function judge(t: Test, source: string, want: { ok: boolean; sentence?: RegExp; invalid?: boolean }, c: CheckContext = ctx): Promise<CheckResult> {
  const p = parseCheck(source, 1)
  if (!p.check) throw new Error(`${source}: ${p.problem}`)
  const r = await runCheck(p.check, c)
  t.equal(r.ok, want.ok, `${source} → ${want.ok ? 'pass' : 'fail'}: ${r.sentence}`)
  if (want.sentence) t.match(r.sentence, want.sentence, `  says: ${r.sentence}`)
  t.equal(r.invalid === true, want.invalid === true, want.invalid ? '  the check cannot be judged' : '  judged')
  t.ok(r.sentence.length > 0 && !r.sentence.includes('\n'), '  one sentence')
  t.ok(r.durationMs <= p.check.withinMs + 4000, `  answered in ${Math.round(r.durationMs)} ms, within its window plus 4 s`)
  if (p.check.negated) t.equal(r.attempts, 1, '  a no check is judged once')
  t.ok(r.evidence.length > 0 && r.evidence[0]!.command.includes('conntrack -L'), '  with the listing as evidence')
  return r
}

t.test('an entry that exists: by address, by machine name, by CIDR, with its translation', async (t) => {
  const page = await judge(t, 'conntrack host tcp src=172.17.0.2 dst=203.0.113.10 dport=80 state=TIME_WAIT reply-src=203.0.113.10 reply-dst=198.51.100.2 assured', {
    ok: true,
    sentence: /^host has a conntrack entry tcp state=TIME_WAIT src=172\.17\.0\.2 .* assured: tcp TIME_WAIT src=172\.17\.0\.2 dst=203\.0\.113\.10 sport=\d+ dport=80 src=203\.0\.113\.10 dst=198\.51\.100\.2 sport=80 dport=\d+ \[ASSURED\]$/,
  })
  t.match(page.got, /^tcp TIME_WAIT src=172\.17\.0\.2/)
  await judge(t, 'conntrack host tcp src=box1 dst=internet dport=80 snat reply-dst=host', { ok: true, sentence: /src=box1 \(172\.17\.0\.2\) dst=internet \(198\.51\.100\.1 or 203\.0\.113\.10\)/ })
  await judge(t, 'conntrack host icmp src=172.17.0.0/16 dst=203.0.113.0/24 reply-dst=198.51.100.0/24 snat', { ok: true, sentence: /: icmp src=172\.17\.0\.2 dst=203\.0\.113\.10 type=8 code=0/ })
  await judge(t, 'conntrack host tcp src=internet dport=8080 dnat reply-src=box1 reply-sport=80', { ok: true, sentence: /reply-src=box1 \(172\.17\.0\.2\)/ })
  await judge(t, 'conntrack host', { ok: true, sentence: /^host has a conntrack entry: .* \(and \d+ more\)$/ })
  await judge(t, 'no conntrack host udp', { ok: true, sentence: /^host has no conntrack entry udp among its \d+ entries/ })
  await judge(t, 'no conntrack host tcp dport=80 state=ESTABLISHED', { ok: true })
})

t.test('an entry that does not exist: the closest entries and how they differ', async (t) => {
  const r = await judge(t, 'conntrack host tcp src=box1 dport=80 state=ESTABLISHED within=500ms', {
    ok: false,
    sentence: /^host has no conntrack entry tcp state=ESTABLISHED src=box1 \(172\.17\.0\.2\) dport=80 among its \d+ entries; the closest is tcp TIME_WAIT src=172\.17\.0\.2 dst=203\.0\.113\.10 .* \(state=TIME_WAIT, not state=ESTABLISHED\)$/,
  })
  t.equal(r.expected, 'an entry tcp state=ESTABLISHED src=box1 (172.17.0.2) dport=80')
  t.match(r.got!.split('\n')[0], /^tcp TIME_WAIT src=172\.17\.0\.2 dst=203\.0\.113\.10 /, 'the closest first')
  t.ok(r.got!.split('\n').length >= 3, 'then the other entries')
  t.ok(r.attempts > 1, 'tried again within its window')
  await judge(t, 'conntrack host udp dport=53 within=300ms', { ok: false, sentence: /\(\w+, not udp; dport=\S+, not dport=53\)$/ })
  await judge(t, 'conntrack host tcp dport=80 reply-dst=172.17.0.2 within=300ms', { ok: false, sentence: /\(reply-dst=198\.51\.100\.2, not reply-dst=172\.17\.0\.2\)$/ })
  await judge(t, 'conntrack host icmp dst=203.0.113.10 dnat within=300ms', { ok: false, sentence: /\(its destination is not translated: replies come from where it went\)$/ })
  // The closest is a tcp entry, not the unreplied echo (or IGMP report) that meets as many words.
  await judge(t, 'conntrack host tcp unreplied within=300ms', { ok: false, sentence: /the closest is tcp .*\(not \[UNREPLIED\]\)$/ })
  await judge(t, 'conntrack host mark=42 within=300ms', { ok: false, sentence: /\(mark=0, not mark=42\)$/ })
  await judge(t, 'conntrack box1 tcp within=300ms', { ok: false, sentence: /^box1 has no conntrack entry tcp: its conntrack table is empty$/ })
  const no = await judge(t, 'no conntrack host tcp dport=80 reply-dst=198.51.100.2', { ok: false, sentence: /^host has a conntrack entry tcp dport=80 reply-dst=198\.51\.100\.2: tcp TIME_WAIT / })
  t.match(no.expected, /^not an entry tcp dport=80 reply-dst=198\.51\.100\.2/)
})

t.test('an entry made while the check waits', async (t) => {
  const waiting = judge(t, 'conntrack host udp dst=203.0.113.10 dport=5353 unreplied within=5s', { ok: true })
  await new Promise((r) => setTimeout(r, 600))
  const sent = await sb.exec({ machine: 'box1', script: 'echo hi > /dev/udp/203.0.113.10/5353' })
  t.equal(sent.exitCode, 0, sent.output)
  t.ok((await waiting).attempts > 1, 'found on a later attempt')
})

t.test('a machine without conntrack cannot judge the check, either way', async (t) => {
  // The machine's own PATH without conntrack: what a machine without the package gives.
  const lacking: CheckContext = { ...ctx, look: (o) => ctx.look({ ...o, script: `PATH=/nowhere; ${o.script}` }) }
  const why = /^host cannot run conntrack -L \(.*conntrack: not found\): the conntrack check runs conntrack \(Debian package conntrack\)$/
  await judge(t, 'conntrack host tcp', { ok: false, invalid: true, sentence: why }, lacking)
  await judge(t, 'no conntrack host tcp', { ok: false, invalid: true, sentence: why }, lacking)
})

t.test('a name that is no machine, a check line the parser would refuse', async (t) => {
  const p = parseCheck('conntrack host src=nosuchbox', 1)
  const r = await runCheck(p.check!, ctx)
  t.match(r, { ok: false, invalid: true, sentence: /^"nosuchbox" in src= is neither a machine of this lab \(host, box1, internet, or a network namespace it made\)/ })
  const bad = await runCheck({ ...p.check!, args: ['host', 'sctp'], options: {} }, ctx)
  t.match(bad, { ok: false, invalid: true, sentence: /"sctp" is no protocol/ })
})

t.test('in a block it waits for the lines before it, and the lines after wait for it', async (t) => {
  t.equal(howCheckRuns(parseCheck('conntrack host tcp dport=80', 1).check!), 'alone')
  t.equal(howCheckRuns(parseCheck('no conntrack host', 1).check!), 'alone')
})
