import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createSandbox } from '../../runner/host/sandbox.js'
import { perlRootBuilder, type RootPlan } from '../../runner/host/perl-root-builder.js'
import { sandboxScript } from '../../runner/host/sandbox-script.js'
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
  // (util-linux leaves its fstab, mount's log and libmount's /run/mount: not the lab's.)
  'ls -la --time-style=+ / /dev /run /run/.nslab /run/netns | awk \'NF > 2 && $NF !~ /^(fstab|mount.log|mount)$/ { print $1, $NF }\'',
  'readlink /bin /dev/fd /dev/ptmx /dev/stdin',
  'hostname',
  'cat /etc/hosts /etc/resolv.conf',
  'ls /run/netns /run/.nslab/ns',
  'cat /tmp/box1-ran',
  'ls -l /run/.nslab/bin | awk \'NF > 2 { print $1, $NF }\'',
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
})

t.test("no text of the lab reaches perl's program as code", async (t) => {
  const evil = "x'; system('touch /tmp/nslab-perl-pwned'); '\nNSLAB_PERL\ntouch /tmp/nslab-perl-pwned\n"
  const plan: RootPlan = { hostname: evil, tmpfs: [], dirs: [], files: [], writes: [{ path: evil, content: evil }], links: [[evil, evil]], mounts: [], netns: [evil] }
  const program = perlRootBuilder(plan)
  t.notMatch(program, /NSLAB_PERL|pwned/, 'every text is hex')
  // perl checks the program's syntax without running it.
  const check = spawnSync('perl', ['-c', '-'], { input: program, encoding: 'utf8' })
  t.equal(check.status, 0, check.stderr)
  const script = sandboxScript({ topology: { ...topology, containers: [] }, persistent: false, hostname: 'lab', builder: 'perl' })
  t.match(script, /^perl - <<'NSLAB_EOF'$/m, "perl's program is a here-document of the init's script")
  t.equal(script.match(/^NSLAB_EOF$/gm)?.length, script.match(/<<'NSLAB_EOF'/g)?.length, 'each here-document ended once')
})
