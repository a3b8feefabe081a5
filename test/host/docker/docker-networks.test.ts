// engine: docker with the lab's own Docker networks: `docker network create`,
// `docker run --network … --ip …`, `docker network connect`, and publish with a
// host address or /udp, made by the real dockerd — and the rules it writes are
// the ones nslab's own lab host writes for the same topology.
import t from 'tap'
import { createDockerLabHost } from '../../../runner/host/docker/docker-engine.js'
import { createSandbox, type Sandbox } from '../../../runner/host/sandbox.js'
import { parseLab } from '../../../runner/lab/parse-lab.js'
import { networkBridgeName } from '../../../runner/lab/build-topology.js'
import type { Topology } from '../../../runner/lab/lab.js'
import { dockerSkip } from '../../helpers/docker-engine.js'

const skip = dockerSkip()

function topologyOf(yaml: string): Topology {
  const text = `---\ntitle: t\ntopology:\n  docker: true\n${yaml}---\n\n\`\`\`sh step\ntrue\n\`\`\`\n`
  const r = parseLab(Buffer.from(text), 'networks.md')
  if (!r.lab) throw new Error(JSON.stringify(r.problems))
  return r.lab.topology
}

async function rules(sb: Sandbox, table: string): Promise<string[]> {
  const r = await sb.look({ machine: 'host', script: `iptables-save -t ${table}`, timeoutMs: 10_000 })
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
}

t.test('networks, a container on two, publish variants: the real dockerd writes what nslab writes', { skip }, async (t) => {
  const topology = topologyOf(
    [
      '  networks:',
      '    front:',
      '    back: {subnet: 10.20.0.0/24, icc: false}',
      '  containers:',
      '    box1: {publish: ["127.0.0.1:8080:80"]}',
      '    box2: {publish: ["5353:53/udp"], ip: 172.17.0.5}',
      '    web: {networks: [front], publish: ["8081:80"]}',
      '    both: {networks: [front, back], ip: 172.18.0.9}',
      '    db: {networks: [back]}',
      '',
    ].join('\n'),
  )
  const sb = await createDockerLabHost({ topology, name: 'docker-networks' })
  t.teardown(() => sb.stop())
  const netns = await createSandbox({ topology, name: 'netns-networks' })
  t.teardown(() => netns.stop())
  for (const table of ['nat', 'filter']) {
    t.same(await rules(sb, table), await rules(netns, table), `the ${table} table is the same on both engines`)
  }
  const nets = await sb.exec({ machine: 'host', script: "docker network ls --format '{{.Name}}' | sort; ip -br link show type bridge", timeoutMs: 10_000 })
  t.match(nets.stdout, /^back\nbridge\nfront\nhost\nnone\n/, 'Docker knows the two networks')
  t.match(nets.stdout, networkBridgeName('front'), "front's bridge has the name nslab gives it")
  for (const [machine, want] of [
    ['both', /eth0\s+inet 172\.18\.0\.9\/16.*\n.*eth1\s+inet 10\.20\.0\.2\/24/s],
    ['db', /eth0\s+inet 10\.20\.0\.3\/24/],
    ['web', /eth0\s+inet 172\.18\.0\.2\/16/],
    ['box2', /eth0\s+inet 172\.17\.0\.5\/16/],
  ] as const) {
    for (const host of [sb, netns]) {
      const a = await host.look({ machine, script: 'ip -o -4 addr show scope global; ip route', timeoutMs: 10_000 })
      t.match(a.stdout, want, `${machine}'s addresses (${host === sb ? 'docker' : 'netns'})`)
      if (machine === 'both') t.match(a.stdout, /^default via 10\.20\.0\.1 dev eth1/m, `both's default route is back's (${host === sb ? 'docker' : 'netns'})`)
    }
  }
})

t.test('icc: false is dockerd --icc=false: docker0 drops what stays on it, on both engines alike', { skip }, async (t) => {
  const topology = topologyOf('  icc: false\n  networks: [front]\n  containers: [box1, box2]\n')
  const sb = await createDockerLabHost({ topology, name: 'docker-icc' })
  t.teardown(() => sb.stop())
  const netns = await createSandbox({ topology, name: 'netns-icc' })
  t.teardown(() => netns.stop())
  t.same(await rules(sb, 'filter'), await rules(netns, 'filter'), 'the filter table is the same on both engines')
  t.ok((await rules(sb, 'filter')).includes('-A FORWARD -i docker0 -o docker0 -j DROP'), "dockerd's own DROP for docker0")
  for (const host of [sb, netns]) {
    const r = await host.look({ machine: 'box1', script: 'ping -c 1 -W 1 172.17.0.3', timeoutMs: 10_000 })
    t.not(r.exitCode, 0, `box1 cannot ping box2 (${host === sb ? 'docker' : 'netns'})`)
  }
})
