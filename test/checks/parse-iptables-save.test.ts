import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseIptablesSave } from '../../checks/parse-iptables-save.js'

const cap = (name: string) => (JSON.parse(readFileSync(new URL(`../fixtures/checks/${name}.json`, import.meta.url), 'utf8')) as { stdout: string }).stdout
const file = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8')

for (const backend of ['nft', 'legacy']) {
  t.test(`${backend}: docker's nat table with counters`, async (t) => {
    const s = parseIptablesSave(cap(`iptables-save-${backend}-nat`))
    t.same([...s.tables.keys()], ['nat'])
    const nat = s.tables.get('nat')!
    t.same([...nat.chains.keys()], ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'DOCKER'])
    t.equal(nat.chains.get('POSTROUTING')!.policy, 'ACCEPT')
    t.equal(nat.chains.get('DOCKER')!.policy, null, 'a user-defined chain has no policy')
    const post = nat.rules.filter((r) => r.chain === 'POSTROUTING')
    t.same(
      post.map((r) => r.text),
      ['-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', '-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE'],
      'rules without counters, as iptables prints them',
    )
    t.type(post[0]!.packets, 'number', 'counters read')
    t.same(s.warnings, [])
  })
  t.test(`${backend}: filter table: FORWARD policy DROP`, async (t) => {
    const f = parseIptablesSave(cap(`iptables-save-${backend}-filter`)).tables.get('filter')!
    t.equal(f.chains.get('FORWARD')!.policy, 'DROP')
    t.equal(f.rules.filter((r) => r.chain === 'FORWARD').length, 6)
    t.equal(f.rules.filter((r) => r.chain === 'DOCKER-USER')[0]!.text, '-A DOCKER-USER -j RETURN')
  })
}

t.test('nft: counters are numbers, packets and bytes apart', async (t) => {
  const nat = parseIptablesSave(cap('iptables-save-nft-nat')).tables.get('nat')!
  const masq = nat.rules.find((r) => r.text === '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE')!
  t.ok(masq.packets! > 0, 'box1 pinged out through SNAT before the capture')
  t.ok(masq.bytes! >= masq.packets! * 20)
  const pre = nat.chains.get('PREROUTING')!
  t.ok(pre.packets! > 0, 'chain counters too')
})

t.test('several tables; an absent nft table is printed with its built-in chains', async (t) => {
  const all = parseIptablesSave(cap('iptables-save-nft-all'))
  t.same([...all.tables.keys()].sort(), ['filter', 'nat'])
  const mangle = parseIptablesSave(cap('iptables-save-nft-mangle-absent')).tables.get('mangle')!
  t.same([...mangle.chains.keys()], ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'])
  t.equal(mangle.rules.length, 0)
})

t.test('the other capture sets: docker-20.10 and outputs/', async (t) => {
  for (const f of ['docker-20.10/iptables-save.fresh.nft.txt', 'docker-20.10/iptables-save.fresh.legacy.txt', 'docker-20.10/iptables-save.publish-8080-80.nft.txt', 'docker-20.10/iptables-save-c.publish-8080-80.nft.txt', 'outputs/iptables-save-c.legacy.stdout', 'outputs/iptables-save-c.nft.stdout']) {
    const s = parseIptablesSave(file(f))
    t.ok(s.tables.get('nat')?.rules.some((r) => r.text === '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE'), `${f}: the MASQUERADE rule`)
    t.equal(s.tables.get('filter')?.chains.get('FORWARD')?.policy, 'DROP', `${f}: FORWARD DROP`)
  }
  const pub = parseIptablesSave(file('docker-20.10/iptables-save-c.publish-8080-80.nft.txt')).tables.get('nat')!
  t.ok(pub.rules.some((r) => r.text === '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80'))
})

t.test('warnings are kept apart from rules', async (t) => {
  const s = parseIptablesSave(`${file('outputs/iptables-save.nft-when-legacy-present.stderr')}# Table \`nat' is incompatible, use 'nft' tool.\n`)
  t.equal(s.tables.size, 0)
  t.equal(s.warnings.length, 2)
  t.match(s.warnings[0], /iptables-legacy tables present/)
})

t.test('quoted comments and negations stay as iptables printed them', async (t) => {
  const s = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n[3:180] -A INPUT ! -s 10.0.0.0/8 -m comment --comment "from outside" -j DROP\nCOMMIT\n')
  const r = s.tables.get('filter')!.rules[0]!
  t.equal(r.text, '-A INPUT ! -s 10.0.0.0/8 -m comment --comment "from outside" -j DROP')
  t.equal(r.packets, 3)
  t.equal(r.bytes, 180)
  t.equal(r.chain, 'INPUT')
})
