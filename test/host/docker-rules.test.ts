// User-defined networks and the publish variants on nslab's own lab host:
// the rules are the ones the real dockerd 20.10 wrote for the same commands
// (test/fixtures/docker-20.10-networks/, captured by its capture.mjs on an
// engine: docker lab host), table by table, line by line, on both iptables
// back ends; and the containers are wired as Docker wires them.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createSandbox } from '../../runner/host/sandbox.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { networkBridgeName } from '../../runner/lab/build-topology.js'
import type { Topology } from '../../runner/lab/lab.js'
import { saveTables as tables } from '../helpers/save-tables.js'

const FIXTURES = new URL('../fixtures/docker-20.10-networks/', import.meta.url)


/**
 * The capture, its bridges renamed as nslab names them: Docker's br-<id> is of an id it draws at
 * random, nslab's of the network's name (the capture's `docker network ls` says which is which).
 */
function fixture(scenario: string, backend: string): Map<string, string> {
  let save = readFileSync(new URL(`iptables-save.${scenario}.${backend}.txt`, FIXTURES), 'utf8')
  const state = readFileSync(new URL(`state.${scenario}.${backend}.txt`, FIXTURES), 'utf8')
  for (const m of state.matchAll(/^([0-9a-f]{12}) (\S+)$/gm)) save = save.replaceAll(`br-${m[1]}`, networkBridgeName(m[2]!))
  return tables(save)
}

function topologyOf(yaml: string): Topology {
  const text = `---\ntitle: t\ntopology:\n  docker: true\n${yaml}---\n\n\`\`\`sh step\ntrue\n\`\`\`\n`
  const r = parseLab(Buffer.from(text), 'scenario.md')
  if (!r.lab) throw new Error(JSON.stringify(r.problems))
  return r.lab.topology
}

/** Each captured scenario, as a lab's topology says it. */
const SCENARIOS: Record<string, string> = {
  'network-create': '  networks: [front]\n  containers:\n    box1: {networks: [front]}\n',
  'two-networks': '  networks: [front, back]\n  containers:\n    box1: {networks: [front]}\n    box2: {networks: [back]}\n',
  'container-on-two': '  networks: [front, back]\n  containers:\n    box3: {networks: [front, back]}\n',
  'publish-127.0.0.1-8080-80': '  containers:\n    web: {publish: ["127.0.0.1:8080:80"]}\n',
  'publish-8080-80-udp': '  containers:\n    web: {publish: ["8080:80/udp"]}\n',
  'publish-on-network': '  networks: [front]\n  containers:\n    web: {networks: [front], publish: ["8080:80"]}\n',
  'daemon-icc-off': '  icc: false\n  networks: [front]\n  containers: [box1, box2]\n',
  'icc-off': '  networks:\n    quiet: {icc: false}\n  containers:\n    box1: {networks: [quiet]}\n    box2: {networks: [quiet]}\n',
  // The lab's order is not dockerd's: dockerd writes them by host port, highest first.
  'publish-several': '  containers:\n    web: {publish: ["127.0.0.1:6060:60", "7070:70/udp", "8080:80", "9090:90"]}\n',
  'publish-range': '  containers:\n    web: {publish: ["8080-8081:80-81"]}\n',
  'userland-proxy-off': '  userland-proxy: false\n  containers:\n    web: {publish: ["8080:80"]}\n    web2: {publish: ["127.0.0.1:8081:80"]}\n',
  'userland-proxy-off-network': '  userland-proxy: false\n  networks: [front]\n  containers:\n    web: {networks: [front], publish: ["8080:80"]}\n',
  // A container on two networks publishes through the one whose name sorts first (docker0's is "bridge").
  'publish-bridge-and-network': '  networks: [front]\n  containers:\n    web: {networks: [bridge, front], publish: ["8080:80"]}\n',
  'publish-connect-second': '  networks: [front, back]\n  containers:\n    web: {networks: [front, back], publish: ["8080:80"]}\n',
  'publish-connect-keeps': '  networks: [front, back]\n  containers:\n    web: {networks: [back, front], publish: ["8080:80"]}\n',
  // The connect moves web's rules after api's.
  'publish-moved-order': '  networks: [admin]\n  containers:\n    web: {networks: [bridge, admin], publish: ["8080:80"]}\n    api: {publish: ["9090:90"]}\n',
}

for (const backend of ['nft', 'legacy'] as const) {
  t.test(`the rules of the real dockerd, byte for byte (${backend})`, async (t) => {
    for (const [scenario, yaml] of Object.entries(SCENARIOS)) {
      const sb = await createSandbox({ topology: topologyOf(yaml), iptables: backend, name: scenario })
      try {
        const got = tables((await sb.exec({ machine: 'host', script: 'iptables-save' })).stdout)
        const want = fixture(scenario, backend)
        t.same([...got.keys()].sort(), [...want.keys()].sort(), `${scenario}: the same tables`)
        for (const [table, rules] of want) t.equal(got.get(table), rules, `${scenario}: the ${table} table equals the capture`)
      } finally {
        await sb.stop()
      }
    }
  })
}

t.test('a container on two networks: eth0 and eth1, and the default route Docker picks', async (t) => {
  const topology = topologyOf('  networks: [front, back]\n  containers:\n    box3: {networks: [front, back]}\n    box4: {networks: [front]}\n')
  t.same(topology.networks!.map((n) => [n.name, n.bridge.subnet]), [['front', '172.18.0.0/16'], ['back', '172.19.0.0/16']], 'subnets as Docker hands them out')
  const sb = await createSandbox({ topology })
  t.teardown(() => sb.stop())
  const r = await sb.exec({ machine: 'box3', script: 'ip -o -4 addr show; ip route' })
  // What the real dockerd gave box3 for `docker run --network front` then `docker network connect back`.
  t.match(r.stdout, /eth0\s+inet 172\.18\.0\.2\/16/, 'eth0 on front, its first network')
  t.match(r.stdout, /eth1\s+inet 172\.19\.0\.2\/16/, 'eth1 on back')
  t.match(r.stdout, /^default via 172\.19\.0\.1 dev eth1/m, 'the default route via back: Docker takes the network whose name sorts first')
  const host = await sb.exec({ machine: 'host', script: `ip -br addr show ${networkBridgeName('front')}; bridge link` })
  t.match(host.stdout, new RegExp(`${networkBridgeName('front')}\\s+UP\\s+172\\.18\\.0\\.1/16`), "front's bridge has the gateway address")
  t.equal((host.stdout.match(new RegExp(`master ${networkBridgeName('front')}`, 'g')) ?? []).length, 2, 'two ports on front: box3 and box4')
  const ping = await sb.exec({ machine: 'box4', script: 'ping -c 1 -W 2 172.18.0.2' })
  t.equal(ping.exitCode, 0, 'box4 reaches box3 on front')
  const apart = await sb.exec({ machine: 'box4', script: 'ping -c 1 -W 1 172.19.0.2' })
  t.not(apart.exitCode, 0, "box4 does not reach box3's address on back: the isolation rules drop it")
})

t.test('icc off: two containers of one network cannot talk, the bridge rule drops it', async (t) => {
  const sb = await createSandbox({ topology: topologyOf('  networks:\n    quiet: {icc: false}\n  containers:\n    box1: {networks: [quiet]}\n    box2: {networks: [quiet]}\n') })
  t.teardown(() => sb.stop())
  const r = await sb.exec({ machine: 'box1', script: 'ping -c 1 -W 1 172.18.0.3' })
  const nf = await sb.exec({ machine: 'host', script: 'cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo none' })
  if (nf.stdout.trim() === '1') t.not(r.exitCode, 0, 'box1 cannot ping box2')
  else t.pass(`bridge-nf-call-iptables is ${nf.stdout.trim()} here: frames between ports of one bridge do not meet iptables`)
})

t.test('userland-proxy: false: the host reaches a published port on localhost through the DNAT alone (hairpin)', async (t) => {
  const sb = await createSandbox({ topology: topologyOf('  userland-proxy: false\n  containers:\n    web: {publish: ["8080:80"]}\n') })
  t.teardown(() => sb.stop())
  t.equal((await sb.exec({ machine: 'host', script: 'cat /proc/sys/net/ipv4/conf/docker0/route_localnet' })).stdout.trim(), '1', "docker0's route_localnet is on, as dockerd sets it")
  // busybox httpd in web serves a page; the host asks 127.0.0.1:8080, which no process on the host serves.
  await sb.exec({ machine: 'web', script: "mkdir -p /tmp/www-web && echo hello-from-web > /tmp/www-web/index.html && busybox httpd -p 80 -h /tmp/www-web" })
  let got = ''
  for (let i = 0; i < 20 && !got.includes('hello-from-web'); i++) {
    got = (await sb.exec({ machine: 'host', script: 'curl -s --max-time 2 http://127.0.0.1:8080/ || :' })).stdout
    if (!got.includes('hello-from-web')) await new Promise((r) => setTimeout(r, 250))
  }
  t.match(got, /hello-from-web/, "the host's 127.0.0.1:8080 reaches web's port 80")
  const counted = await sb.exec({ machine: 'host', script: 'iptables -t nat -L POSTROUTING -v -n -x' })
  t.match(counted.stdout, /^\s*[1-9]\d*\s+\d+\s+MASQUERADE\s+\S+\s+--\s+\*\s+docker0\s.*src-type LOCAL$/m, 'masqueraded by the --src-type LOCAL rule')
})
