// `nft` compares rules as nft itself reads them: other spellings and orders of
// the same rule match, near misses do not, a rule nft refuses is the lab's
// mistake. One table of cases, live on a lab host, each also in its `no` form;
// then chains, tables, counters, evidence, and what a learner cannot fake.
import t from 'tap'
import { runCheck } from '../../checks/run-check.js'
import type { CheckContext } from '../../checks/check-context.js'
import { sandboxCheckContext } from '../../runner/run/sandbox-check-context.js'
import type { Check, Lab, Topology } from '../../runner/lab/lab.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { createSandbox } from '../../runner/host/sandbox.js'

const topology: Topology = {
  docker: false,
  bridge: { name: 'br0', address: '192.168.50.1', prefix: 24, subnet: '192.168.50.0/24' },
  containers: [{ name: 'box1', ip: '192.168.50.2', publish: [], line: 0 }],
  internet: true,
}
const lab: Lab = { file: 'nft.md', title: 'nft', engine: 'netns', timeoutMs: 10_000, topology, blocks: [], epilogue: '' }

// What the learner did: a native table, iptables-nft's rules beside it, a table in box1.
const setup = String.raw`
sysctl -qw net.ipv4.ip_forward=1
nft add table ip lab
nft add chain ip lab postrouting '{ type nat hook postrouting priority srcnat; policy accept; }'
nft add chain ip lab prerouting '{ type nat hook prerouting priority dstnat; policy accept; }'
nft add chain ip lab forward '{ type filter hook forward priority filter; policy drop; }'
nft add chain ip lab web
nft add set ip lab allowed '{ type ipv4_addr; flags interval; elements = { 192.168.50.0/24 }; }'
nft add rule ip lab postrouting ip saddr 192.168.50.0/24 oifname != '"br0"' counter masquerade
nft add rule ip lab prerouting iifname eth0 tcp dport 8080 dnat to 192.168.50.3:80
nft add rule ip lab forward ct state established,related accept
nft add rule ip lab forward icmp type echo-request counter accept
nft add rule ip lab forward ip saddr @allowed tcp dport '{ 443, 80 }' accept comment '"web out"'
nft add rule ip lab forward iifname eth0 jump web
iptables-nft -t nat -A POSTROUTING -s 10.2.0.0/16 ! -o br0 -j MASQUERADE
iptables-nft -t nat -A POSTROUTING -s 10.3.0.0/16 -j SNAT --to-source 198.51.100.2
iptables-nft -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ip netns exec box1 nft add table inet fw
ip netns exec box1 nft add chain inet fw input '{ type filter hook input priority 0; }'
ip netns exec box1 nft add rule inet fw input tcp dport 22 accept
ip netns exec box1 ping -c 1 -W 2 198.51.100.1 >/dev/null
`

/** [check line after `nft `, holds?, why] */
const cases: [string, boolean, string][] = [
  // The same rule, spelt otherwise.
  ['host ip lab postrouting ip saddr 192.168.50.0/24 oifname != "br0" counter masquerade', true, 'as nft prints it'],
  ['host ip lab postrouting oifname != "br0" ip saddr 192.168.50.0/24 masquerade', true, 'matches in another order, no counter asked'],
  ['host ip lab postrouting ip saddr 192.168.50.77/24 oifname != br0 masquerade', true, 'host bits in the prefix, the name unquoted'],
  ['host ip lab postrouting meta oifname != "br0" ip saddr 192.168.50.0/24 counter masquerade', true, 'meta oifname written out'],
  ['host ip lab prerouting iifname "eth0" tcp dport 8080 dnat to 192.168.50.3:80', true, 'as nft prints it'],
  ['host ip lab prerouting tcp dport http-alt iifname eth0 dnat to 192.168.50.3:http', true, 'service names, another order'],
  ['host ip lab prerouting ip protocol tcp tcp dport 8080 iifname "eth0" dnat to 192.168.50.3:80', true, 'the protocol nft implies, written out'],
  ['host ip lab forward ct state related,established accept', true, 'states in another order'],
  ['host ip lab forward icmp type 8 counter accept', true, 'ICMP type by number'],
  ['host ip lab forward tcp dport { 80, 443 } ip saddr @allowed accept comment "web out"', true, 'the set in another order, matches too'],
  ['host ip lab forward ip saddr @allowed tcp dport { 443, 80 } accept', true, 'the comment not asked'],
  ['host ip lab forward iifname eth0 jump web', true, 'a jump'],
  ['host ip nat POSTROUTING ip saddr 10.2.0.0/16 oifname != "br0" masquerade', true, "iptables-nft's MASQUERADE (an x_tables target), as nft prints it, reordered"],
  ['host ip nat POSTROUTING ip saddr 10.3.0.0/16 counter snat to 198.51.100.2', true, "iptables-nft's SNAT"],
  ['host ip filter FORWARD ct state established,related counter accept', true, "iptables-nft's -m conntrack (x_tables)"],
  ['box1 inet fw input tcp dport 22 accept', true, 'a table of a container'],
  // Near misses.
  ['host ip lab postrouting ip saddr 192.168.51.0/24 oifname != "br0" masquerade', false, 'another subnet'],
  ['host ip lab postrouting ip saddr 192.168.50.0/24 oifname "br0" masquerade', false, '== for !='],
  ['host ip lab postrouting ip saddr 192.168.50.0/24 masquerade', false, 'one match fewer'],
  ['host ip lab postrouting ip daddr 192.168.50.0/24 oifname != "br0" masquerade', false, 'daddr for saddr'],
  ['host ip lab postrouting ip saddr 192.168.50.0/24 oifname != "br0" masquerade random', false, 'a flag more'],
  ['host ip lab postrouting ip saddr 192.168.50.0/24 oifname != "br0" snat to 198.51.100.2', false, 'snat for masquerade'],
  ['host ip lab postrouting ip saddr 192.168.50.0/24 counter oifname != "br0" masquerade', false, 'the counter elsewhere counts other packets'],
  ['host ip lab prerouting iifname "eth0" tcp dport 8080 dnat to 192.168.50.3:8080', false, 'another port'],
  ['host ip lab prerouting iifname "eth0" udp dport 8080 dnat to 192.168.50.3:80', false, 'udp for tcp'],
  ['host ip lab prerouting iifname "eth0" tcp dport 8080 counter dnat to 192.168.50.3:80', false, 'a counter asked, the rule has none'],
  ['host ip lab forward ct state established accept', false, 'fewer states'],
  ['host ip lab forward tcp dport { 80, 443, 22 } ip saddr @allowed accept', false, 'another set'],
  ['host ip lab forward ip saddr @allowed tcp dport { 443, 80 } accept comment "web in"', false, 'another comment'],
  ['host ip lab forward iifname eth0 goto web', false, 'goto for jump'],
  ['host ip lab forward iifname eth0 jump nowhere', false, 'a chain the table lacks'],
  ['host ip lab web tcp dport 80 accept', false, 'an empty chain'],
  ['host ip lab nochain masquerade', false, 'a chain the table lacks'],
  ['host ip lab2 postrouting masquerade', false, 'a table the host lacks'],
  ['host inet lab postrouting ip saddr 192.168.50.0/24 oifname != "br0" masquerade', false, 'another family'],
  ['host ip nat POSTROUTING ip saddr 10.2.0.0/16 oifname != "br1" masquerade', false, "iptables-nft's MASQUERADE, another interface"],
  ['host ip nat POSTROUTING ip saddr 10.3.0.0/16 snat to 198.51.100.3', false, "iptables-nft's SNAT, another address"],
  ['box1 ip lab postrouting masquerade', false, "the host's table is not box1's"],
]

/** Rules nft itself refuses: the lab is wrong, so the check fails in both forms. */
const rejected: [string, RegExp][] = [
  ['host ip lab postrouting ip saddr 192.168.50.0/24 masqurade', /: syntax error, unexpected newline$/],
  ['host ip lab forward masquerade', /for ip lab forward: Could not process rule: Operation not supported$/],
  ['host ip lab forward ip saddr @nope accept', /: No such file or directory$/],
  ['host ip lab forward ip saddr nosuchhost.invalid accept', /Could not resolve hostname/],
  ['host ip lab2 postrouting ip saddr 192.168.50.0/24 masqurade', /: syntax error, unexpected newline$/],
]

/** The check line as a lab's check block parses it; a near miss polls through a short window. */
function check(line: string, negated = false, withinMs = 2000): Check {
  const p = parseCheck(`${negated ? 'no ' : ''}nft ${line}`, 1)
  if (!p.check) throw new Error(`nft ${line}: ${p.problem}`)
  return { ...p.check, withinMs }
}

// Which rules match is tested, not how fast a loaded machine runs nft: room for a machine 4× slower.
process.env.NSLAB_TIME_SCALE ??= '4'

t.test('a lab host with nft rules of its own and of iptables-nft', async (t) => {
  const sb = await createSandbox({ topology, name: 'nft-check' })
  t.teardown(() => sb.stop())
  const s = await sb.exec({ machine: 'host', script: setup })
  t.equal(s.exitCode, 0, s.output)
  const ctx: CheckContext = sandboxCheckContext(sb, lab)
  const ruleset = async () => (await sb.exec({ machine: 'host', script: 'nft list ruleset' })).stdout.replace(/packets \d+ bytes \d+/g, 'packets bytes')
  const before = await ruleset()

  t.test('spellings and near misses', async (t) => {
    for (const [line, holds, why] of cases) {
      const pos = await runCheck(check(line, false, holds ? 2000 : 500), ctx)
      const neg = await runCheck(check(line, true), ctx)
      t.notOk(pos.invalid, `nft ${line} is a valid check: ${pos.invalid ? pos.sentence : ''}`)
      t.equal(pos.ok, holds, `nft ${line} → ${holds ? 'matches' : 'no match'} (${why}): ${pos.sentence}`)
      t.equal(neg.ok, !holds, `  no nft … → ${holds ? 'fails' : 'passes'}`)
      t.match(pos.sentence, holds ? / has the rule "/ : / has no (rule like "|chain |nftables table )/, '  judged, not timed out')
    }
    for (const [line, message] of rejected) {
      const pos = await runCheck(check(line, false, 500), ctx)
      const neg = await runCheck(check(line, true), ctx)
      t.ok(pos.invalid && !pos.ok, `nft ${line} → nft rejects it: ${pos.sentence}`)
      t.match(pos.sentence, /^nft rejects the rule "/)
      t.match(pos.sentence, message, '  in its own words')
      t.ok(neg.invalid && !neg.ok, '  and the no form fails too')
    }
  })

  t.test('counted packets: min-packets', async (t) => {
    const one = await runCheck(check('host ip lab postrouting ip saddr 192.168.50.0/24 oifname != "br0" masquerade min-packets=1'), ctx)
    t.ok(one.ok, one.sentence)
    t.match(one.sentence, /and it has counted \d+ packets? \(at least 1 wanted\)$/)
    const many = await runCheck(check('host ip lab postrouting oifname != "br0" ip saddr 192.168.50.0/24 counter masquerade min-packets=1000', false, 500), ctx)
    t.notOk(many.ok, many.sentence)
    t.match(many.sentence, /but it has counted \d+ packets?, not at least 1000$/)
    const none = await runCheck(check('host ip lab prerouting iifname "eth0" tcp dport 8080 dnat to 192.168.50.3:80 min-packets=0', false, 500), ctx)
    t.notOk(none.ok, 'a rule without a counter counts nothing')
    t.match(none.sentence, /without a counter/)
    const ipt = await runCheck(check('host ip nat POSTROUTING ip saddr 10.2.0.0/16 oifname != "br0" masquerade min-packets=0'), ctx)
    t.ok(ipt.ok, `iptables-nft's rules always count: ${ipt.sentence}`)
  })

  t.test('chains and tables', async (t) => {
    const chainCases: [string, boolean][] = [
      ['host ip lab postrouting type=nat hook=postrouting priority=srcnat policy=accept', true],
      ['host ip lab postrouting priority=100', true],
      ['host ip lab prerouting priority=dstnat', true],
      ['host ip lab prerouting priority=srcnat', false],
      ['host ip lab forward policy=drop', true],
      ['host ip lab forward policy=accept', false],
      ['host ip lab forward type=nat', false],
      ['host ip lab web', true],
      ['host ip lab web hook=input', false],
      ['host ip lab nochain', false],
      ['host ip nat POSTROUTING type=nat hook=postrouting', true],
      ['host ip lab', true],
      ['host ip nat', true],
      ['host inet lab', false],
      ['box1 inet fw', true],
      ['box1 inet fw input hook=input priority=filter', true],
    ]
    for (const [line, holds] of chainCases) {
      const pos = await runCheck(check(line, false, holds ? 2000 : 500), ctx)
      const neg = await runCheck(check(line, true), ctx)
      t.notOk(pos.invalid, `nft ${line}: valid`)
      t.equal(pos.ok, holds, `nft ${line} → ${holds}: ${pos.sentence}`)
      t.equal(neg.ok, !holds, '  and its no form')
    }
    const policy = await runCheck(check('host ip lab forward policy=accept', false, 500), ctx)
    t.equal(policy.sentence, 'ip lab forward is a base chain: type filter hook forward priority 0 policy drop, not policy=accept')
    const noTable = await runCheck(check('host inet lab', false, 500), ctx)
    t.equal(noTable.sentence, 'host has no nftables table inet lab; it has ip lab, ip nat, ip filter')
  })

  t.test('what a failed check shows', async (t) => {
    const r = await runCheck(check('host ip lab postrouting ip saddr 192.168.51.0/24 oifname != "br0" masquerade', false, 500), ctx)
    t.equal(r.sentence, 'ip lab postrouting has no rule like "ip saddr 192.168.51.0/24 oifname != "br0" masquerade"; it has: ip saddr 192.168.50.0/24 oifname != "br0" counter masquerade')
    t.equal(r.expected, 'ip saddr 192.168.51.0/24 oifname != "br0" masquerade', 'the rule as nft reads it')
    t.match(r.got, /^ip saddr 192\.168\.50\.0\/24 oifname != "br0" counter packets \d+ bytes \d+ masquerade$/, 'the chain as nft prints it, counts and all')
    t.equal(r.evidence[0]!.command, 'nft -a list chain ip lab postrouting')
    t.match(r.evidence[0]!.output, /^table ip lab \{\n\tchain postrouting \{ # handle \d+\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tip saddr 192\.168\.50\.0\/24 oifname != "br0" counter packets \d+ bytes \d+ masquerade # handle \d+\n\t\}\n\}$/)
    t.match(r.evidence[1]!.command, /^nft add rule ip lab postrouting ip saddr 192\.168\.51\.0\/24 .*\(in a scratch ruleset of its own\)$/)
    t.match(r.evidence[1]!.output, /ip saddr 192\.168\.51\.0\/24 oifname != "br0" masquerade # handle/, 'how nft read the rule')
    const bad = await runCheck(check('host ip lab postrouting ip saddr 192.168.50.0/24 masqurade', false, 500), ctx)
    t.match(bad.evidence[1]!.output, /^Error: syntax error, unexpected newline\n.*masqurade\n\s+\^/m, "nft's message with its caret")
    const gone = await runCheck(check('host ip lab2 postrouting masquerade', false, 500), ctx)
    t.equal(gone.sentence, 'host has no nftables table ip lab2')
    t.equal(gone.got, 'no table ip lab2')
    t.match(gone.evidence[0]!.output, /No such file or directory/)
    const noChain = await runCheck(check('host ip lab nochain masquerade', false, 500), ctx)
    t.equal(noChain.sentence, 'ip lab has no chain nochain; it has postrouting, prerouting, forward, web')
  })

  t.test('a comment cannot feign a rule', async (t) => {
    // A comment with a newline and a quote (nft takes them from JSON): nft prints it as it is, so the
    // line after its newline reads as a rule of its own.
    const comment = 'x\n\t\ttcp dport 9 accept comment "x'
    const doc = JSON.stringify({ nftables: [{ add: { chain: { family: 'ip', table: 'lab', name: 'forge' } } }, { add: { rule: { family: 'ip', table: 'lab', chain: 'forge', comment, expr: [{ drop: null }] } } }] })
    const add = await sb.exec({ machine: 'host', script: `nft -j -f - <<'EOF'\n${doc}\nEOF\nnft -a list chain ip lab forge` })
    t.equal(add.exitCode, 0, add.output)
    t.match(add.stdout, /^\t\ttcp dport 9 accept comment "x" # handle \d+$/m, 'the listing shows a line like a rule')
    const feigned = await runCheck(check('host ip lab forge tcp dport 9 accept comment "x"', false, 500), ctx)
    t.notOk(feigned.ok, `not that rule: ${feigned.sentence}`)
    t.notOk(feigned.invalid)
    t.match(feigned.sentence, /it has: drop comment "x\ntcp dport 9 accept comment "x"$/, 'the rule it has, whole')
    const real = await runCheck(check('host ip lab forge drop'), ctx)
    t.ok(real.ok, real.sentence)
    const cleanup = await sb.exec({ machine: 'host', script: 'nft delete chain ip lab forge' })
    t.equal(cleanup.exitCode, 0, cleanup.output)
  })

  t.test("the checks changed nothing of the lab host's ruleset", async (t) => {
    t.equal(await ruleset(), before, 'no table, chain or rule of a scratch ruleset reached the lab host')
  })
})
