// What nft prints, read back: its JSON (parse-nft-json), its listing of a
// chain (parse-nft-list), what makes two rules the same (nft-rule-key) and
// nft's own words for a rule it refuses. All on outputs captured in a lab host
// by test/fixtures/checks/capture-nft.sh (nft 1.0.6, iptables-nft 1.8.9).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseNftJson, type NftJson, type NftRule } from '../../checks/parse-nft-json.js'
import { parseNftList } from '../../checks/parse-nft-list.js'
import { nftHasCounter, nftHasXt, nftPackets, nftRuleKey } from '../../checks/nft-rule-key.js'
import { errorOf } from '../../checks/look-up-nft.js'

interface Capture {
  command: string
  exitCode: number
  stdout: string
  stderr: string
}
const cap = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/checks/${name}.json`, import.meta.url), 'utf8')) as Capture
const json = (name: string): NftJson => {
  const j = parseNftJson(cap(name).stdout)
  if ('error' in j) throw new Error(`${name}: ${j.error}`)
  return j
}
const rule = (j: NftJson, chain: string, i: number): NftRule => j.rules.filter((r) => r.chain === chain)[i]!

t.test("a native table: chains with their hooks, rules, sets and maps", async (t) => {
  const j = json('nft-json-table-lab')
  t.equal(j.version, '1.0.6')
  t.same(j.tables, [{ family: 'ip', name: 'lab', handle: 1 }])
  t.same(
    j.chains.map((c) => [c.name, c.type, c.hook, c.prio, c.policy]),
    [
      ['postrouting', 'nat', 'postrouting', 100, 'accept'],
      ['prerouting', 'nat', 'prerouting', -100, 'accept'],
      ['forward', 'filter', 'forward', 0, 'drop'],
      ['web', undefined, undefined, undefined, undefined],
    ],
    'a regular chain has no type, hook, priority or policy',
  )
  t.same(j.others.map((o) => o.kind), ['set', 'map'])
  t.same(
    j.rules.map((r) => [r.chain, r.handle]),
    [['postrouting', 7], ['postrouting', 8], ['prerouting', 9], ['forward', 10], ['forward', 11], ['forward', 13], ['forward', 14], ['forward', 15], ['web', 16]],
  )
  t.equal(rule(j, 'forward', 2).comment, 'web out')
  t.equal(nftPackets(rule(j, 'postrouting', 0)), 1, 'box1 pinged out through the masquerade before the capture')
  t.equal(nftPackets(rule(j, 'postrouting', 1)), undefined, 'no counter: nothing counted')
  t.notOk(j.rules.some(nftHasXt), 'nft wrote it all: no x_tables')
})

t.test("iptables-nft's tables: their targets and some matches are x_tables, counted natively", async (t) => {
  const nat = json('nft-json-table-iptables-nat')
  t.same(nat.chains.map((c) => c.name), ['POSTROUTING', 'DOCKER', 'PREROUTING'])
  const masq = rule(nat, 'POSTROUTING', 0)
  t.ok(nftHasXt(masq), 'MASQUERADE is an xt target: its JSON is a name only')
  t.same(masq.expr.at(-1), { xt: { type: 'target', name: 'MASQUERADE' } })
  t.ok(nftHasCounter(masq), 'iptables always counts')
  t.equal(nftPackets(masq), 1)
  const filter = json('nft-json-table-iptables-filter')
  t.same(filter.rules.map(nftHasXt), [true, true, false], 'conntrack and multiport are x_tables; -s and --dport are native')
})

t.test('what is no JSON of nft', async (t) => {
  t.match(parseNftJson(cap('nft-json-table-missing').stdout + cap('nft-json-table-missing').stderr), { error: /^not nft's JSON: Error: No such file or directory/ })
  t.match(parseNftJson(''), { error: 'nft printed nothing' })
  t.match(parseNftJson('{"nftables": [{"rule": {"family": "ip"}}]}'), { error: /without a family or a handle/ })
  t.match(parseNftJson('{"nftables": [{"rule": {"family": "ip", "table": "t", "chain": "c", "handle": 2}}]}'), { error: /without a table, a chain or expressions/ })
  t.match(parseNftJson('{"nftables": [1]}'), { error: /not an object/ })
  t.match(parseNftJson('{"nftables": [{"a": {}, "b": {}}]}'), { error: /of 2 kinds/ })
  t.match(parseNftJson('{"nftables": [{"table": '), { error: /does not parse/ })
  const warned = parseNftJson(`# Warning: table ip nat is managed by iptables-nft, do not touch!\n${cap('nft-json-table-iptables-nat').stdout}`)
  t.notOk('error' in warned, 'a warning beside the JSON is no part of it')
})

t.test('nft -a list chain: the declaration, each rule with its handle and counter', async (t) => {
  const post = parseNftList(cap('nft-list-chain-postrouting').stdout)
  t.equal(post.declaration, 'type nat hook postrouting priority srcnat; policy accept;')
  t.same(post.rules, [
    { handle: 7, text: 'ip saddr 192.168.50.0/24 oifname != "br0" counter packets 1 bytes 84 masquerade', bare: 'ip saddr 192.168.50.0/24 oifname != "br0" counter masquerade', packets: 1 },
    { handle: 8, text: 'ip saddr 10.1.0.0/16 snat to 198.51.100.2', bare: 'ip saddr 10.1.0.0/16 snat to 198.51.100.2' },
  ])
  const fwd = parseNftList(cap('nft-list-chain-forward').stdout)
  t.equal(fwd.declaration, 'type filter hook forward priority filter; policy drop;')
  t.same(
    fwd.rules.map((r) => [r.handle, r.bare]),
    [
      [10, 'ct state established,related accept'],
      [11, 'icmp type echo-request counter accept'],
      [13, 'ip saddr @allowed tcp dport { 80, 443 } counter accept comment "web out"'],
      [14, 'tcp dport vmap @ports'],
      [15, 'iifname "eth0" jump web'],
    ],
  )
  const ipt = parseNftList(cap('nft-list-chain-iptables-postrouting').stdout)
  t.same(
    ipt.rules.map((r) => r.bare),
    ['oifname != "br0" ip saddr 192.168.50.0/24 counter masquerade', 'ip saddr 10.2.0.0/16 counter snat to 198.51.100.2'],
    "x_tables targets as nft prints them: iptables' translation",
  )
  t.equal(parseNftList(cap('nft-list-chain-iptables-forward').stdout).rules[1]!.text, 'meta l4proto tcp  tcp dport { 80, 443 } counter packets 0 bytes 0 accept', 'its spacing kept')
  // The chain listed, flushed, listed again: a regular chain, then empty.
  const [before, after] = cap('nft-list-chain-empty').stdout.split(/(?<=^}\n)/m)
  t.same(parseNftList(before!).rules.map((r) => r.bare), ['ip daddr 192.168.50.3 tcp dport 80 accept'])
  t.equal(parseNftList(before!).declaration, undefined, 'a regular chain has no declaration')
  t.same(parseNftList(after!).rules, [])
  t.same(parseNftList(cap('nft-list-chain-missing').stdout).rules, [])
  // A comment that holds a newline: nft prints it as it is, and the rule is all its lines.
  const split = parseNftList('table ip lab {\n\tchain c { # handle 1\n\t\tdrop comment "x\n\t\ttcp dport 9 accept comment "x" # handle 2\n\t}\n}\n')
  t.same(split.rules.map((r) => [r.handle, r.text]), [[2, 'drop comment "x\ntcp dport 9 accept comment "x"']])
})

t.test('the same rule: matches in any order, counters and comments only when asked, sets unordered', async (t) => {
  const j = json('nft-json-table-lab')
  const masq = rule(j, 'postrouting', 0)
  const all = { counters: true, comment: true }
  const none = { counters: false, comment: false }
  const swapped: NftRule = { ...masq, expr: [masq.expr[1], masq.expr[0], ...masq.expr.slice(2)] }
  t.equal(nftRuleKey(swapped, all), nftRuleKey(masq, all), 'two matches swapped: the same rule')
  const counted: NftRule = { ...masq, expr: masq.expr.map((e) => (JSON.stringify(e).startsWith('{"counter"') ? { counter: { packets: 99, bytes: 9999 } } : e)) }
  t.equal(nftRuleKey(counted, all), nftRuleKey(masq, all), 'counter values are traffic, not the rule')
  const uncounted: NftRule = { ...masq, expr: masq.expr.filter((e) => !JSON.stringify(e).startsWith('{"counter"')) }
  t.not(nftRuleKey(uncounted, all), nftRuleKey(masq, all), 'a counter asked for: a rule without one differs')
  t.equal(nftRuleKey(uncounted, none), nftRuleKey(masq, none), 'not asked for: counters left out on both sides')
  const moved: NftRule = { ...masq, expr: [masq.expr[0], masq.expr[2], masq.expr[1], masq.expr[3]] }
  t.not(nftRuleKey(moved, all), nftRuleKey(masq, all), 'a counter before a match counts other packets: another rule')
  const other = rule(j, 'postrouting', 1)
  t.not(nftRuleKey(other, none), nftRuleKey(masq, none))
  const statementsSwapped: NftRule = { ...masq, expr: [masq.expr[0], masq.expr[1], masq.expr[3], masq.expr[2]] }
  t.not(nftRuleKey(statementsSwapped, all), nftRuleKey(masq, all), 'statements keep their order')

  const web = rule(j, 'forward', 2)
  t.ok(JSON.stringify(web.expr).includes('{"set":[80,443]}'), 'the capture has the set { 80, 443 }')
  const reversedSet = JSON.parse(JSON.stringify(web).replace('{"set":[80,443]}', '{"set":[443,80]}')) as NftRule
  t.equal(nftRuleKey(reversedSet, all), nftRuleKey(web, all), 'a set has no order')
  t.not(nftRuleKey({ ...web, comment: 'web in' }, all), nftRuleKey(web, all), 'a comment asked for is compared')
  t.equal(nftRuleKey({ ...web, comment: 'web in' }, none), nftRuleKey(web, none), 'and left out when not')
  const keyed = JSON.parse(JSON.stringify(masq.expr[0])) as Record<string, unknown>
  const reordered: NftRule = { ...masq, expr: [Object.fromEntries(Object.entries(keyed).reverse()), ...masq.expr.slice(1)] }
  t.equal(nftRuleKey(reordered, all), nftRuleKey(masq, all), "JSON objects' key order is no part of the rule")
})

t.test("nft's words for a rule it refuses", async (t) => {
  t.equal(errorOf(cap('nft-reject-syntax').stderr), 'syntax error, unexpected newline')
  t.equal(errorOf(cap('nft-reject-hook').stderr), 'Could not process rule: Operation not supported')
  t.equal(errorOf(cap('nft-reject-jump').stderr), 'Could not process rule: No such file or directory')
  t.equal(errorOf('some other words\nand more'), 'some other words')
})
