// networks:, a container's networks and the publish variants in the front
// matter: what they build, and each mistake reported at its line with what
// would be right (a did-you-mean where a name is close).
import t from 'tap'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { networkBridgeName } from '../../runner/lab/build-topology.js'

/** A lab with this topology (its lines start at line 4) and one step. */
function lab(topology: string) {
  const text = `---\ntitle: t\ntopology:\n${topology}---\n\n\`\`\`sh step\ntrue\n\`\`\`\n`
  return parseLab(Buffer.from(text), 'labs/x.md')
}
const problems = (topology: string) => lab(topology).problems.map(formatProblem)

t.test('networks, containers on them, and publish with a host address or /udp', async (t) => {
  const r = lab(
    [
      '  docker: true',
      '  networks:',
      '    front:',
      '    back: {subnet: 10.20.0.0/24, icc: false}',
      '  containers:',
      '    box1: {publish: ["127.0.0.1:8080:80", "5353:53/udp", "0.0.0.0:9090:90"]}',
      '    api: {networks: [front, back]}',
      '    db: {networks: [back], ip: 10.20.0.9}',
      '    web: {networks: [bridge, front]}',
      '',
    ].join('\n'),
  )
  t.same(r.problems, [])
  const topo = r.lab!.topology
  t.same(topo.networks, [
    { name: 'front', bridge: { name: networkBridgeName('front'), address: '172.18.0.1', prefix: 16, subnet: '172.18.0.0/16' }, icc: true, line: 6 },
    { name: 'back', bridge: { name: networkBridgeName('back'), address: '10.20.0.1', prefix: 24, subnet: '10.20.0.0/24' }, icc: false, line: 7 },
  ])
  t.match(networkBridgeName('front'), /^br-[0-9a-f]{12}$/, 'br- and 12 hex digits, as Docker names them')
  const [box1, api, db, web] = topo.containers
  t.same(box1!.publish, [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '127.0.0.1:8080:80', hostIp: '127.0.0.1' },
    { hostPort: 5353, containerPort: 53, protocol: 'udp', spec: '5353:53/udp' },
    { hostPort: 9090, containerPort: 90, protocol: 'tcp', spec: '0.0.0.0:9090:90' },
  ], '0.0.0.0 is every address: no host address')
  t.equal(box1!.networks, undefined, 'no networks: docker0 alone')
  t.equal(box1!.ip, '172.17.0.2')
  t.same(api!.networks, [{ network: 'front', ip: '172.18.0.2' }, { network: 'back', ip: '10.20.0.2' }])
  t.equal(api!.ip, '172.18.0.2', 'its ip is the one on its first network')
  t.same(db!.networks, [{ network: 'back', ip: '10.20.0.9' }])
  t.same(web!.networks, [{ network: 'bridge', ip: '172.17.0.3' }, { network: 'front', ip: '172.18.0.3' }])
})

t.test('each mistake at its line', async (t) => {
  t.same(
    problems(
      [
        '  docker: true',
        '  networks:',
        '    front:',
        '    bridge:',
        '    back: {subnet: 10.20.0.5/24, icc: false}',
        '    mid: {subnt: 10.30.0.0/24}',
        '    over: {subnet: 172.17.0.0/24}',
        '  containers:',
        '    box1: {networks: [frnt]}',
        '    box2: {networks: [front, front]}',
        '    box3: {networks: [front, bridge]}',
        '    box4: {networks: [front, mid], publish: ["8080:80"]}',
        '    box5: {publish: ["1.2.3:80:80", "81:81/tcpp", "8080"]}',
        '',
      ].join('\n'),
    ),
    [
      'labs/x.md:7: a network cannot be called "bridge": Docker has a network of that name (docker0)',
      'labs/x.md:8: the subnet of back is written with its network address, e.g. 10.20.0.0/24, not 10.20.0.5/24',
      'labs/x.md:9: unknown key "subnt" in network "mid" (did you mean "subnet"?)',
      "labs/x.md:10: the subnet of over, 172.17.0.0/24, overlaps docker0's 172.17.0.0/16: choose another",
      'labs/x.md:12: unknown network "frnt" for box1 (did you mean "front"?)',
      'labs/x.md:13: box2 is on front twice',
      "labs/x.md:14: bridge (docker0) can only be box3's first network: Docker chooses the address of a container it connects to docker0 later",
      'labs/x.md:16: bad publish "1.2.3:80:80" for box5: the host address: "1.2.3" is not an IPv4 address: write four numbers from 0 to 255 with dots, e.g. 172.17.0.2',
      'labs/x.md:16: bad publish "81:81/tcpp" for box5: the protocol is tcp or udp (did you mean "tcp"?)',
      'labs/x.md:16: bad publish "8080" for box5: write "HOST:CONTAINER" (ports, or ranges of as many ports), e.g. "8080:80", "8080:80/tcp", "53:53/udp" or "8080-8081:80-81"',
    ],
  )
  t.same(problems('  bridge: "br0 10.0.0.1/24"\n  networks: [front]\n  containers:\n    box1: {networks: [front]}\n'), [
    "labs/x.md:5: networks are Docker's user-defined bridges (docker network create), so they need docker: true in topology",
    "labs/x.md:7: networks are Docker's (docker network create), so they need docker: true in topology",
  ])
  t.same(problems('  bridge: "br0 10.0.0.1/24"\n  icc: false\n'), [
    "labs/x.md:5: icc: false is docker0's (dockerd --icc=false), so it needs docker: true; for a network of the lab's, write icc: false under that network",
  ])
  t.same(problems('  docker: true\n  icc: flase\n'), ['labs/x.md:5: topology.icc should be true or false, not "flase"'])
  t.equal(lab('  docker: true\n  icc: false\n').lab!.topology.icc, false, "icc: false is docker0's")
  t.same(problems('  docker: true\n  containers:\n    web: {publish: ["8080-8082:80", "9091-9090:91-90", "7070-7072:70-71", "6060-6061:60-61", "6061:61/udp"]}\n'), [
    'labs/x.md:6: bad publish "8080-8082:80" for web: a range of host ports for one container port lets Docker pick one of them when the container starts: write one host port, e.g. "8080:80"',
    'labs/x.md:6: bad publish "9091-9090:91-90" for web: a range goes from the lower port to the higher, e.g. "8080-8081:80-81"',
    "labs/x.md:6: bad publish \"7070-7072:70-71\" for web: the host range has 3 ports and the container's 2: give both as many",
  ], 'a range; the same host port over tcp and udp is two ports')
  t.same(
    lab('  docker: true\n  containers:\n    web: {publish: ["127.0.0.1:8080-8081:80-81/udp"]}\n').lab!.topology.containers[0]!.publish,
    [8080, 8081].map((hostPort) => ({ hostPort, containerPort: hostPort - 8000, protocol: 'udp', spec: '127.0.0.1:8080-8081:80-81/udp', hostIp: '127.0.0.1' })),
    'a range is its ports, pair by pair',
  )
  t.same(problems('  bridge: "br0 10.0.0.1/24"\n  userland-proxy: false\n'), ["labs/x.md:5: userland-proxy: false is dockerd's (--userland-proxy=false), so it needs docker: true"])
  t.same(problems('  docker: true\n  userland-proxi: false\n'), ['labs/x.md:5: unknown key "userland-proxi" in topology (did you mean "userland-proxy"?)'])
  t.equal(lab('  docker: true\n  userland-proxy: false\n').lab!.topology.userlandProxy, false)
})

t.test('a container on several networks publishes a port, as dockerd lets it', async (t) => {
  const r = lab('  docker: true\n  networks: [front, back]\n  containers:\n    box1: {networks: [front, back], publish: ["8080:80"]}\n    box2: {networks: [bridge, front], publish: ["9090:90"]}\n')
  t.same(r.problems.map(formatProblem), [], 'no problem')
  const [box1, box2] = r.lab!.topology.containers
  t.same(box1!.publish.map((p) => p.spec), ['8080:80'])
  t.same(box1!.networks, [{ network: 'front', ip: '172.18.0.2' }, { network: 'back', ip: '172.19.0.2' }])
  t.same(box2!.publish.map((p) => p.spec), ['9090:90'])
  // What dockerd refuses is still refused: one host port twice (its second docker run fails), publish without Docker.
  t.same(problems('  docker: true\n  networks: [front]\n  containers:\n    box1: {networks: [bridge, front], publish: ["8080:80"]}\n    box2: {networks: [front], publish: ["8080:80"]}\n'), [
    'labs/x.md:8: host port 8080/tcp is published twice (by box1 and box2)',
  ])
  t.same(problems('  bridge: "br0 10.0.0.1/24"\n  containers:\n    box1: {publish: ["8080:80"]}\n'), [
    "labs/x.md:6: publish adds Docker's rules, so it needs docker: true in topology",
  ])
})
