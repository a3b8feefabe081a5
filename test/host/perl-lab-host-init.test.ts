// The lab host's init in perl (runner/host/perl-lab-host-init.ts): a program
// that compiles clean, holds no text of the lab as code, and does what the
// bash init did around the builder. Its steps are run here for real, with a
// stand-in builder, in a throwaway user and network namespace of their own
// (`unshare -rn`: the ip_forward it writes is that namespace's); the whole
// lab host it builds is held to the bash init's in perl-root-builder.test.ts.
import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PERL_INIT_LOADER, perlLabHostInit, type PerlInitParts } from '../../runner/host/perl-lab-host-init.js'
import { labHostInit } from '../../runner/host/sandbox-script.js'
import { limitsShell } from '../../runner/host/lab-limits.js'
import type { Topology } from '../../runner/lab/lab.js'

const topology: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [{ name: 'box1', ip: '172.17.0.2', publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }], line: 0, command: 'sleep 1' }],
  internet: true,
  userlandProxy: false,
  sysctl: [{ key: 'net.ipv4.ip_forward', value: '1', line: 3 }],
}

/** perl's verdict on a program: `-c` with strict and warnings (what it says on stderr). */
const perlCheck = (program: string) => spawnSync('perl', ['-Mstrict', '-Mwarnings', '-c', '-'], { input: program, encoding: 'utf8' })

t.test('the init is perl where perl builds the lab host, bash otherwise', async (t) => {
  t.equal(labHostInit({ topology, persistent: false, hostname: 'lab', builder: 'perl' }).shell, 'perl')
  t.equal(labHostInit({ topology, persistent: false, hostname: 'lab', builder: 'util-linux' }).shell, 'bash')
  // Limits are one plan: perl's init joins them itself, bash's runs them as limitsShell's lines first.
  const limits = { cgroupFds: 1, rlimits: [{ resource: 'nproc' as const, value: 777 }] }
  const perl = labHostInit({ topology, persistent: false, hostname: 'lab', builder: 'perl', limits })
  t.equal(perl.shell, 'perl')
  t.match(perl.text, /open\(\$c, ">&=", 4\)/, 'perl writes 0 to fd 4')
  t.match(perl.text, /syscall\(\d+, 6, \$l\)/, 'and sets RLIMIT_NPROC')
  const bash = labHostInit({ topology, persistent: false, hostname: 'lab', builder: 'util-linux', limits })
  t.equal(bash.text.split('\n')[0], limitsShell(limits), "bash's first line is the plan's shell lines")
})

t.test('its program compiles clean under strict and warnings, every part of it, on both architectures', async (t) => {
  for (const arch of ['x64', 'arm64']) {
    for (const persistent of [false, true]) {
      const parts: PerlInitParts = {
        limits: { cgroupFds: 3, rlimits: [{ resource: 'core', value: 0 }, { resource: 'nproc', value: 1024 }, { resource: 'as', value: 2 ** 31 }] },
        rules: { restore: 'iptables-restore', text: '*filter\nCOMMIT\n', first: true },
        builder: 'my $x = 1;',
        files: [
          ['/run/.nslab/hosts', '127.0.0.1\tlocalhost\n'],
          ['/proc/sys/net/ipv4/conf/docker0/route_localnet', '1\n'],
        ],
        anchors: [[10, '/run/.nslab/ns/internet']],
        goFifo: '/run/.nslab/go',
        persistent,
      }
      const c = perlCheck(perlLabHostInit(parts, arch))
      t.equal(c.stderr, '- syntax OK\n', `${arch}${persistent ? ', persistent' : ''}: no error, no warning`)
    }
  }
  // As a lab host gets it: the builder, the network, the rules after the builder (iptables-legacy's lock is in the lab's /run).
  for (const backend of ['nft', 'legacy'] as const) {
    const init = labHostInit({ topology, persistent: false, hostname: 'lab', builder: 'perl', backend, limits: { cgroupFds: 1, rlimits: [{ resource: 'core', value: 0 }] } })
    t.match(init.text, /newns\(/, 'with the network')
    const c = perlCheck(init.text)
    t.equal(c.stderr, '- syntax OK\n', `${backend}: the whole init`)
    // The rules load before the builder where nf_tables keeps them (first), after it where legacy takes its lock in /run.
    const rules = init.text.indexOf('$ipt = fed(')
    const builder = init.text.indexOf('sub mnt ')
    t.ok(backend === 'nft' ? rules < builder : rules > builder, `${backend}: the rules ${backend === 'nft' ? 'before' : 'after'} the builder`)
  }
})

t.test('no text of the lab reaches its program as code', async (t) => {
  const evil = "x'; system('touch /tmp/nslab-perl-pwned'); '\nNSLAB_EOF\n`touch /tmp/nslab-perl-pwned`\n"
  const bad: Topology = { ...topology, containers: [{ ...topology.containers[0]!, name: 'box1', command: evil }] }
  const init = labHostInit({ topology: bad, persistent: false, hostname: evil, builder: 'perl' })
  t.equal(init.shell, 'perl')
  t.notMatch(init.text, /pwned/, 'every text is hex')
  t.equal(perlCheck(init.text).stderr, '- syntax OK\n')
  const direct = perlLabHostInit({ rules: { restore: evil, text: evil, first: false }, builder: '', files: [[evil, evil]], anchors: [[10, evil]], goFifo: evil, persistent: false })
  t.notMatch(direct, /pwned/, 'its parts too')
})

/** The init's steps with a stand-in builder, in `unshare -rn`: its process, what it wrote where, how it ended. */
function startInit(t: Test, parts: Omit<PerlInitParts, 'builder' | 'goFifo'> & { builder?: string }) {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-perl-init-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const go = join(dir, 'go')
  const cgroup = join(dir, 'cgroup.procs')
  const stray = join(dir, 'stray')
  const fds = [openSync(cgroup, 'w'), openSync(stray, 'w')]
  const program = perlLabHostInit({ builder: '', ...parts, goFifo: go })
  // fd 3 the program, 4 a stand-in cgroup.procs, 9 a descriptor whoever started nslab had open.
  const child = spawn('unshare', ['--user', '--map-root-user', '--net', '--', 'perl', '-e', PERL_INIT_LOADER], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', fds[0]!, 'ignore', 'ignore', 'ignore', 'ignore', fds[1]!],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  })
  for (const fd of fds) closeSync(fd)
  ;(child.stdio[3] as NodeJS.WritableStream).end(program)
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) => child.on('close', (code, signal) => res({ code, signal, stderr })))
  t.teardown(() => child.kill('SIGKILL'))
  const said = async (what: string) => {
    for (let i = 0; i < 2000; i++) {
      if (existsSync(go) && readFileSync(go, 'utf8') === 'go\n') return
      await new Promise((r) => setTimeout(r, 10))
    }
    throw new Error(`the init never said go (${what}): ${stderr}`)
  }
  /** The init itself (unshare without --fork runs it in its own process). */
  const initPid = () => child.pid!
  return { child, dir, go, cgroup, ended, said, initPid }
}

t.test('it joins the limits, closes what it inherited, loads the rules, writes its files, holds the namespaces, says go, and waits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-perl-init-rules-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A stand-in restore: what it was fed, into a file.
  const restore = join(dir, 'restore')
  writeFileSync(restore, `#!/bin/sh\ncat > ${join(dir, 'fed')}\n`, { mode: 0o755 })
  const init = startInit(t, {
    limits: { cgroupFds: 1, rlimits: [{ resource: 'core', value: 0 }, { resource: 'nproc', value: 4321 }] },
    rules: { restore, text: '*filter\n:FORWARD DROP [0:0]\nCOMMIT\n', first: true },
    builder: 'print STDOUT "built\\n";',
    files: [
      [join(dir, 'hosts'), '127.0.0.1\tlocalhost\n'],
      [join(dir, 'one'), '1\n'],
    ],
    anchors: [
      [10, '/dev/null'],
      [12, join(dir, 'hosts')],
    ],
    persistent: false,
  })
  await init.said('rules')
  const pid = init.initPid()
  t.equal(readFileSync(init.cgroup, 'utf8'), '0\n', 'wrote 0 to each cgroup.procs it was handed: it joined')
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8')
  t.match(limits, /^Max core file size\s+0\s+0\s/m, 'no core files')
  t.match(limits, /^Max processes\s+4321\s+4321\s/m, 'its processes, soft and hard')
  t.same(readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b), [0, 1, 2, 10, 12], 'only its stdio and the namespaces it holds: nothing inherited (fd 9 of whoever started it)')
  t.equal(readFileSync(join(dir, 'fed'), 'utf8'), '*filter\n:FORWARD DROP [0:0]\nCOMMIT\n', 'the rules, fed whole to the restore program')
  t.equal(readFileSync(join(dir, 'hosts'), 'utf8'), '127.0.0.1\tlocalhost\n')
  t.equal(readFileSync(join(dir, 'one'), 'utf8'), '1\n')
  t.match(readFileSync(`/proc/${pid}/fdinfo/12`, 'utf8'), /^flags:/m, 'the file it holds at 12')
  init.child.stdin!.end()
  const end = await init.ended
  t.equal(end.code, 0, `stdin's end ends it: ${end.stderr}`)
})

t.test('a line on stdin ends it too; persistent, SIGTERM does', async (t) => {
  const a = startInit(t, { files: [], anchors: [], persistent: false })
  await a.said('line')
  a.child.stdin!.write('\n')
  t.equal((await a.ended).code, 0)
  const b = startInit(t, { files: [], anchors: [], persistent: true })
  await b.said('persistent')
  b.child.stdin!.end()
  await new Promise((r) => setTimeout(r, 300))
  t.equal(b.child.exitCode, null, "persistent: stdin's end is not its end")
  process.kill(b.initPid(), 'SIGTERM')
  t.equal((await b.ended).code, 0, 'SIGTERM ends it, with 0')
})

t.test('the rules failing ends it with their status; a restore program that is not there, with 127 and why', async (t) => {
  const failing = startInit(t, { rules: { restore: 'false', text: '*filter\nCOMMIT\n', first: false }, files: [], anchors: [], persistent: false })
  const f = await failing.ended
  t.equal(f.code, 1, "false's status")
  t.notOk(existsSync(failing.go), 'no go: the lab never starts')
  const missing = startInit(t, { rules: { restore: '/no/such/iptables-restore', text: '*filter\nCOMMIT\n', first: true }, files: [], anchors: [], persistent: false })
  const m = await missing.ended
  t.equal(m.code, 127)
  t.match(m.stderr, /^nslab: \/no\/such\/iptables-restore: No such file or directory$/m, 'what sandboxFailure reads as iptables not installed')
  // A cgroup it cannot join: nothing runs (125, as the bash init said it).
  const ro = startInit(t, { limits: { cgroupFds: 2, rlimits: [] }, files: [], anchors: [], persistent: false })
  const r = await ro.ended
  t.equal(r.code, 125, 'fd 5 was never handed to it: it cannot join that cgroup')
  t.match(r.stderr, /nslab: cannot join the lab host's cgroup/)
})
