// engine: docker, the lab host itself: a real dockerd in the sealed lab host,
// the topology's containers started by it, Docker's own rules — the same as
// those nslab's own lab host writes — and a teardown that leaves nothing of
// it on the machine, whatever ends it.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createDockerLabHost } from '../../../runner/host/docker/docker-engine.js'
import { containerNetns } from '../../../runner/host/docker/container-netns.js'
import { createSandbox, type Sandbox } from '../../../runner/host/sandbox.js'
import { imageCacheDir } from '../../../runner/host/docker/image-cache.js'
import { isAlive } from '../../../runner/host/exec.js'
import type { Container, Topology } from '../../../runner/lab/lab.js'
import { machineState } from '../../helpers/machine-state.js'
import { CLI, cliEnv, dockerCgroupsOf, dockerSkip, nslab, procsIn, ROOT, startNslab, until } from '../../helpers/docker-engine.js'

const skip = dockerSkip()
const dir = mkdtempSync(join(tmpdir(), 'nslab-docker-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const DOCKER0 = { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' }
const box = (name: string, ip: string, extra: Partial<Container> = {}): Container => ({ name, ip, publish: [], line: 1, ...extra })
const web = box('web', '172.17.0.3', { publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }] })

async function sh(sb: Sandbox, script: string, machine = 'host') {
  return sb.exec({ machine, script, timeoutMs: 60_000 })
}

/** iptables-save of a table as a list of lines, counters and comments away. */
async function rules(sb: Sandbox, table: string): Promise<string[]> {
  const r = await sb.look({ machine: 'host', script: `iptables-save -t ${table}`, timeoutMs: 10_000 })
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
}

t.test('the topology as real containers, with the rules nslab\'s own lab host writes', { skip }, async (t) => {
  const topology: Topology = { docker: true, bridge: DOCKER0, containers: [box('box1', '172.17.0.2'), web], internet: true }
  const sb = await createDockerLabHost({ topology, name: 'docker-topology' })
  t.teardown(() => sb.stop())
  const netns = await createSandbox({ topology, name: 'netns-topology' })
  t.teardown(() => netns.stop())
  t.ok(sb.upMs > 0, `up in ${Math.round(sb.upMs)} ms`)

  const ps = await sh(sb, "docker ps --format '{{.Names}} {{.Image}} {{.Ports}}' | sort")
  t.match(ps.stdout, /^box1 busybox \n/m, 'box1 runs, from the busybox image')
  t.match(ps.stdout, /^web busybox 0\.0\.0\.0:8080->80\/tcp/m, 'web runs with its port published')
  for (const table of ['nat', 'filter']) {
    t.same(await rules(sb, table), await rules(netns, table), `the ${table} table: Docker's rules are the ones nslab's own lab host writes`)
  }
  for (const [name, ip] of [['box1', '172.17.0.2'], ['web', '172.17.0.3']] as const) {
    const a = await sb.look({ machine: name, script: 'ip -o -4 addr show eth0; ip -o link show eth0', timeoutMs: 10_000 })
    t.match(a.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/16 `), `${name} has ${ip}, as on nslab's own lab host`)
    t.match(a.stdout, `link/ether 02:42:${ip.split('.').map((n) => Number(n).toString(16).padStart(2, '0')).join(':')}`, `${name}: Docker's MAC`)
  }
  t.same(sb.netnsNames(), ['box1', 'web'], 'the containers are named in /run/netns, as on nslab\'s own lab host')
  const ping = await sb.look({ machine: 'box1', script: 'ping -c 1 -W 2 203.0.113.10', timeoutMs: 10_000 })
  t.equal(ping.exitCode, 0, `box1 reaches the internet through Docker's MASQUERADE\n${ping.output}`)
  const step = await sh(sb, 'echo "$NSLAB_ENGINE"; ip -br addr show eth0', 'web')
  t.match(step.stdout, /^docker\neth0@\S+ +UP +172\.17\.0\.3\/16/, 'a step on=web runs in web\'s namespace, told the engine')
  const proxy = await sh(sb, "ss -Htlnp 'sport = :8080'")
  t.match(proxy.stdout, /docker-proxy/, 'docker-proxy listens on the published port')
})

t.test('addresses the topology gives: Docker hands them out in order, fillers hold those below', { skip }, async (t) => {
  const topology: Topology = { docker: true, bridge: DOCKER0, containers: [box('box1', '172.17.0.5'), box('box2', '172.17.0.2')], internet: false }
  const sb = await createDockerLabHost({ topology, name: 'docker-addresses' })
  t.teardown(() => sb.stop())
  for (const [name, ip] of [['box1', '172.17.0.5'], ['box2', '172.17.0.2']] as const) {
    const a = await sb.look({ machine: name, script: 'ip -o -4 addr show eth0', timeoutMs: 10_000 })
    t.match(a.stdout, `inet ${ip}/16 `, `${name} has ${ip}`)
  }
  const ps = await sh(sb, "docker ps -a --format '{{.Names}}' | sort")
  t.same(ps.stdout.trim().split('\n'), ['box1', 'box2'], 'the fillers are gone')
  const next = await sh(sb, "docker run -d --name c3 busybox sleep infinity >/dev/null && docker inspect -f '{{.NetworkSettings.IPAddress}}' c3")
  t.equal(next.stdout.trim(), '172.17.0.3', 'the next container gets the lowest free address, as on any Docker host')
})

t.test('a bridge of the lab\'s own: the containers on it, and no Docker rules', { skip }, async (t) => {
  const topology: Topology = { docker: false, bridge: { name: 'br0', address: '10.0.0.1', prefix: 24, subnet: '10.0.0.0/24' }, containers: [box('c1', '10.0.0.2')], internet: false }
  const sb = await createDockerLabHost({ topology, name: 'docker-own-bridge' })
  t.teardown(() => sb.stop())
  const a = await sb.look({ machine: 'c1', script: 'ip -o -4 addr show eth0; ip route', timeoutMs: 10_000 })
  t.match(a.stdout, 'inet 10.0.0.2/24 ', 'c1 is on br0')
  t.match(a.stdout, 'default via 10.0.0.1', "c1's gateway is br0's address")
  t.notMatch((await rules(sb, 'filter')).join('\n'), /DOCKER/, 'no Docker chain: the lab asked for none')
  const fwd = await sb.look({ machine: 'host', script: 'cat /proc/sys/net/ipv4/ip_forward; ip -br link show docker0', timeoutMs: 10_000 })
  t.match(fwd.stdout, /^0\n/, 'forwarding off, as nslab\'s own lab host leaves it')
  t.match(fwd.output, /does not exist/, 'no docker0')
})

t.test('a container is looked at through the namespace dockerd says it has now', { skip }, async (t) => {
  const topology: Topology = { docker: true, bridge: DOCKER0, containers: [box('box1', '172.17.0.2')], internet: false }
  const sb = await createDockerLabHost({ topology, name: 'docker-restart' })
  t.teardown(() => sb.stop())
  const ns = async () => (await sb.look({ machine: 'box1', script: 'readlink /proc/self/ns/net', timeoutMs: 10_000 })).stdout.trim()
  const first = await ns()
  t.match(first, /^net:\[\d+\]$/)
  t.equal((await sh(sb, 'docker stop -t 1 box1 >/dev/null')).exitCode, 0)
  const down = await sb.look({ machine: 'box1', script: 'ip addr', timeoutMs: 10_000 })
  t.equal(down.exitCode, 1, 'a stopped container has no network to look at')
  t.match(down.stderr, /the container box1 is not running/)
  t.equal((await sh(sb, 'docker start box1 >/dev/null')).exitCode, 0)
  const again = await ns()
  t.not(again, first, 'started again, it is a new namespace, and checks look at that one')
  const a = await sb.look({ machine: 'box1', script: 'ip -o -4 addr show eth0', timeoutMs: 10_000 })
  t.match(a.stdout, 'inet 172.17.0.2/16', 'with its address')
})

t.test('two lab hosts at once: a container is asked of its own lab\'s dockerd, never of the other\'s', { skip }, async (t) => {
  // The socket is reached as /proc/self/fd/N, and N is the same number for both lab hosts when one look follows
  // another: a connection kept alive for the first (Node's http agent does) must not answer for the second.
  const topology: Topology = { docker: true, bridge: DOCKER0, containers: [box('box1', '172.17.0.2')], internet: false }
  const [a, b] = await Promise.all([createDockerLabHost({ topology, name: 'docker-two-a' }), createDockerLabHost({ topology, name: 'docker-two-b' })])
  t.teardown(() => Promise.all([a.stop(), b.stop()]))
  t.equal((await sh(b, 'docker stop -t 1 box1 >/dev/null')).exitCode, 0)
  // Back to back, as checks of two labs run at once: each lab's socket under the same number.
  const [la, lb] = [a.handle().lab!, b.handle().lab!]
  // No connection to a dockerd outlives its question (a kept one is what answered for the other lab).
  const sockets = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:') } catch { return false } }).length
  const before = sockets()
  for (const l of [la, lb, la]) {
    const r = await containerNetns(l, 'box1')
    if ('fd' in r) closeSync(r.fd)
  }
  await new Promise((r) => setTimeout(r, 100))
  t.equal(sockets(), before, 'no connection to a dockerd kept')
  for (let i = 0; i < 5; i++) {
    const x = await containerNetns(la, 'box1')
    t.ok('fd' in x, `${i}: the first lab's box1 has a namespace: ${JSON.stringify(x)}`)
    if ('fd' in x) closeSync(x.fd)
    const y = await containerNetns(lb, 'box1')
    t.same(y, { down: 'the container box1 is not running (exited)' }, `${i}: the second lab's box1 is stopped`)
    if ('fd' in y) closeSync(y.fd)
  }
  for (let i = 0; i < 3; i++) {
    const up = await a.look({ machine: 'box1', script: 'ip -o -4 addr show eth0', timeoutMs: 10_000 })
    t.match(up.stdout, 'inet 172.17.0.2/16', `${i}: box1 of the first runs`)
    const down = await b.look({ machine: 'box1', script: 'ip -o -4 addr show eth0', timeoutMs: 10_000 })
    t.equal(down.exitCode, 1, `${i}: box1 of the second is stopped: ${down.output.trim()}`)
    t.match(down.stderr, /the container box1 is not running/)
  }
})

t.test('the image cache stays as it is, whatever the lab does', { skip }, async (t) => {
  const topology: Topology = { docker: true, bridge: DOCKER0, containers: [], internet: false }
  const sb = await createDockerLabHost({ topology, name: 'docker-cache' })
  t.teardown(() => sb.stop())
  const owner = sb.handle().uid!
  const cache = imageCacheDir(owner)
  const hashes = () =>
    ['images.json', 'data/image/overlay2/repositories.json'].map((f) => createHash('sha256').update(readFileSync(join(cache, f))).digest('hex')).join(' ')
  const before = hashes()
  const layer = (await sh(sb, "docker image inspect -f '{{.GraphDriver.Data.UpperDir}}' busybox")).stdout.trim()
  t.match(layer, /^\/var\/lib\/docker\/overlay2\/[0-9a-f]+\/diff$/, "busybox's layer")
  const tries = await sh(
    sb,
    [
      `L=${layer}`,
      'touch $L/planted 2>&1 || echo "touch refused"',
      'mount -o remount,bind,rw $L 2>&1 || echo "remount refused"',
      'touch $L/planted 2>&1 || echo "touch refused again"',
      'umount $L && ls -A $L | wc -l',
      'ls -A /mnt | wc -l',
      'docker rmi -f busybox >/dev/null 2>&1; docker images -q | wc -l',
    ].join('\n'),
  )
  t.match(tries.stdout, /touch refused\n/, 'the layer is read-only')
  t.match(tries.stdout, /remount refused\n/, 'and stays so: the lab cannot make it writable')
  t.match(tries.stdout, /touch refused again\n/)
  t.match(tries.stdout, /\n0\n0\n/, 'beneath the layer, and in /mnt, there is nothing of the cache')
  t.equal(hashes(), before, 'the cache is unchanged')
  t.notOk(existsSync(join(cache, 'data/overlay2', layer.split('/')[4]!, 'diff/planted')), 'nothing planted in it')
})

t.test('teardown: no process, cgroup, mount or link of it stays', { skip }, async (t) => {
  const before = machineState()
  const topology: Topology = { docker: true, bridge: DOCKER0, containers: [box('box1', '172.17.0.2'), web], internet: true }
  const sb = await createDockerLabHost({ topology, name: 'docker-teardown' })
  const h = sb.handle()
  t.ok(h.cgroups?.length, 'it has cgroups')
  t.ok(h.cgroups!.some((d) => procsIn(d).length > 5), 'dockerd, containerd, the shims and the containers are in them')
  await sh(sb, 'docker run -d --name extra -p 9090:80 nginx >/dev/null')
  // Descriptors opened after it came up take the numbers it closed: its teardown must leave them be
  // (it once closed its cgroup descriptors twice, and with them another lab host's pipes).
  const mine = Array.from({ length: 64 }, () => openSync('/dev/null', 'r'))
  t.teardown(() => mine.forEach((fd) => { try { closeSync(fd) } catch { /* closed */ } }))
  const t0 = performance.now()
  await sb.stop()
  t.same(mine.filter((fd) => { try { fstatSync(fd); return false } catch { return true } }), [], "its teardown closes none of this process's other descriptors")
  t.ok(true, `stopped in ${Math.round(performance.now() - t0)} ms`)
  t.notOk(isAlive(h.pid), 'its unshare is gone')
  t.same(h.cgroups!.filter((d) => existsSync(d)), [], 'its cgroups are removed (and with them every process they held)')
  t.same(machineState(), before, "the machine's network and mounts are as before")
})

t.test('SIGKILL of nslab: the machine as before; nslab gc removes the cgroups it left', { skip }, async (t) => {
  const before = machineState()
  const state = join(dir, 'state-kill')
  const lab = join(dir, 'docker-sleep.md')
  writeFileSync(
    lab,
    ['---', 'title: a docker lab that sleeps', 'engine: docker', 'topology:', '  docker: true', '  containers: [box1]', '---', '', '```sh step timeout=5m', 'docker run -d --name web -p 8080:80 nginx && sleep 300', '```', ''].join('\n'),
  )
  const child = startNslab(['run', lab], state)
  const pid = child.pid!
  t.ok(await until(() => dockerCgroupsOf(pid).some((d) => procsIn(d).length > 8), 120_000), 'the lab host is up, nginx started')
  const dirs = dockerCgroupsOf(pid)
  child.kill('SIGKILL')
  t.ok(await until(() => dirs.every((d) => procsIn(d).length === 0), 20_000), 'every process of the lab host ended (dockerd, containerd, shims, nginx, docker-proxy)')
  t.same(machineState(), before, "the machine's network and mounts are as before")
  const gc = nslab(['gc'], state)
  t.equal(gc.code, 0)
  t.match(gc.stdout, /removed the cgroups of a docker-engine lab host whose nslab was killed/)
  t.same(dirs.filter((d) => existsSync(d)), [], 'nslab gc removed the cgroups')
})

t.test('an ordinary user: exit 3, one line', { skip }, async (t) => {
  const u = spawnAs65534(['run', 'labs/docker-publish.md'])
  t.equal(u.code, 3, u.stderr)
  t.match(u.stderr, /^nslab: engine: docker runs only as root for now \(sudo nslab …\)[^\n]*\n$/, 'one line saying so')
})

t.test('docker.io missing: exit 3, naming the package', { skip }, async (t) => {
  const hidden = hideDockerd(['run', 'labs/docker-publish.md'])
  t.equal(hidden.code, 3, hidden.stderr)
  t.match(hidden.stderr, /this machine lacks `dockerd`/)
  t.match(hidden.stderr, /fix: apt-get install docker\.io/)
})

/** nslab as uid 65534 (a folder it may write as HOME). */
function spawnAs65534(args: string[]) {
  const home = mkdtempSync(join(tmpdir(), 'nslab-docker-user-'))
  spawnSync('chown', ['65534:65534', home])
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'env', '-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd: ROOT, env: cliEnv(home), encoding: 'utf8', timeout: 60_000 })
  rmSync(home, { recursive: true, force: true })
  return { code: r.status, stderr: r.stderr ?? '' }
}

/** nslab with dockerd hidden (a private mount namespace binds /dev/null over it). */
function hideDockerd(args: string[]) {
  const home = mkdtempSync(join(tmpdir(), 'nslab-docker-missing-'))
  const r = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', `for p in /usr/sbin/dockerd /sbin/dockerd /usr/bin/dockerd; do [ -e $p ] && mount --bind /dev/null $p; done; exec env -u NODE_OPTIONS "$0" "$@"`, process.execPath, CLI, ...args],
    { cwd: ROOT, env: cliEnv(home), encoding: 'utf8', timeout: 60_000 },
  )
  rmSync(home, { recursive: true, force: true })
  return { code: r.status, stderr: r.stderr ?? '' }
}
