// Every check kind, live in a sandbox: where it must pass, where it must fail,
// and its `no` form both ways. Also the retry window and the time bounds.
import t, { type Test } from 'tap'
import { runCheck } from '../../checks/run-check.js'
import { pingProbe } from '../../checks/ping.js'
import type { CheckContext } from '../../checks/check-context.js'
import { sandboxCheckContext } from '../../runner/run/sandbox-check-context.js'
import type { CheckResult } from '../../checks/check-result.js'
import type { ExecResult } from '../../runner/host/exec-result.js'
import type { Check, Lab, Topology } from '../../runner/lab/lab.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { createSandbox, type Sandbox } from '../../runner/host/sandbox.js'

const topology: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [
    { name: 'box1', ip: '172.17.0.2', publish: [], line: 0 },
    { name: 'box2', ip: '172.17.0.3', publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }], line: 0 },
  ],
  internet: true,
}
const lab: Lab = { file: 'checks-live.md', title: 'checks', engine: 'netns', timeoutMs: 10_000, topology, blocks: [], epilogue: '' }

/**
 * A check line, parsed as a lab's check block is. Lines the parser already
 * rejects (a bad table, a bad status …) are split by hand instead, to prove
 * the check's own defence against them.
 */
function check(source: string): Check {
  const p = parseCheck(source, 1)
  if (p.check) return p.check
  rejectedByParser.push(source)
  const words = (source.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []).map((w) => w.replace(/"([^"]*)"/g, '$1'))
  const negated = words[0] === 'no'
  if (negated) words.shift()
  const verb = words.shift() as Check['verb']
  const options: Record<string, string> = {}
  const args: string[] = []
  for (const w of words) {
    const m = /^(within|status|contains|min-packets)=(.*)$/.exec(w)
    if (m) options[m[1]!] = m[2]!
    else args.push(w)
  }
  return { verb, negated, args, options, withinMs: 2000, line: 1, source }
}
const rejectedByParser: string[] = []

let sb: Sandbox
let ctx: CheckContext
t.before(async () => {
  sb = await createSandbox({ topology, name: 'checks-live' })
  ctx = sandboxCheckContext(sb, lab)
  // A web server on box2:80 (reached from outside through the published 8080).
  const www = await sb.exec({ machine: 'host', script: 'mkdir -p /tmp/www && echo "Welcome to nginx!" > /tmp/www/index.html' })
  if (www.exitCode !== 0) throw new Error(www.output)
  sb.spawn({ machine: 'box2', script: 'exec busybox httpd -f -p 80 -h /tmp/www' })
  for (let i = 0; i < 50; i++) {
    const up = await sb.exec({ machine: 'box1', script: 'curl -s -o /dev/null --max-time 1 http://172.17.0.3/' })
    if (up.exitCode === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('httpd on box2 did not come up')
})
t.teardown(() => sb?.stop())

async function judge(t: Test, source: string, want: { ok: boolean; sentence?: RegExp; invalid?: boolean }, c: CheckContext = ctx): Promise<CheckResult> {
  const chk = check(source)
  if (rejectedByParser.includes(source)) t.ok(want.invalid, `${source}: the lab parser refuses it too, and the check calls it invalid`)
  const r = await runCheck(chk, c)
  t.equal(r.ok, want.ok, `${source} → ${want.ok ? 'pass' : 'fail'}: ${r.sentence}`)
  if (want.sentence) t.match(r.sentence, want.sentence, `  says: ${r.sentence}`)
  t.equal(r.invalid === true, want.invalid === true, want.invalid ? '  the check itself is wrong' : '  judged')
  // Room for a busy machine (curl and ping start late there): the point is that it does not go on waiting.
  t.ok(r.durationMs <= chk.withinMs + 4000, `  answered in ${Math.round(r.durationMs)} ms, within its window plus 4 s`)
  if (chk.negated) t.equal(r.attempts, 1, '  a no check is judged once')
  t.ok(r.sentence.length > 0 && !r.sentence.includes('\n'), '  one sentence')
  if (!['exit', 'stdout'].includes(chk.verb) && !r.invalid) t.ok(r.evidence.length > 0 && r.evidence[0]!.command.length > 0, '  with the commands run as evidence')
  return r
}

t.test('ping', async (t) => {
  const r = await judge(t, 'ping box1 internet', { ok: true, sentence: /^box1 got a reply from internet at 203\.0\.113\.10 \(1 sent, 1 received\)$/ })
  t.match(r.evidence[0]!.output, /1 packets transmitted, 1 received/, 'evidence: what ping printed')
  t.equal(r.evidence[0]!.machine, 'box1')
  await judge(t, 'ping box1 box2', { ok: true })
  await judge(t, 'ping box1 198.51.100.1', { ok: true })
  await judge(t, 'ping box1 198.51.100.99 within=500ms', { ok: false, sentence: /^box1 got no reply from 198\.51\.100\.99 \(1 sent, 0 received\)$/ })
  const no = await judge(t, 'no ping box1 198.51.100.99', { ok: true, sentence: /got no reply/ })
  t.ok(no.durationMs <= 1500, `no ping answered in ${Math.round(no.durationMs)} ms (at most 1.5 s)`)
  await judge(t, 'no ping box1 box2', { ok: false, sentence: /^box1 got a reply from box2 at 172\.17\.0\.3/ })
  await judge(t, 'no ping internet box1', { ok: true, sentence: /^internet could not ping box1 at 172\.17\.0\.2: Network is unreachable$/ })
  // From outside, the lab host is its outside address; docker0's is not reachable from there.
  await judge(t, 'ping internet host', { ok: true, sentence: /^internet got a reply from host at 198\.51\.100\.2 / })
  await judge(t, 'ping host internet', { ok: true, sentence: /^host got a reply from internet at 203\.0\.113\.10 / })
  await judge(t, 'ping box1 internt', { ok: false, invalid: true, sentence: /neither a machine of this lab/ })
  await judge(t, 'no ping box1 internt', { ok: false, invalid: true }, ctx)
  await judge(t, 'no ping box9 internet', { ok: false, invalid: true, sentence: /no machine "box9" in this lab/ })
})

t.test('ping count=N: judged once on its statistics; real random loss from iptables statistic (no netem on every kernel)', async (t) => {
  const series = async (source: string, ok: boolean, sentence: RegExp) => {
    const chk = check(source)
    t.notOk(rejectedByParser.includes(source), `${source}: the parser takes it`)
    const r = await runCheck(chk, ctx)
    t.equal(r.ok, ok, `${source} → ${ok ? 'pass' : 'fail'}: ${r.sentence}`)
    t.match(r.sentence, sentence)
    t.equal(r.attempts, 1, '  judged once, on one series')
    t.match(r.evidence[0]?.command, new RegExp(`ping -q -c ${chk.options.count} -i 0\\.2 -W 1 `), '  evidence: the ping run')
    t.ok(!r.invalid, '  judged')
    return r
  }
  await series('ping box1 box2 count=5', true, /^box1 got replies from box2 at 172\.17\.0\.3: 5 sent, 5 received, 0% lost, rtt min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms$/)
  await series('ping box1 box2 count=5 max-loss=0% max-rtt=1s', true, /, at most 0% lost, every round trip at most 1000 ms$/)
  await series('ping box1 box2 count=3 min-rtt=1s', false, /^box1 → box2 at 172\.17\.0\.3: 3 sent, 3 received, 0% lost, rtt [^,]+, not every round trip at least 1000 ms$/)
  // The address is on the internet's link but nobody has it: whether ping also counts an ICMP error
  // (its neighbour lookup failing) depends on timing.
  await series('ping box1 198.51.100.99 count=3', false, /^box1 got no reply from 198\.51\.100\.99: 3 sent, 0 received, 100% lost(, \d+ ICMP errors?)?$/)
  await series('no ping box1 198.51.100.99 count=3', true, /got no reply/)
  await series('ping box1 198.51.100.99 count=3 min-loss=100%', true, /: 3 sent, 0 received, 100% lost(, \d+ ICMP errors?)?, at least 100% lost$/)
  await series('ping box1 198.51.100.99 count=3 max-rtt=5s', false, /not every round trip at most 5000 ms$/)
  // Half of box2's echo requests dropped at random, as netem's loss 50% would.
  const drop = await sb.exec({ machine: 'box2', script: 'iptables -I INPUT -p icmp --icmp-type echo-request -m statistic --mode random --probability 0.5 -j DROP' })
  t.equal(drop.exitCode, 0, drop.output)
  t.teardown(() => sb.exec({ machine: 'box2', script: 'iptables -D INPUT -p icmp --icmp-type echo-request -m statistic --mode random --probability 0.5 -j DROP' }))
  const t0 = performance.now()
  const lossy = await series('ping box1 box2 count=60 min-loss=10% max-loss=90%', true, /^box1 → box2 at 172\.17\.0\.3: 60 sent, \d+ received, [\d.]+% lost, rtt [^,]+, at least 10% lost, at most 90% lost$/)
  const took = performance.now() - t0
  t.ok(took >= 11_000, `60 echoes 0.2 s apart: ${Math.round(took)} ms, not cut at the 2 s window`)
  const received = Number(/60 sent, (\d+) received/.exec(lossy.sentence)?.[1])
  t.ok(received >= 6 && received <= 54, `${received} of 60 came back`)
  await series('ping box1 box2 count=60 max-loss=5%', false, /^box1 → box2 at 172\.17\.0\.3: 60 sent, \d+ received, [\d.]+% lost, rtt [^,]+, not at most 5% lost$/)
})

t.test('ping follows SNAT: no MASQUERADE, no reply from the internet', async (t) => {
  const del = await sb.exec({ machine: 'host', script: 'iptables -t nat -D POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE' })
  t.equal(del.exitCode, 0, del.output)
  await judge(t, 'no ping box1 internet', { ok: true, sentence: /^box1 got no reply from internet at 203\.0\.113\.10 \(1 sent, 0 received\)$/ })
  await judge(t, 'ping box1 internet within=300ms', { ok: false })
  await sb.exec({ machine: 'host', script: 'iptables -t nat -I POSTROUTING 1 -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE' })
  await judge(t, 'ping box1 internet', { ok: true })
})

t.test('http', async (t) => {
  const r = await judge(t, 'http box1 http://172.17.0.3/', { ok: true, sentence: /^box1 got 200 from http:\/\/172\.17\.0\.3\/$/ })
  t.match(r.evidence[0]!.output, /Welcome to nginx!/, 'evidence: the page')
  await judge(t, 'http internet http://198.51.100.2:8080/ contains="Welcome to nginx"', { ok: true, sentence: /and the page contains "Welcome to nginx"/ })
  await judge(t, 'http host http://box2/ status=200', { ok: true })
  await judge(t, 'http box1 http://172.17.0.3/ contains="Goodbye" within=300ms', { ok: false, sentence: /^box1 got 200 from http:\/\/172\.17\.0\.3\/ but the page does not contain "Goodbye"$/ })
  await judge(t, 'http box1 http://172.17.0.3/nope within=300ms', { ok: false, sentence: /^box1 got 404 from http:\/\/172\.17\.0\.3\/nope, not 2xx$/ })
  await judge(t, 'http box1 http://172.17.0.3/nope status=404', { ok: true })
  await judge(t, 'http box1 http://172.17.0.3:81/ within=300ms', { ok: false, sentence: /^box1 could not connect to http:\/\/172\.17\.0\.3:81\// })
  await judge(t, 'no http box1 http://172.17.0.3:81/', { ok: true })
  await judge(t, 'no http box1 http://172.17.0.3/', { ok: false, sentence: /got 200/ })
  await judge(t, 'no http box1 http://172.17.0.3/ contains="Goodbye"', { ok: true })
  // Nobody answers 198.51.100.99: the one attempt times out, still within window + 1 s.
  await judge(t, 'no http box1 http://198.51.100.99/ within=1s', { ok: true, sentence: /^box1 got no response from http:\/\/198\.51\.100\.99\/ within/ })
  await judge(t, 'http box1 http://172.17.0.3/ status=abc', { ok: false, invalid: true })
})

t.test('rule, with min-packets', async (t) => {
  const r = await judge(t, 'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', { ok: true, sentence: /^nat POSTROUTING has the rule "-s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE"$/ })
  t.match(r.evidence[0]!.command, /^iptables-save -c -t nat$/)
  t.match(r.evidence[0]!.output, /\*nat/)
  await judge(t, 'rule nat DOCKER ! -i docker0 -p tcp --dport 8080 -j DNAT --to 172.17.0.3:80', { ok: true })
  await judge(t, 'rule filter FORWARD -o docker0 -j DOCKER', { ok: true })
  const missing = await judge(t, 'rule nat POSTROUTING -s 172.17.0.0/16 -o docker0 -j MASQUERADE within=300ms', {
    ok: false,
    sentence: /^nat POSTROUTING has no rule like "-s 172\.17\.0\.0\/16 -o docker0 -j MASQUERADE"; it has: -A POSTROUTING -s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE; /,
  })
  // The evidence of a failing rule check names what a person would type, not nslab's scratch namespace.
  t.same(
    missing.evidence.map((e) => e.command),
    ['iptables-save -c -t nat', 'iptables -t nat -A POSTROUTING -s 172.17.0.0/16 -o docker0 -j MASQUERADE   (in a scratch copy of the nat table)'],
  )
  t.notOk(missing.evidence.some((e) => /unshare|NSLAB|@@/.test(e.command + e.output)), 'no internal command line or marker')
  await judge(t, 'no rule nat POSTROUTING -s 172.17.0.0/16 -o docker0 -j MASQUERADE', { ok: true })
  await judge(t, 'no rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', { ok: false, sentence: /has the rule/ })
  await judge(t, 'rule nat NOPE -j RETURN within=300ms', { ok: false, sentence: /^nat has no chain NOPE$/ })
  await judge(t, 'no rule filter FORWARD -j NOPE', { ok: true, sentence: /\(filter has no chain NOPE\)$/ })
  // A rule iptables itself refuses is a broken lab: it fails negated or not.
  await judge(t, 'rule filter FORWARD -p tcp --dportt 80 -j ACCEPT', { ok: false, invalid: true, sentence: /^iptables rejects the rule "-p tcp --dportt 80 -j ACCEPT" for filter FORWARD: unknown option "--dportt"$/ })
  await judge(t, 'no rule filter FORWARD -p tcp --dportt 80 -j ACCEPT', { ok: false, invalid: true })
  await judge(t, 'no rule nat PREROUTING -j MASQUERADE', { ok: false, invalid: true })
  await judge(t, 'rule natt POSTROUTING -j MASQUERADE', { ok: false, invalid: true, sentence: /not an iptables table/ })

  // Counters: box1's pings went out through MASQUERADE.
  const ping = await sb.exec({ machine: 'box1', script: 'ping -c 2 -i 0.2 -W 1 203.0.113.10' })
  t.equal(ping.exitCode, 0, ping.output)
  await judge(t, 'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE min-packets=1', { ok: true, sentence: /and it has counted \d+ packets? \(at least 1 wanted\)$/ })
  await judge(t, 'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE min-packets=1000000 within=300ms', { ok: false, sentence: /but it has counted \d+ packets?, not at least 1000000$/ })
  await judge(t, 'no rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE min-packets=1000000', { ok: true })
  // The published port: nothing came in through it yet, then one connection.
  await sb.exec({ machine: 'host', script: 'iptables -t nat -Z DOCKER' })
  await judge(t, 'rule nat DOCKER ! -i docker0 -p tcp --dport 8080 -j DNAT --to 172.17.0.3:80 min-packets=1 within=300ms', { ok: false, sentence: /counted 0 packets, not at least 1$/ })
  const get = await sb.exec({ machine: 'internet', script: 'curl -sS -o /dev/null --max-time 2 http://198.51.100.2:8080/' })
  t.equal(get.exitCode, 0, get.output)
  await judge(t, 'rule nat DOCKER ! -i docker0 -p tcp --dport 8080 -j DNAT --to 172.17.0.3:80 min-packets=1', { ok: true, sentence: /counted 1 packet \(at least 1 wanted\)$/ })
})

t.test('policy', async (t) => {
  await judge(t, 'policy filter FORWARD DROP', { ok: true, sentence: /^filter FORWARD policy is DROP$/ })
  await judge(t, 'policy filter FORWARD ACCEPT within=300ms', { ok: false, sentence: /^filter FORWARD policy is DROP, not ACCEPT$/ })
  await judge(t, 'no policy filter FORWARD ACCEPT', { ok: true })
  await judge(t, 'no policy filter FORWARD DROP', { ok: false })
  await judge(t, 'policy nat POSTROUTING ACCEPT', { ok: true })
  await judge(t, 'policy mangle FORWARD ACCEPT', { ok: true })
  await judge(t, 'policy filter DOCKER ACCEPT', { ok: false, invalid: true, sentence: /user-defined chain/ })
  await judge(t, 'policy filter FORWARD REJECT', { ok: false, invalid: true })
})

t.test('addr', async (t) => {
  await judge(t, 'addr box1 eth0 172.17.0.0/16', { ok: true, sentence: /^box1 eth0 has 172\.17\.0\.2\/16, inside 172\.17\.0\.0\/16$/ })
  await judge(t, 'addr box1 eth0 172.17.0.2', { ok: true })
  await judge(t, 'addr box1 eth0 172.17.0.2/16', { ok: true, sentence: /^box1 eth0 has 172\.17\.0\.2\/16$/ })
  await judge(t, 'addr host docker0 172.17.0.1/32', { ok: true })
  await judge(t, 'addr host eth0 198.51.100.0/24', { ok: true })
  await judge(t, 'addr box1 eth0 10.0.0.0/8 within=300ms', { ok: false, sentence: /^box1 eth0 has no IPv4 address inside 10\.0\.0\.0\/8 \(it has 172\.17\.0\.2\/16\)$/ })
  // Same network, another address: not a pass by accident.
  await judge(t, 'addr box1 eth0 172.17.0.3/16 within=300ms', { ok: false, sentence: /does not have 172\.17\.0\.3\/16/ })
  await judge(t, 'addr box1 eth9 172.17.0.0/16 within=300ms', { ok: false, sentence: /^box1 has no interface eth9$/ })
  await judge(t, 'no addr box1 eth0 10.0.0.0/8', { ok: true })
  await judge(t, 'no addr box1 eth0 172.17.0.0/16', { ok: false })
  await judge(t, 'addr box1 eth0 172.17.0.0/33', { ok: false, invalid: true })
})

t.test('master', async (t) => {
  const links = await sb.exec({ machine: 'host', script: 'ip -j link show master docker0' })
  const veth = (JSON.parse(links.stdout) as { ifname: string }[])[0]!.ifname
  t.match(veth, /^veth[0-9a-f]{7}$/)
  await judge(t, `master ${veth} docker0`, { ok: true, sentence: new RegExp(`^${veth} is a port of docker0$`) })
  await judge(t, `master ${veth} br0 within=300ms`, { ok: false, sentence: new RegExp(`^${veth} is a port of docker0, not br0$`) })
  await judge(t, 'master eth0 docker0 within=300ms', { ok: false, sentence: /^eth0 is not a port of any bridge$/ })
  await judge(t, 'master veth0000000 docker0 within=300ms', { ok: false, sentence: /^the host has no interface veth0000000$/ })
  await judge(t, 'no master eth0 docker0', { ok: true })
  await judge(t, `no master ${veth} docker0`, { ok: false })
})

t.test('route', async (t) => {
  await judge(t, 'route box1 default via 172.17.0.1', { ok: true, sentence: /^box1 routes default via 172\.17\.0\.1$/ })
  await judge(t, 'route box1 default via host', { ok: true, sentence: /via host \(172\.17\.0\.1\)$/ })
  await judge(t, 'route host default via 198.51.100.1', { ok: true })
  // A gateway is a neighbour: internet as the host's next hop is its address on the link, 198.51.100.1.
  await judge(t, 'route host default via internet', { ok: true, sentence: /via internet \(198\.51\.100\.1\)$/ })
  await judge(t, 'route internet 198.51.100.0/24 via host within=300ms', { ok: false, sentence: /not via host \(198\.51\.100\.2\)$/ })
  await judge(t, 'route box1 203.0.113.10 via 172.17.0.1', { ok: true })
  await judge(t, 'route box1 default via 172.17.0.9 within=300ms', { ok: false, sentence: /^box1 routes default via 172\.17\.0\.1, not via 172\.17\.0\.9$/ })
  await judge(t, 'route host 172.17.0.2 via 198.51.100.1 within=300ms', { ok: false, sentence: /^host routes 172\.17\.0\.2 directly out of docker0, not via 198\.51\.100\.1$/ })
  await judge(t, 'route box1 10.0.0.0/8 via 172.17.0.1 within=300ms', { ok: false, sentence: /^box1 has no route for 10\.0\.0\.0\/8 \(its routes: default via 172\.17\.0\.1 dev eth0; 172\.17\.0\.0\/16 dev eth0\)$/ })
  await judge(t, 'route internet 172.17.0.2 via 198.51.100.2 within=300ms', { ok: false, sentence: /^internet has no route to 172\.17\.0\.2 \(Network is unreachable\)$/ })
  await judge(t, 'no route box1 default via 172.17.0.9', { ok: true })
  await judge(t, 'no route box1 default via 172.17.0.1', { ok: false })
  await judge(t, 'route box1 default to 172.17.0.1', { ok: false, invalid: true })
  // dev IFACE: directly out of that device (no gateway), or with via, both.
  await judge(t, 'route host 172.17.0.2 dev docker0', { ok: true, sentence: /^host routes 172\.17\.0\.2 directly out of docker0$/ })
  await judge(t, 'route host 172.17.0.0/16 dev docker0', { ok: true })
  await judge(t, 'route host 203.0.113.10 dev eth0 within=300ms', { ok: false, sentence: /^host routes 203\.0\.113\.10 via 198\.51\.100\.1 out of eth0, not directly out of eth0$/ })
  await judge(t, 'route host 172.17.0.2 dev eth0 within=300ms', { ok: false, sentence: /^host routes 172\.17\.0\.2 directly out of docker0, not directly out of eth0$/ })
  await judge(t, 'route host default via internet dev eth0', { ok: true, sentence: /^host routes default via internet \(198\.51\.100\.1\) out of eth0$/ })
  await judge(t, 'route box1 default via 172.17.0.1 dev docker0 within=300ms', { ok: false, sentence: /not via 172\.17\.0\.1 out of docker0$/ })
  await judge(t, 'no route host 172.17.0.2 dev eth0', { ok: true })
})

t.test('sysctl', async (t) => {
  await judge(t, 'sysctl host net.ipv4.ip_forward 1', { ok: true, sentence: /^net\.ipv4\.ip_forward is 1 on host$/ })
  await judge(t, 'sysctl box1 net.ipv4.ip_forward 1 within=300ms', { ok: false, sentence: /^net\.ipv4\.ip_forward is 0 on box1, not 1$/ })
  await judge(t, 'sysctl host net/ipv4/ip_forward 1', { ok: true })
  await judge(t, 'sysctl host net.ipv4.ip_local_port_range "32768 60999"', { ok: true })
  await judge(t, 'sysctl host net.ipv4.no_such_key 1 within=300ms', { ok: false, sentence: /^host has no sysctl net\.ipv4\.no_such_key$/ })
  await judge(t, 'no sysctl box1 net.ipv4.ip_forward 1', { ok: true })
  await judge(t, 'no sysctl host net.ipv4.ip_forward 1', { ok: false })
})

t.test('netns', async (t) => {
  await judge(t, 'netns box1', { ok: true, sentence: /^the host has a network namespace box1$/ })
  await judge(t, 'netns box9 within=300ms', { ok: false, sentence: /^the host has no network namespace box9 \(it has .*box1.*\)$/ })
  await judge(t, 'no netns box9', { ok: true })
  await judge(t, 'no netns box2', { ok: false })
})

t.test('exit and stdout read the step before, and run nothing', async (t) => {
  const previous: ExecResult = await sb.exec({ machine: 'host', script: 'echo hello; echo world >&2; exit 3' })
  let ran = 0
  const c: CheckContext = { ...ctx, previous, exec: (o) => (ran++, sb.exec(o)), look: (o) => (ran++, sb.look(o)) }
  await judge(t, 'exit 3', { ok: true, sentence: /^the step before \("echo hello; echo world >&2; exit 3"\) exited with 3$/ }, c)
  await judge(t, 'exit 0', { ok: false, sentence: /exited with 3, not 0$/ }, c)
  await judge(t, 'no exit 0', { ok: true }, c)
  await judge(t, 'no exit 3', { ok: false }, c)
  await judge(t, 'stdout "hello"', { ok: true }, c)
  await judge(t, 'stdout /^hel+o$/', { ok: true }, c)
  await judge(t, 'stdout "world"', { ok: false, sentence: /did not print "world" \(it printed: hello\)$/ }, c)
  await judge(t, 'stdout /^ello/', { ok: false }, c)
  await judge(t, 'no stdout "world"', { ok: true }, c)
  await judge(t, 'no stdout "hello"', { ok: false }, c)
  t.equal(ran, 0, 'no command ran')
  const r = await runCheck(check('exit 0'), c)
  t.equal(r.attempts, 1, 'judged once even when it fails')
  await judge(t, 'exit 0', { ok: false, invalid: true, sentence: /no step before/ }, ctx)
})

t.test('sh', async (t) => {
  await judge(t, 'sh box1 "ping -c 1 -W 1 172.17.0.3 >/dev/null"', { ok: true, sentence: /^on box1, "ping -c 1 -W 1 172\.17\.0\.3 >\/dev\/null" exited with 0$/ })
  await judge(t, 'sh box1 "test -e /nonexistent"', { ok: false, sentence: /exited with 1$/ })
  await judge(t, 'sh host "echo oops >&2; exit 4" within=300ms', { ok: false, sentence: /exited with 4 \(oops\)$/ })
  await judge(t, 'no sh box1 "test -e /nonexistent"', { ok: true })
  await judge(t, 'no sh box1 "true"', { ok: false })
  await judge(t, 'sh box1 "sleep 5" within=500ms', { ok: false, sentence: /did not finish within/ })
})

t.test('a positive check polls until it holds; a no check does not', async (t) => {
  // The rule appears 600 ms from now; the check started now sees it.
  sb.spawn({ machine: 'host', script: 'sleep 0.6; iptables -A DOCKER-USER -s 198.51.100.7 -j DROP' })
  const r = await runCheck(check('rule filter DOCKER-USER -s 198.51.100.7/32 -j DROP within=3s'), ctx)
  t.ok(r.ok, r.sentence)
  t.ok(r.attempts > 1, `it took ${r.attempts} attempts`)
  t.ok(r.durationMs >= 500 && r.durationMs < 3000, `answered once it held (${Math.round(r.durationMs)} ms)`)
  sb.spawn({ machine: 'host', script: 'sleep 0.6; iptables -D DOCKER-USER -s 198.51.100.7 -j DROP' })
  const no = await runCheck(check('no rule filter DOCKER-USER -s 198.51.100.7 -j DROP within=3s'), ctx)
  t.notOk(no.ok, 'the no check is judged at once, while the rule is still there')
  t.equal(no.attempts, 1)
  const fail = await runCheck(check('netns box9 within=800ms'), ctx)
  t.ok(fail.attempts > 2, `a failing check keeps trying through its window (${fail.attempts} attempts)`)
  t.ok(fail.durationMs >= 800 && fail.durationMs <= 1800, `and ends after it (${Math.round(fail.durationMs)} ms)`)
})


t.test("a look of one plain command runs it without a shell, and a missing program is sh's answer", async (t) => {
  const ok = await sb.look({ machine: 'box1', script: 'ip -j -4 addr show dev eth0', timeoutMs: 3000 })
  t.equal(ok.exitCode, 0, ok.stderr)
  t.match(ok.stdout, /"local":"172\.17\.0\.2"/, "in box1's network namespace")
  const missing = await sb.look({ machine: 'box1', script: 'no-such-program-here --version', timeoutMs: 3000 })
  t.equal(missing.exitCode, 127, 'exit 127, as sh gives')
  t.match(missing.stderr, /no-such-program-here: not found/)
  const shell = await sb.look({ machine: 'box1', script: 'no-such-program-here --version || echo "after $?"', timeoutMs: 3000 })
  t.equal(shell.stdout, 'after 127\n', 'the same through sh')
})

t.test('a ping whose budget is short is cut by SIGINT and still reads as ping statistics', async (t) => {
  // 192.0.2.1 (TEST-NET-1) answers nobody here: ping waits, and is cut 80 ms before its budget.
  const t0 = performance.now()
  const p = await pingProbe(check('ping box1 192.0.2.1'), ctx, { timeoutMs: 400 })
  t.notOk(p.holds, p.sentence)
  t.match(p.got ?? '', /^1 sent, 0 received/, 'ping printed its statistics')
  t.ok(performance.now() - t0 < 900, 'cut well before ping -W 1 would end')
})
