import t from 'tap'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSandbox } from '../../runner/host/sandbox.js'
import type { Container, Topology } from '../../runner/lab/lab.js'
import { machineState } from '../helpers/machine-state.js'
import { sandboxProcesses, stillRunning } from '../helpers/namespace-traces.js'
import { saveTables as tables } from '../helpers/save-tables.js'

const docker0 = { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' }
const box = (name: string, ip: string, extra: Partial<Container> = {}): Container => ({ name, ip, publish: [], line: 0, ...extra })
const dockerTopology = (containers: Container[], internet = true): Topology => ({ docker: true, bridge: docker0, containers, internet })

const fixture = (f: string) => tables(readFileSync(new URL(`../fixtures/docker-20.10/${f}`, import.meta.url), 'utf8'))

t.test('docker: true installs exactly what Docker 20.10 installs', async (t) => {
  const fresh = await createSandbox({ topology: dockerTopology([], false) })
  t.teardown(() => fresh.stop())
  const got = await fresh.exec({ machine: 'host', script: 'iptables-save' })
  t.equal(got.exitCode, 0, got.stderr)
  const want = fixture('iptables-save.fresh.nft.txt')
  t.same([...tables(got.stdout).keys()].sort(), [...want.keys()].sort(), 'same tables')
  for (const [table, rules] of want) t.equal(tables(got.stdout).get(table), rules, `${table} table equals the fixture`)
  const sys = await fresh.exec({ machine: 'host', script: 'cat /proc/sys/net/ipv4/ip_forward; ip -o -4 addr show docker0' })
  t.match(sys.stdout, /^1\n/, 'ip_forward is on')
  t.match(sys.stdout, /docker0\s+inet 172\.17\.0\.1\/16/, 'docker0 has 172.17.0.1/16')
})

t.test('publish adds exactly the rules of docker run -p 8080:80', async (t) => {
  const sb = await createSandbox({
    topology: dockerTopology([box('box1', '172.17.0.2', { publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }] })], false),
  })
  t.teardown(() => sb.stop())
  const got = tables((await sb.exec({ machine: 'host', script: 'iptables-save' })).stdout)
  for (const [table, rules] of fixture('iptables-save.publish-8080-80.nft.txt')) t.equal(got.get(table), rules, `${table} equals the fixture`)
})

t.test('the same under iptables-legacy', async (t) => {
  const sb = await createSandbox({
    topology: dockerTopology([box('box1', '172.17.0.2', { publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }] })], false),
    iptables: 'legacy',
  })
  t.teardown(() => sb.stop())
  const r = await sb.exec({ machine: 'host', script: 'iptables -V; iptables-save' })
  t.match(r.stdout, /legacy/, 'iptables is the legacy back end inside')
  const got = tables(r.stdout)
  for (const [table, rules] of fixture('iptables-save.publish-8080-80.legacy.txt')) t.equal(got.get(table), rules, `${table} equals the legacy fixture`)
})

t.test('containers, internet and names as the lab format says', async (t) => {
  const sb = await createSandbox({ topology: dockerTopology([box('box1', '172.17.0.2'), box('box2', '172.17.0.3')]) })
  t.teardown(() => sb.stop())
  const host = await sb.exec({ machine: 'host', script: 'ip netns list; ip -o link show type veth; ip route; getent hosts box2 internet host' })
  t.equal(host.exitCode, 0, host.stderr)
  t.match(host.stdout, /^box2.*\nbox1/m, 'ip netns list shows exactly the containers')
  t.notMatch(host.stdout, /^internet/m, 'internet is not a container')
  t.match(host.stdout, /veth[0-9a-f]{7}@if\d+: .*master docker0.*link-netns box1/, 'Docker-like veth names, ports of docker0, peers in box1')
  t.match(host.stdout, /default via 198\.51\.100\.1 dev eth0/, 'the lab host routes to internet')
  t.match(host.stdout, /172\.17\.0\.3\s+box2/, 'box2 resolves')
  t.match(host.stdout, /203\.0\.113\.10\s+internet/, 'internet resolves')
  const b1 = await sb.exec({ machine: 'box1', script: 'ip -o -4 addr show eth0; ip route; ip link show eth0; ping -c1 -W1 box2 >/dev/null && echo box2-ok; ping -c1 -W1 internet >/dev/null && echo internet-ok' })
  t.match(b1.stdout, /eth0\s+inet 172\.17\.0\.2\/16/)
  t.match(b1.stdout, /default via 172\.17\.0\.1 dev eth0/)
  t.match(b1.stdout, /link\/ether 02:42:ac:11:00:02/, "Docker's MAC")
  t.match(b1.stdout, /box2-ok/, 'box1 pings box2 over the bridge')
  t.match(b1.stdout, /internet-ok/, 'box1 reaches internet through SNAT')
  const inet = await sb.exec({ machine: 'internet', script: 'ip -o -4 addr; ip route' })
  t.match(inet.stdout, /eth0\s+inet 198\.51\.100\.1\/24/)
  t.match(inet.stdout, /lo\s+inet 203\.0\.113\.10\/32/)
  t.notMatch(inet.stdout, /172\.17/, 'internet has no route back to the bridge')
  const flushed = await sb.exec({ machine: 'host', script: 'iptables -t nat -F' })
  t.equal(flushed.exitCode, 0)
  const noSnat = await sb.exec({ machine: 'box1', script: 'ping -c1 -W1 internet' })
  t.not(noSnat.exitCode, 0, 'without MASQUERADE box1 cannot reach internet')
})

t.test('a container command runs in the background in the container', async (t) => {
  const sb = await createSandbox({
    topology: dockerTopology([box('web', '172.17.0.2', { command: 'mkdir -p /tmp/www && echo hello-web > /tmp/www/index.html && exec busybox httpd -f -p 80 -h /tmp/www' })]),
  })
  t.teardown(() => sb.stop())
  const r = await sb.exec({ machine: 'host', script: 'for i in $(seq 50); do curl -s -m1 http://172.17.0.2/ && exit 0; sleep 0.05; done; exit 1' })
  t.equal(r.stdout.trim(), 'hello-web')
})

t.test('exec: exit code, output, duration, env, timeout', async (t) => {
  const sb = await createSandbox({ topology: { docker: false, containers: [], internet: false } })
  t.teardown(() => sb.stop())
  const r = await sb.exec({ machine: 'host', script: 'echo out; echo err >&2; echo $GREETING; exit 3', env: { GREETING: 'hi' } })
  t.equal(r.exitCode, 3)
  t.equal(r.stdout, 'out\nhi\n')
  t.equal(r.stderr, 'err\n')
  t.match(r.output, /out\n(err\nhi|hi\nerr)\n/)
  t.ok(r.durationMs > 0 && r.durationMs < 5000)
  const pipefail = await sb.exec({ machine: 'host', script: 'false | true' })
  t.equal(pipefail.exitCode, 1, 'pipefail')
  const slow = await sb.exec({ machine: 'host', script: 'sleep 5 & sleep 5; echo never', timeoutMs: 300 })
  t.ok(slow.timedOut, 'timed out')
  t.ok(slow.durationMs < 2000, `ended at once (${slow.durationMs} ms)`)
  const bg = await sb.exec({ machine: 'host', script: 'sleep 30 & echo started' })
  t.equal(bg.stdout, 'started\n', 'a background child holding stdout does not hang the step')
  t.ok(bg.durationMs < 2000)
})

t.test('the lab cannot touch the machine: network, files, mounts', async (t) => {
  const before = machineState()
  const sb = await createSandbox({ topology: dockerTopology([box('box1', '172.17.0.2')]) })
  const r = await sb.exec({
    machine: 'host',
    script: [
      'iptables -t nat -F',
      'iptables -t filter -F',
      'iptables -t filter -X',
      'iptables -P FORWARD DROP',
      'ip link del docker0',
      'echo owned > /etc/nslab-test-file',
      'echo owned > /usr/nslab-test-file',
      'rm -f /etc/hostname',
      'sysctl -w net.ipv4.ip_forward=0',
      'ip link add v0 type veth peer name v1',
      'ip netns add extra',
    ].join('\n'),
  })
  t.equal(r.exitCode, 0, r.output)
  const inside = await sb.exec({ machine: 'host', script: 'cat /etc/nslab-test-file /usr/nslab-test-file' })
  t.equal(inside.stdout, 'owned\nowned\n', 'writes are visible inside the sandbox')
  await sb.stop()
  let real = ''
  try {
    real = readFileSync('/etc/nslab-test-file', 'utf8')
  } catch {
    // as it should be
  }
  t.equal(real, '', '/etc was not written')
  t.throws(() => readFileSync('/usr/nslab-test-file'), '/usr was not written')
  t.doesNotThrow(() => readFileSync('/etc/hostname'), '/etc/hostname is still there')
  t.same(machineState(), before, "the machine's iptables, links, addresses, routes, netns and mounts are unchanged")
})

t.test("a lab cannot write the machine's own files, devices or kernel settings", async (t) => {
  // A root-owned folder the lab host shows (behind its overlay of /opt).
  const dir = mkdtempSync('/opt/.nslab-guard-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  chmodSync(dir, 0o755)
  const file = join(dir, 'precious.txt')
  writeFileSync(file, 'keep me\n', { mode: 0o644 })
  // Readable by the root group only: a process that kept root's supplementary groups could read it.
  const groupFile = join(dir, 'group-only.txt')
  writeFileSync(groupFile, 'group secret\n', { mode: 0o640 })
  chmodSync(groupFile, 0o640)
  const sb = await createSandbox({ topology: dockerTopology([], false) })
  t.teardown(() => sb.stop())
  const r = await sb.exec({
    machine: 'host',
    script: [
      `cat ${file}`,
      `echo owned > ${file} && echo WROTE-FILE`,
      'echo 1 > /proc/sys/vm/drop_caches && echo WROTE-PROC-SYS',
      '[ -w /sys/power/state ] && echo SYS-WRITABLE',
      'for d in /dev/vda /dev/sda /dev/nvme0n1 /dev/mem /dev/kmsg /dev/console; do [ -e $d ] && echo DEVICE-PRESENT $d; done',
      'echo leak > /dev/shm/nslab-guard-leak && echo shm-is-private',
      'echo 1 > /proc/sys/net/ipv4/ip_forward && echo net-sysctl-ok',
      `cat ${groupFile} && echo READ-GROUP-FILE`,
      'grep "^Groups:" /proc/self/status',
      'id -u',
      'true',
    ].join('; '),
  })
  t.notMatch(r.output, /WROTE-FILE|WROTE-PROC-SYS|SYS-WRITABLE|DEVICE-PRESENT|READ-GROUP-FILE|group secret/, r.output)
  t.match(r.stdout, /^keep me$/m, 'the lab host shows the machine\'s system folders')
  t.match(r.stdout, /^Groups:\s*$/m, 'no supplementary groups (root\'s are dropped)')
  t.match(r.stdout, /shm-is-private/, '/dev/shm is the sandbox\'s own')
  t.match(r.stdout, /net-sysctl-ok/, 'the sandbox\'s own network sysctls are writable')
  t.match(r.stdout, /^0$/m, 'steps run as root of the sandbox')
  t.equal(readFileSync(file, 'utf8'), 'keep me\n', 'the file is intact')
  t.throws(() => readFileSync('/dev/shm/nslab-guard-leak'), 'nothing landed in the machine\'s /dev/shm')
  // Users' folders, the checkout and other machine folders are not in the lab host at all.
  const here = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')
  const seen = await sb.exec({ machine: 'host', script: `for d in /home /root /mnt /media; do [ -z "$(ls -A $d)" ] || echo NOT-EMPTY $d; done; ls -d ${here} 2>&1; true` })
  t.notMatch(seen.output, /NOT-EMPTY/, `nothing of the machine's home, /root, /mnt or /media: ${seen.output}`)
  t.match(seen.output, new RegExp(`cannot access '${here}'`), 'the checkout is not there')
})

t.test('stop() ends every process and namespace of the sandbox', async (t) => {
  const sb = await createSandbox({ topology: dockerTopology([box('box1', '172.17.0.2', { command: 'sleep 1000' })]) })
  await sb.exec({ machine: 'box1', script: 'setsid sleep 1000 >/dev/null 2>&1 < /dev/null & nohup sleep 1000 >/dev/null 2>&1 &' })
  const procs = sandboxProcesses(sb.pid)
  t.ok(procs.length >= 4, 'its processes are found by namespace')
  const t0 = performance.now()
  await sb.stop()
  t.ok(performance.now() - t0 < 2000, 'teardown is quick')
  t.same(stillRunning(procs), [], 'nothing of it is left')
  t.notOk(sb.alive())
})

t.test('20 sandboxes with the same names at once, each pinging its own box2', async (t) => {
  const before = machineState()
  const boxes = await Promise.all(
    Array.from({ length: 20 }, () => createSandbox({ topology: dockerTopology([box('box1', '172.17.0.2'), box('box2', '172.17.0.3')], false) })),
  )
  try {
    // Each box2 gets a mark of its own sandbox; box1 must see only its own.
    const results = await Promise.all(
      boxes.map(async (sb, i) => {
        await sb.exec({ machine: 'box2', script: `ip addr add 10.99.${i}.1/32 dev lo` })
        const ping = await sb.exec({ machine: 'box1', script: 'for i in 1 2 3; do ping -c1 -W1 box2 >/dev/null && break; done && echo ok || { ip neigh; ip -br link; ip -br addr; ping -c1 -W1 172.17.0.3; }' })
        if (ping.stdout.trim() !== 'ok') t.comment(`sandbox ${i}: ${JSON.stringify(ping)} alive=${sb.alive()}`)
        const mark = await sb.exec({ machine: 'box2', script: 'ip -o -4 addr show lo | grep -c 10.99' })
        return { ok: ping.stdout.trim() === 'ok', marks: mark.stdout.trim() }
      }),
    )
    t.same(
      results.map((r) => r.ok),
      Array(20).fill(true),
      'every box1 pings its box2',
    )
    t.same(
      results.map((r) => r.marks),
      Array(20).fill('1'),
      'no sandbox sees another one',
    )
  } finally {
    await Promise.all(boxes.map((b) => b.stop()))
  }
  t.same(machineState(), before, 'the machine is unchanged')
})

t.test('a persistent sandbox outlives its handle and ends on stop()', async (t) => {
  const sb = await createSandbox({ topology: dockerTopology([box('box1', '172.17.0.2')], false), persistent: true })
  const { attachSandbox } = await import('../../runner/host/sandbox.js')
  const again = attachSandbox(sb.handle())
  const r = await again.exec({ machine: 'box1', script: 'ping -c1 -W1 host >/dev/null && echo ok' })
  t.equal(r.stdout, 'ok\n')
  const procs = sandboxProcesses(sb.pid)
  t.ok(procs.length >= 2)
  await again.stop()
  t.same(stillRunning(procs), [], 'nothing left')
})
