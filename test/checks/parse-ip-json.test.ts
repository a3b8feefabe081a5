import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseIpAddr } from '../../checks/parse-ip-addr.js'
import { parseIpLink } from '../../checks/parse-ip-link.js'
import { parseIpRoute } from '../../checks/parse-ip-route.js'
import { parseNetnsList } from '../../checks/parse-netns-list.js'
import { parseSysctl } from '../../checks/parse-sysctl.js'

const cap = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/checks/${name}.json`, import.meta.url), 'utf8')) as { stdout: string; stderr: string; exitCode: number }
const out = (name: string) => readFileSync(new URL(`../fixtures/outputs/${name}`, import.meta.url), 'utf8')

t.test('ip -j addr: a container eth0', async (t) => {
  const [e] = parseIpAddr(cap('ip-addr-box1-eth0').stdout)
  t.equal(e!.ifname, 'eth0')
  t.same(e!.addresses.filter((a) => a.family === 'inet'), [{ family: 'inet', local: '172.17.0.2', prefixlen: 16 }])
  t.ok(e!.addresses.some((a) => a.family === 'inet6'), 'IPv6 link-local kept apart by family')
})

t.test('ip -j addr: the host, every interface', async (t) => {
  const all = parseIpAddr(cap('ip-addr-host').stdout)
  const by = new Map(all.map((e) => [e.ifname, e]))
  t.same(by.get('docker0')!.addresses.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['172.17.0.1/16'])
  t.same(by.get('eth0')!.addresses.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['198.51.100.2/24'])
  t.equal(by.get('veth2222222')!.master, 'docker0')
  const other = parseIpAddr(out('box1.ip-j-addr-eth0.stdout'))
  t.equal(other[0]!.addresses.find((a) => a.family === 'inet')!.local, '172.17.0.2')
})

t.test('ip -j addr: a missing interface prints nothing on stdout', async (t) => {
  const c = cap('ip-addr-missing')
  t.equal(c.exitCode, 1)
  t.same(parseIpAddr(c.stdout), [])
  t.match(c.stderr, /Device "eth9" does not exist/)
})

t.test('ip -j link: master of a veth, none for the bridge itself', async (t) => {
  t.equal(parseIpLink(cap('ip-link-veth').stdout)[0]!.master, 'docker0')
  t.equal(parseIpLink(cap('ip-link-docker0').stdout)[0]!.master, undefined)
  const d = parseIpLink(out('ip-j-d-link-bridge.stdout'))
  t.equal(d[0]!.kind, 'bridge', 'with -d the kind is read')
  const masters = parseIpLink(out('ip-j-link.stdout')).filter((l) => l.master === 'docker0').map((l) => l.ifname)
  t.same(masters.sort(), ['vetha1b2c31', 'vetha1b2c32'])
})

t.test('ip -j route show and route get', async (t) => {
  const routes = parseIpRoute(cap('ip-route-box1').stdout)
  t.same(routes.map((r) => [r.dst, r.gateway ?? null, r.dev]), [['default', '172.17.0.1', 'eth0'], ['172.17.0.0/16', null, 'eth0']])
  const get = parseIpRoute(cap('ip-route-get-box1').stdout)
  t.equal(get[0]!.gateway, '172.17.0.1')
  t.equal(get[0]!.dst, '203.0.113.10')
  t.equal(parseIpRoute(cap('ip-route-get-local').stdout)[0]!.gateway, undefined, 'on-link: no gateway')
  const host = parseIpRoute(cap('ip-route-host').stdout)
  t.ok(host.some((r) => r.dst === 'default' && r.gateway === '198.51.100.1'))
  t.ok(parseIpRoute(out('box1.ip-j-route.stdout')).some((r) => r.dst === 'default' && r.gateway === '172.17.0.1'))
})

t.test('multipath routes: every next hop', async (t) => {
  const r = parseIpRoute('[{"dst":"10.0.0.0/8","flags":[],"nexthops":[{"gateway":"172.17.0.2","dev":"docker0","weight":1,"flags":[]},{"gateway":"172.17.0.3","dev":"docker0","weight":1,"flags":[]}]}]')
  t.same(r[0]!.nexthops.map((h) => h.gateway), ['172.17.0.2', '172.17.0.3'])
})

t.test('not JSON is an error, empty output is an empty list', async (t) => {
  t.throws(() => parseIpRoute('default via 172.17.0.1 dev eth0'))
  t.same(parseIpRoute(''), [])
})

t.test('ip netns list, with and without ids', async (t) => {
  t.same(parseNetnsList(cap('ip-netns-list').stdout), ['internet', 'box2', 'box1'])
  t.same(parseNetnsList(cap('ip-netns-list-empty').stdout), [])
  t.same(parseNetnsList(out('ip-netns-list-noid.stdout')), ['lonely', 'internet', 'box2', 'box1'], 'a namespace without id')
})

t.test('sysctl values', async (t) => {
  t.equal(parseSysctl(cap('sysctl-ip-forward').stdout), '1')
  t.equal(parseSysctl(cap('sysctl-port-range').stdout), '32768 60999', 'a tab becomes one space')
  t.equal(parseSysctl(cap('sysctl-missing').stdout), undefined)
  t.equal(parseSysctl(out('sysctl-ip-forward-named.stdout')), '1', '"key = value" form')
})
