// `rule` compares rules as iptables itself prints them: equal spellings match,
// near misses do not. One table of cases, run live against iptables-nft and
// iptables-legacy, each check also in its `no` form.
import t from 'tap'
import { runCheck } from '../../checks/run-check.js'
import type { CheckContext } from '../../checks/check-context.js'
import { sandboxCheckContext } from '../../runner/run/sandbox-check-context.js'
import type { Check, Lab, Topology } from '../../runner/lab/lab.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { createSandbox } from '../../runner/host/sandbox.js'

const topology: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [{ name: 'box1', ip: '172.17.0.2', publish: [], line: 0 }],
  internet: false,
}
const lab: Lab = { file: 'rule-spellings.md', title: 'rule spellings', engine: 'netns', timeoutMs: 10_000, topology, blocks: [], epilogue: '' }

// What the learner did (besides Docker's own rules, which the sandbox installs).
const setup = [
  'iptables -A DOCKER-USER -p tcp --dport 8080 -j ACCEPT',
  'iptables -A DOCKER-USER -s 172.17.0.2 -j RETURN',
  'iptables -A DOCKER-USER -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
  'iptables -A DOCKER-USER -m comment --comment "allow web" -p tcp -m multiport --dports 80,443 -j ACCEPT',
  'iptables -A DOCKER-USER -p icmp --icmp-type echo-request -j DROP',
  'iptables -A DOCKER-USER -s 10.1.0.0/16 -j DROP',
  'iptables -A DOCKER-USER -s 10.3.0.1 -j DROP',
  'iptables -A DOCKER-USER -s 10.3.0.2 -j DROP',
  'iptables -t nat -A DOCKER -p tcp --dport 9090 -j DNAT --to-destination 172.17.0.2:80',
].join('\n')

/** [table chain spec (as a check line writes it, quotes allowed), holds?, why] */
const cases: [string, boolean, string][] = [
  // Equal spellings.
  ['filter DOCKER-USER -p tcp --dport 8080 -j ACCEPT', true, 'as typed'],
  ['filter DOCKER-USER -p tcp -m tcp --dport 8080 -j ACCEPT', true, 'the implicit -m tcp written out'],
  ['filter DOCKER-USER -p 6 --dport 8080 -j ACCEPT', true, 'protocol by number'],
  ['filter DOCKER-USER -p TCP --dport 8080 -j ACCEPT', true, 'protocol in capitals'],
  ['filter DOCKER-USER --protocol tcp --destination-port 8080 --jump ACCEPT', true, 'long options'],
  ['filter DOCKER-USER -p tcp --dport 8080:8080 -j ACCEPT', true, 'a one-port range'],
  ['filter DOCKER-USER -p tcp --dport http-alt -j ACCEPT', true, 'a service name (8080 is http-alt)'],
  ['filter DOCKER-USER -s 172.17.0.2 -j RETURN', true, 'address as typed'],
  ['filter DOCKER-USER -s 172.17.0.2/32 -j RETURN', true, '/32 written out'],
  ['filter DOCKER-USER -s 172.17.0.2/255.255.255.255 -j RETURN', true, 'a dotted mask'],
  ['filter DOCKER-USER --source 172.17.0.2 -j RETURN', true, '--source for -s'],
  ['filter DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', true, 'states in another order'],
  ['filter DOCKER-USER -p tcp -m comment --comment "allow web" -m multiport --dports 80,443 -j ACCEPT', true, 'the comment quoted, in the order iptables keeps'],
  ['filter DOCKER-USER -p icmp --icmp-type 8 -j DROP', true, 'ICMP type by number'],
  ['filter DOCKER-USER -p icmp -m icmp --icmp-type echo-request -j DROP', true, 'ICMP type by name'],
  ['filter DOCKER-USER -s 10.1.77.77/16 -j DROP', true, 'host bits in a CIDR are masked by iptables'],
  ['filter DOCKER-USER -s 10.3.0.1,10.3.0.2 -j DROP', true, 'a list expands to two rules; both are there'],
  ['nat DOCKER -p tcp --dport 9090 -j DNAT --to-destination 172.17.0.2:80', true, 'as typed'],
  ['nat DOCKER -p tcp --dport 9090 -j DNAT --to 172.17.0.2:80', true, '--to for --to-destination'],
  ['nat DOCKER -p tcp -m tcp --dport 9090 -j DNAT --to-dest 172.17.0.2:80', true, 'an abbreviated option'],
  ['nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', true, "Docker's own rule"],
  ['nat POSTROUTING ! -o docker0 -s 172.17.0.0/16 -j MASQUERADE', true, 'options in another order'],
  ['nat POSTROUTING ! --out-interface docker0 --source 172.17.0.0/16 --jump MASQUERADE', true, 'long options'],
  ['filter FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', true, "Docker's own rule"],
  ['filter FORWARD -j DOCKER-USER', true, 'a jump to a user-defined chain'],
  // Near misses.
  ['filter DOCKER-USER -p tcp --dport 8081 -j ACCEPT', false, 'another port'],
  ['filter DOCKER-USER -p udp --dport 8080 -j ACCEPT', false, 'another protocol'],
  ['filter DOCKER-USER -p tcp --sport 8080 -j ACCEPT', false, 'source port for destination port'],
  ['filter DOCKER-USER -p tcp --dport 8080 -j DROP', false, 'another target'],
  ['filter DOCKER-USER -p tcp ! --dport 8080 -j ACCEPT', false, 'negated port'],
  ['filter FORWARD -p tcp --dport 8080 -j ACCEPT', false, 'another chain'],
  ['filter INPUT -p tcp --dport 8080 -j ACCEPT', false, 'another chain'],
  ['nat POSTROUTING -s 172.17.0.0/16 -o docker0 -j MASQUERADE', false, '-o docker0 for ! -o docker0'],
  ['nat POSTROUTING -s 172.17.0.0/16 -j MASQUERADE', false, 'the same rule without ! -o docker0'],
  ['nat POSTROUTING -s 172.17.0.0/24 ! -o docker0 -j MASQUERADE', false, 'another prefix'],
  ['nat POSTROUTING -s 172.17.0.0/16 ! -o docker1 -j MASQUERADE', false, 'another interface'],
  ['nat POSTROUTING -s 172.17.0.0/16 ! -o docker+ -j MASQUERADE', false, 'a wildcard interface'],
  ['nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j SNAT --to-source 198.51.100.2', false, 'SNAT for MASQUERADE'],
  ['nat OUTPUT -p tcp --dport 9090 -j DNAT --to-destination 172.17.0.2:80', false, 'another chain'],
  ['filter DOCKER-USER -s 172.17.0.3 -j RETURN', false, 'another address'],
  ['filter DOCKER-USER -d 172.17.0.2 -j RETURN', false, '-d for -s'],
  ['filter DOCKER-USER ! -s 172.17.0.2 -j RETURN', false, 'negated address'],
  ['filter DOCKER-USER -s 172.17.0.2 -i docker0 -j RETURN', false, 'one match more'],
  ['filter DOCKER-USER -m conntrack --ctstate ESTABLISHED -j ACCEPT', false, 'fewer states'],
  ['filter DOCKER-USER -m state --state ESTABLISHED,RELATED -j ACCEPT', false, '-m state is another match than -m conntrack as iptables prints it'],
  ['filter DOCKER-USER -m multiport -p tcp --dports 80,443 -m comment --comment "allow web" -j ACCEPT', false, 'match modules in another order: iptables keeps their order'],
  ['filter DOCKER-USER -p tcp -m comment --comment "allow webs" -m multiport --dports 80,443 -j ACCEPT', false, 'another comment'],
  ['filter DOCKER-USER -p icmp --icmp-type echo-reply -j DROP', false, 'another ICMP type'],
  ['filter DOCKER-USER -s 10.1.0.0/16,10.2.0.0/16 -j DROP', false, 'a list whose second rule is missing'],
  ['nat DOCKER -p tcp --dport 9090 -j DNAT --to 172.17.0.2:8080', false, 'another destination port'],
  ['nat DOCKER -p tcp --dport 9090 -j DNAT --to 172.17.0.3:80', false, 'another destination address'],
  ['nat DOCKER -p tcp --dport 9090 -j REDIRECT --to-ports 80', false, 'REDIRECT for DNAT'],
  ['filter DOCKER -p tcp --dport 8080 -j ACCEPT', false, 'the same rule in a chain of the same name in another table'],
]

/** Rules iptables itself refuses: the lab is wrong, so the check fails in both forms. */
const rejected: [string, RegExp][] = [
  ['nat OUTPUT -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', /for nat OUTPUT: (RULE_APPEND failed \(Invalid argument\)|Invalid argument)/],
  ['filter FORWARD -p tcp --dportt 80 -j ACCEPT', /unknown option "--dportt"/],
  ['filter FORWARD --dport 80 -j ACCEPT', /unknown option "--dport"/],
  ['nat PREROUTING -o docker0 -j DNAT --to-destination 172.17.0.2', /Can't use -o with PREROUTING|Invalid argument/],
]

/**
 * The check line as a lab's check block parses it. A near miss polls through
 * its window, so it gets a short one (1 s; its attempts still get the full
 * second of grace, so a loaded machine does not turn them into timeouts).
 */
function check(line: string, negated: boolean, withinMs = 2000): Check {
  const p = parseCheck(`${negated ? 'no ' : ''}rule ${line}`, 1)
  if (!p.check) throw new Error(`rule ${line}: ${p.problem}`)
  return { ...p.check, withinMs }
}

// What is tested is which rules match, not how fast a loaded machine reads a table: each check's
// last attempt gets grace as a machine 4× slower would (NSLAB_TIME_SCALE), not a bare 0.85 s
// (iptables-legacy-save timed out in it at load 12).
process.env.NSLAB_TIME_SCALE ??= '4'

for (const backend of ['nft', 'legacy'] as const) {
  t.test(`iptables-${backend}`, async (t) => {
    const sb = await createSandbox({ topology, name: `spellings-${backend}`, iptables: backend })
    t.teardown(() => sb.stop())
    const ver = await sb.exec({ machine: 'host', script: 'iptables --version' })
    t.match(ver.stdout, backend === 'nft' ? /nf_tables/ : /legacy/, `iptables is the ${backend} one: ${ver.stdout.trim()}`)
    const s = await sb.exec({ machine: 'host', script: setup })
    t.equal(s.exitCode, 0, s.output)
    const ctx: CheckContext = sandboxCheckContext(sb, lab)
    for (const [line, holds, why] of cases) {
      const pos = await runCheck(check(line, false, holds ? 2000 : 1000), ctx)
      const neg = await runCheck(check(line, true, 1000), ctx)
      t.notOk(pos.invalid, `rule ${line} is a valid rule`)
      t.equal(pos.ok, holds, `rule ${line} → ${holds ? 'matches' : 'no match'} (${why}): ${pos.sentence}`)
      t.equal(neg.ok, !holds, `  no rule … → ${holds ? 'fails' : 'passes'}`)
      // Judged, not timed out: the sentence says which rule is or is not there.
      for (const r of [pos, neg]) t.match(r.sentence, holds ? / has the rule "/ : / has no rule like "/, `  ${r.sentence.slice(0, 80)}`)
    }
    for (const [line, message] of rejected) {
      const pos = await runCheck(check(line, false, 1000), ctx)
      const neg = await runCheck(check(line, true, 1000), ctx)
      t.ok(pos.invalid && !pos.ok, `rule ${line} → iptables rejects it: ${pos.sentence}`)
      t.match(pos.sentence, message, '  in its own words')
      t.ok(neg.invalid && !neg.ok, '  and the no form fails too')
    }
    // Quotes, dollars and blanks reach iptables intact (the spec is quoted for the shell, never evaluated).
    const odd = `it's "$HOME" \\ $(true) ; x`
    const add = await sb.exec({ machine: 'host', script: `iptables -A DOCKER-USER -m comment --comment ${JSON.stringify(odd).replace(/\$/g, '\\$')} -j RETURN; iptables -S DOCKER-USER | grep comment` })
    t.equal(add.exitCode, 0, add.output)
    const spec = ['DOCKER-USER', '-m', 'comment', '--comment', odd, '-j', 'RETURN']
    const same = await runCheck({ ...check('filter X -j RETURN', false), args: ['filter', ...spec] }, ctx)
    t.ok(same.ok, `a comment with quotes and $: ${same.sentence}`)
    const other = await runCheck({ ...check('filter X -j RETURN', false), args: ['filter', ...spec.map((a) => (a === odd ? `${odd}!` : a))] }, ctx)
    t.notOk(other.ok, `and one character more is another rule: ${other.sentence}`)
    t.notOk(other.invalid)

    // min-packets reads the counters: nothing has hit these rules.
    const counted = await runCheck(check('filter DOCKER-USER -s 10.1.0.0/16 -j DROP min-packets=1', false, 1000), ctx)
    t.notOk(counted.ok, counted.sentence)
    t.match(counted.sentence, /counted 0 packets, not at least 1$/)
    const zero = await runCheck(check('filter DOCKER-USER -s 10.1.0.0/16 -j DROP min-packets=0', false), ctx)
    t.ok(zero.ok, zero.sentence)
  })
}
