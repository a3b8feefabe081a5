#!/usr/bin/env node
// Time to bring a lab host up and down: nslab's sandbox for `docker: true`
// with two containers and `internet`, beside the same topology built by a
// plain bash script of one `ip`/`iptables` command per line (as a person, or
// dockerd itself, would run them), in the same run, alternating.
// Both run only inside namespaces of their own; the script refuses otherwise.
//   npm run build && node bench/sandbox-bench.js [runs]
import { spawn } from 'node:child_process'
import { createSandbox, sandboxOwner } from '../dist/runner/host/sandbox.js'

const RUNS = Number(process.argv[2] ?? 40)
const docker0 = { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' }
const topology = {
  docker: true,
  bridge: docker0,
  containers: [
    { name: 'box1', ip: '172.17.0.2', publish: [], line: 0 },
    { name: 'box2', ip: '172.17.0.3', publish: [], line: 0 },
  ],
  internet: true,
}

// The same lab host, one command a line.
const SCRIPT = String.raw`
read -r a b c </proc/self/uid_map; [ "$c" != 4294967295 ] || { echo "refusing: not in a sandbox" >&2; exit 1; }
set -e
mount -t tmpfs t /run; mkdir -p /run/netns /run/hidden; touch /run/hidden/internet
for d in etc usr var; do mkdir -p /run/u/$d /run/w/$d; mount -t overlay o -o lowerdir=/$d,upperdir=/run/u/$d,workdir=/run/w/$d /$d; done
mount -t tmpfs t /tmp
ip link set lo up
ip link add docker0 type bridge
ip addr add 172.17.0.1/16 dev docker0
ip link set docker0 up
for n in 1 2; do
  ip netns add box$n
  ip link add veth000000$n type veth peer name eth0 netns box$n
  ip link set veth000000$n master docker0 up
  ip -n box$n link set lo up
  ip -n box$n addr add 172.17.0.$((n+1))/16 dev eth0
  ip -n box$n link set eth0 up
  ip -n box$n route add default via 172.17.0.1
done
unshare --net=/run/hidden/internet true
ip link add eth0 type veth peer name eth0 netns /run/hidden/internet
nsenter --net=/run/hidden/internet ip link set lo up
nsenter --net=/run/hidden/internet ip addr add 198.51.100.1/24 dev eth0
nsenter --net=/run/hidden/internet ip addr add 203.0.113.10/32 dev lo
nsenter --net=/run/hidden/internet ip link set eth0 up
ip addr add 198.51.100.2/24 dev eth0
ip link set eth0 up
ip route add default via 198.51.100.1
echo 1 > /proc/sys/net/ipv4/ip_forward
iptables -t nat -N DOCKER
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -t nat -A DOCKER -i docker0 -j RETURN
iptables -N DOCKER
iptables -N DOCKER-ISOLATION-STAGE-1
iptables -N DOCKER-ISOLATION-STAGE-2
iptables -N DOCKER-USER
iptables -P FORWARD DROP
iptables -A FORWARD -j DOCKER-USER
iptables -A FORWARD -j DOCKER-ISOLATION-STAGE-1
iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -o docker0 -j DOCKER
iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT
iptables -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
iptables -A DOCKER-ISOLATION-STAGE-1 -j RETURN
iptables -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
iptables -A DOCKER-ISOLATION-STAGE-2 -j RETURN
iptables -A DOCKER-USER -j RETURN
echo ready
read -r _ || true
ip netns del box1
ip netns del box2
`

function bareUp() {
  const t0 = performance.now()
  const owner = sandboxOwner()
  const pre = owner === undefined ? [] : ['setpriv', `--reuid=${owner}`, `--regid=${owner}`, '--clear-groups', '--']
  const p = spawn(pre[0] ?? 'unshare', [...pre.slice(1), ...(pre.length ? ['unshare'] : []), '--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', '-c', SCRIPT], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    p.stdout.on('data', (d) => {
      if (String(d).includes('ready')) resolve({ up: performance.now() - t0, p })
    })
    p.on('exit', (c) => reject(new Error(`bare script ended with ${c}`)))
  })
}

function bareDown(p) {
  const t0 = performance.now()
  return new Promise((resolve) => {
    p.removeAllListeners('exit')
    p.on('exit', () => resolve(performance.now() - t0))
    p.stdin.end()
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]

const r = { nslabUp: [], nslabDown: [], utilUp: [], utilDown: [], limitedUp: [], limitedDown: [], bareUp: [], bareDown: [] }
// As `nslab run` makes them: with its default limits (a cgroup as root, rlimits otherwise).
const limits = { maxProcs: 1024, memoryBytes: 2 * 1024 ** 3, cpus: 1 }
for (let i = 0; i < RUNS + 3; i++) {
  const t0 = performance.now()
  const sb = await createSandbox({ topology })
  const up = performance.now() - t0
  const t1 = performance.now()
  await sb.stop()
  const down = performance.now() - t1
  // The same lab host built by util-linux's programs instead of perl (see perl-root-builder.ts).
  process.env.NSLAB_SANDBOX_BUILDER = 'util-linux'
  const u0 = performance.now()
  const su = await createSandbox({ topology })
  const uup = performance.now() - u0
  const u1 = performance.now()
  await su.stop()
  const udown = performance.now() - u1
  delete process.env.NSLAB_SANDBOX_BUILDER
  const t2 = performance.now()
  const sl = await createSandbox({ topology, limits })
  const lup = performance.now() - t2
  const t3 = performance.now()
  await sl.stop()
  const ldown = performance.now() - t3
  const b = await bareUp()
  const bd = await bareDown(b.p)
  if (i < 3) continue // warm-up
  r.nslabUp.push(up)
  r.nslabDown.push(down)
  r.utilUp.push(uup)
  r.utilDown.push(udown)
  r.limitedUp.push(lup)
  r.limitedDown.push(ldown)
  r.bareUp.push(b.up)
  r.bareDown.push(bd)
}
const f = (x) => `${x.toFixed(1)} ms`
console.log(`lab host: docker: true, 2 containers, internet — ${RUNS} runs each, alternating (median / p90)`)
console.log(`nslab sandbox   up ${f(median(r.nslabUp))} / ${f(p90(r.nslabUp))}   down ${f(median(r.nslabDown))} / ${f(p90(r.nslabDown))}`)
console.log(`util-linux root  up ${f(median(r.utilUp))} / ${f(p90(r.utilUp))}   down ${f(median(r.utilDown))} / ${f(p90(r.utilDown))}`)
console.log(`with limits     up ${f(median(r.limitedUp))} / ${f(p90(r.limitedUp))}   down ${f(median(r.limitedDown))} / ${f(p90(r.limitedDown))}`)
console.log(`bash script     up ${f(median(r.bareUp))} / ${f(p90(r.bareUp))}   down ${f(median(r.bareDown))} / ${f(p90(r.bareDown))}`)
