import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createSandbox } from '../../runner/host/sandbox.js'
import { perlRootBuilder, type RootPlan } from '../../runner/host/perl-root-builder.js'
import { sandboxScript } from '../../runner/host/sandbox-script.js'
import type { NetworkPlan } from '../../runner/host/network-plan.js'
import { perlNetworkBuilder } from '../../runner/host/perl-network-builder.js'
import type { Topology } from '../../runner/lab/lab.js'

const topology: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [{ name: 'box1', ip: '172.17.0.2', publish: [], line: 0, command: 'echo up > /tmp/box1-ran' }],
  internet: true,
  sysctl: [{ key: 'net.ipv4.ip_forward', value: '1', line: 3 }],
}

// What the lab sees of its own root: its mounts (target, type, options that matter), its folders and links.
const VIEW = [
  "awk '{ print $5, $(NF-2), $6 }' /proc/self/mountinfo | sed -E 's/,?relatime//; s/rw,?//' | sort",
  // (util-linux leaves its fstab, mount's log and libmount's /run/mount, perl the FIFO its launcher's lab init waits on: not the lab's.)
  'ls -la --time-style=+ / /dev /run /run/.nslab /run/netns | awk \'NF > 2 && $NF !~ /^(fstab|mount.log|mount|go)$/ { print $1, $NF }\'',
  'readlink /bin /dev/fd /dev/ptmx /dev/stdin',
  'hostname',
  'cat /etc/hosts /etc/resolv.conf',
  'ls /run/netns /run/.nslab/ns',
  'cat /tmp/box1-ran',
  'ls -l /run/.nslab/bin | awk \'NF > 2 { print $1, $NF }\'',
].join('; echo ---; ')

// What a machine shows of its network: links, addresses, routes, forwarding (veth names and MACs are random, a bridge's state comes late).
const NET = [
  "ip -o link | sed -E 's/veth[0-9a-f]{7}/vethX/g; s/ state [A-Z]+//; s#link/ether [0-9a-f:]+#link/ether M#'",
  // (An IPv6 link-local address is "tentative" until its duplicate detection ends: a matter of when one looks.)
  "ip -o addr | sed -E 's/veth[0-9a-f]{7}/vethX/g; s/fe80::[0-9a-f:]+/fe80::X/; s/ tentative//; s/valid_lft.*//'",
  'ip route',
  "ip -6 route | sed -E 's/veth[0-9a-f]{7}/vethX/g' | sort",
  "ip -d link show type veth | grep -o 'veth .*' | sort | uniq -c",
  "sysctl -a 2>/dev/null | grep -E 'forwarding|rp_filter' | sed -E 's/veth[0-9a-f]{7}/vethX/g' | sort",
].join('; echo ---; ')

t.test('perl and util-linux build the same lab host', async (t) => {
  const views: Record<string, string> = {}
  for (const builder of ['perl', 'util-linux'] as const) {
    process.env.NSLAB_SANDBOX_BUILDER = builder
    const sb = await createSandbox({ topology, name: 'same-root' })
    try {
      // The container's command runs in the background: give it time to write.
      const r = await sb.exec({ machine: 'host', script: `for i in $(seq 50); do [ -e /tmp/box1-ran ] && break; sleep 0.1; done; ${VIEW}` })
      t.equal(r.exitCode, 0, `${builder}: ${r.stderr}`)
      views[builder] = r.stdout
      for (const m of ['host', 'box1', 'internet']) {
        const n = await sb.exec({ machine: m, script: NET })
        t.equal(n.exitCode, 0, `${builder}: ${m}: ${n.stderr}`)
        views[`${builder} ${m}`] = n.stdout
      }
      const ping = await sb.exec({ machine: 'box1', script: 'ping -c1 -W2 internet >/dev/null && echo ok' })
      t.equal(ping.stdout.trim(), 'ok', `${builder}: box1 reaches internet`)
    } finally {
      await sb.stop()
      delete process.env.NSLAB_SANDBOX_BUILDER
    }
  }
  t.match(views.perl, /internet/, 'the lab sees the namespace files made after its /run was bound')
  t.match(views.perl, /^up$/m, "a container's command ran")
  t.equal(views.perl, views['util-linux'], 'the same mounts, files, links, names and hosts')
  // perl speaks netlink where util-linux's way runs ip: the same network.
  for (const m of ['host', 'box1', 'internet']) t.equal(views[`perl ${m}`], views[`util-linux ${m}`], `the same network on ${m}`)
  t.match(views['perl box1'], /inet 172\.17\.0\.2\/16 scope global eth0/)
  t.match(views['perl box1'], /link\/ether M brd ff:ff:ff:ff:ff:ff/)
  t.match(views['perl host'], /^default via 198\.51\.100\.1 dev eth0 $/m)
})

t.test("no text of the lab reaches perl's program as code", async (t) => {
  const evil = "x'; system('touch /tmp/nslab-perl-pwned'); '\nNSLAB_PERL\ntouch /tmp/nslab-perl-pwned\n"
  const plan: RootPlan = { hostname: evil, tmpfs: [], dirs: [], files: [], writes: [{ path: evil, content: evil }], links: [[evil, evil]], mounts: [], netns: [evil] }
  const program = perlRootBuilder(plan)
  t.notMatch(program, /NSLAB_PERL|pwned/, 'every text is hex')
  // perl checks the program's syntax without running it.
  const check = spawnSync('perl', ['-Mstrict', '-c', '-'], { input: program, encoding: 'utf8' })
  t.equal(check.status, 0, check.stderr)
  // The network's names and settings too (lint refuses such names; the builder must not need it to).
  const net: NetworkPlan = {
    host: [{ op: 'bridge', name: evil }, { op: 'netns', name: evil }, { op: 'veth', name: evil, peer: evil, ns: evil }, { op: 'master', dev: evil, master: evil }, { op: 'default', via: '10.0.0.254' }],
    machines: [{ name: evil, file: evil, ops: [{ op: 'addr', dev: evil, ip: '10.0.0.1', prefix: 8 }, { op: 'up', dev: evil }] }],
  }
  const network = perlNetworkBuilder(net, { create: [evil], settings: [{ path: evil, value: evil, failure: evil }], sysctl: [[evil, evil]] })
  const withNet = perlRootBuilder(plan, undefined, 'x64', network)
  t.notMatch(withNet, /NSLAB_PERL|pwned/, 'the network\'s texts are hex too')
  const checkNet = spawnSync('perl', ['-Mstrict', '-c', '-'], { input: withNet, encoding: 'utf8' })
  t.equal(checkNet.status, 0, checkNet.stderr)
  const script = sandboxScript({ topology: { ...topology, containers: [] }, persistent: false, hostname: 'lab', builder: 'perl' })
  t.match(script, /^perl - <<'NSLAB_EOF'$/m, "perl's program is a here-document of the init's script")
  // The whole program as a lab host runs it (root, network, launcher) is clean under strict.
  const whole = /^perl - <<'NSLAB_EOF'\n([\s\S]*?)^NSLAB_EOF$/m.exec(sandboxScript({ topology, persistent: false, hostname: 'lab', builder: 'perl' }))?.[1] ?? ''
  t.match(whole, /newns\(/, 'with the network')
  const strict = spawnSync('perl', ['-Mstrict', '-Mwarnings', '-c', '-'], { input: whole, encoding: 'utf8' })
  t.equal(strict.status, 0, strict.stderr)
  t.equal(strict.stderr, '- syntax OK\n', 'no warning either')
  t.equal(script.match(/^NSLAB_EOF$/gm)?.length, script.match(/<<'NSLAB_EOF'/g)?.length, 'each here-document ended once')
})
