// nslab check --target against a real OpenSSH server. The server runs in the
// network namespace of a throwaway lab host (the snat-mini lab's topology),
// whose `host` plays the learner's own machine: docker0, box1 as a network
// namespace, Docker's nat rules. The ssh client runs on the lab's `internet`
// machine, so no packet touches this machine's own network. sshd runs as the
// machine's root, entered into the sandbox's network, mount and pid
// namespaces (not its user namespace, where privilege separation cannot
// switch users); it ends with the sandbox.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { checkTarget, chooseBlocks } from '../../runner/grade/check-target.js'
import { checkTargetCommand } from '../../runner/cli/check-target-command.js'
import type { LabResult } from '../../runner/run/run-event.js'
import { loadLabs } from '../../runner/lab/load-labs.js'
import { createSandbox, type Sandbox } from '../../runner/host/sandbox.js'
import { shellQuote } from '../../runner/util/shell-quote.js'
import { parseSshAddress, sshTarget, wrapScript, type SshRunner } from '../../runner/grade/ssh-target.js'
import { machineState } from '../helpers/machine-state.js'
import { ROOT } from '../fixtures/grade-labs/ensure-built.js'

const SSHD = '/usr/sbin/sshd'
const LAB = join(ROOT, 'test/fixtures/grade-labs/snat-mini.md')
const lab = loadLabs([LAB]).labs[0]!

t.test('addresses and scripts for a target', async (t) => {
  t.same(parseSshAddress('ssh://root@198.51.100.2'), { host: '198.51.100.2', label: 'root@198.51.100.2', user: 'root' })
  t.same(parseSshAddress('ssh://learner@vm.example:2222'), { host: 'vm.example', label: 'learner@vm.example:2222', user: 'learner', port: 2222 })
  t.same(parseSshAddress('[::1]'), { host: '::1', label: '[::1]' })
  t.throws(() => parseSshAddress('ssh://-oProxyCommand=x'), { code: 'USAGE' })
  t.throws(() => parseSshAddress('http://x'), { code: 'USAGE' })
  t.match(wrapScript('host', "echo 'hi'"), /^__nslab_script='echo '\\''hi'\\'''\nexec bash --noprofile --norc -e -o pipefail -c "\$__nslab_script" <\/dev\/null\n$/)
  t.match(wrapScript('box1', 'ip -j addr'), /if \[ -e \/run\/netns\/box1 \]; then exec ip netns exec box1 bash/)
  t.same(chooseBlocks(lab), [3, 5], "every exercise's check block")
  t.same(chooseBlocks(lab, ['drop-pings']), [5])
  t.throws(() => chooseBlocks(lab, ['nope']), { code: 'USAGE', message: /has no exercise nope \(it has: exercise-1, drop-pings\)/ })
})

const skip = !existsSync(SSHD) ? `${SSHD} is not installed (apt-get install openssh-server)` : process.getuid?.() !== 0 ? 'sshd in a sandbox needs root' : false

t.test('checking a machine over SSH: done, not done, refused, silent, lacking a command', { skip }, async (t) => {
  const before = machineState()
  const sb = await createSandbox({ topology: lab.topology, name: 'ssh-target' })
  const servers: ChildProcess[] = []
  t.teardown(async () => {
    for (const s of servers) s.kill('SIGKILL')
    await sb.stop()
  })
  const setup = await sb.exec({
    machine: 'host',
    script: `
mkdir -p /tmp/ssh /tmp/client /run/sshd
chmod 755 /run/sshd
ssh-keygen -q -t ed25519 -N '' -f /tmp/ssh/hostkey
ssh-keygen -q -t ed25519 -N '' -f /tmp/client/id
cp /tmp/client/id.pub /tmp/ssh/authorized_keys
common='HostKey /tmp/ssh/hostkey
AuthorizedKeysFile /tmp/ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
PidFile none'
printf '%s\\n' 'root::19000:0:99999:7:::' > /tmp/ssh/shadow
printf '%s\\n' 'ListenAddress 198.51.100.2:22' "$common" > /tmp/ssh/sshd_config
# A second server whose sessions get a PATH without iptables: a machine that lacks the command.
printf '%s\\n' 'ListenAddress 198.51.100.2:2222' "$common" 'SetEnv PATH=/usr/bin:/bin' > /tmp/ssh/sshd_config_nopath
# Port 2200 answers nothing: its packets are dropped.
iptables -I INPUT -p tcp --dport 2200 -j DROP
`,
  })
  t.equal(setup.exitCode, 0, setup.output)
  for (const config of ['/tmp/ssh/sshd_config', '/tmp/ssh/sshd_config_nopath']) servers.push(await startSshd(sb, config))

  // The client runs on `internet`, inside the sandbox.
  const run: SshRunner = (o) =>
    sb.exec({ machine: 'internet', script: o.argv.map(shellQuote).join(' '), ...(o.input !== undefined ? { input: o.input } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) })
  const target = (url: string, connectTimeoutSec = 5) =>
    sshTarget({ address: parseSshAddress(url), identity: '/tmp/client/id', knownHosts: '/tmp/client/known_hosts', controlDir: '/tmp/client', connectTimeoutSec, run })
  const check = async (url: string, exercises: string[], connectTimeoutSec?: number): Promise<LabResult> => {
    const tg = target(url, connectTimeoutSec)
    try {
      return await checkTarget({ lab, target: tg, exercises })
    } finally {
      await tg.close()
    }
  }
  const sentences = (r: LabResult) => r.blocks.flatMap((b) => (b.checks ?? []).map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.check.source}: ${c.sentence}`))

  // 1. The steps were done: Docker's MASQUERADE rule is there, box1 reaches the outside.
  const done = await check('ssh://root@198.51.100.2', ['exercise-1'])
  t.equal(done.status, 'pass', sentences(done).join('\n'))
  t.equal(done.cell, 'root@198.51.100.2')
  t.match(sentences(done).join('\n'), /ok ping box1 internet: box1 got a reply from internet at 203\.0\.113\.10/)
  t.match(done.blocks[0]?.checks?.[1]?.evidence[0]?.output ?? '', /-A POSTROUTING -s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE/, 'the evidence came from the target')

  // 2. Not done: the nat table flushed on the target.
  t.equal((await sb.exec({ machine: 'host', script: 'iptables -t nat -F' })).exitCode, 0)
  const notDone = await check('ssh://root@198.51.100.2', ['exercise-1'])
  t.equal(notDone.status, 'fail')
  t.match(sentences(notDone).join('\n'), /FAIL ping box1 internet: box1 got no reply/)
  t.match(sentences(notDone).join('\n'), /FAIL rule nat POSTROUTING .*: nat POSTROUTING has no rule like/)
  t.equal(notDone.blocks[0]?.hint, "Docker's rule: nat POSTROUTING, from 172.17.0.0/16, not out of docker0, MASQUERADE")

  // 3. A machine that is not on the target (internet) is said plainly.
  const elsewhere = await check('ssh://root@198.51.100.2', ['drop-pings'])
  t.equal(elsewhere.status, 'fail')
  t.match(sentences(elsewhere).join('\n'), /FAIL no ping internet 198\.51\.100\.2: .*this machine has no internet/)

  // 4. Refused: nothing listens on port 2201.
  const refused = await check('ssh://root@198.51.100.2:2201', ['exercise-1'])
  t.equal(refused.status, 'fail')
  t.match(refused.error, /cannot reach root@198\.51\.100\.2:2201: connect to host 198\.51\.100\.2 port 2201: Connection refused/)
  t.ok(refused.blocks[0]?.checks?.every((c) => !c.ok && /^not judged: cannot reach/.test(c.sentence)), 'every check says it was not judged, and why')

  // 5. Silent: port 2200 drops every packet; the connection times out.
  const t0 = Date.now()
  const silent = await check('ssh://root@198.51.100.2:2200', ['exercise-1'], 2)
  t.equal(silent.status, 'fail')
  t.match(silent.error, /cannot reach root@198\.51\.100\.2:2200: connect to host 198\.51\.100\.2 port 2200: Connection timed out/)
  t.ok(Date.now() - t0 < 15_000, `it gave up in time (${Date.now() - t0} ms)`)

  // 6. A target without iptables: the rule check says what is missing; ping still works there.
  t.equal((await sb.exec({ machine: 'host', script: 'iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE' })).exitCode, 0)
  const lacking = await check('ssh://root@198.51.100.2:2222', ['exercise-1'])
  t.equal(lacking.status, 'fail')
  t.match(sentences(lacking).join('\n'), /ok ping box1 internet/)
  t.match(sentences(lacking).join('\n'), /FAIL rule nat POSTROUTING [^\n]*: host [^\n]*iptables-save: command not found/)

  t.same(machineState(), before, "the machine's own network is as it was")
})

t.test('nslab check --target on the command line: a refused target is a clear failure', { skip: existsSync('/usr/bin/ssh') ? false : 'no ssh client (apt-get install openssh-client)' }, async (t) => {
  // 127.0.0.1 port 1: nothing listens there, and nothing leaves the machine.
  const out: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  const writeErr = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write
  process.stderr.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stderr.write
  let code: number
  try {
    code = await checkTargetCommand([LAB, '--target', 'ssh://root@127.0.0.1:1', '--exercise', 'exercise-1', '--connect-timeout', '2s'])
  } finally {
    process.stdout.write = write
    process.stderr.write = writeErr
  }
  t.equal(code, 1)
  t.match(out.join(''), /cannot reach root@127\.0\.0\.1:1: connect to host 127\.0\.0\.1 port 1: Connection refused/)
  await t.rejects(checkTargetCommand([LAB, '--target', 'ftp://x']), { code: 'USAGE' })
  await t.rejects(checkTargetCommand([LAB]), { code: 'USAGE', message: /needs one lab and the target/ })
})

/** sshd in the sandbox's network, mount and pid namespaces, as this machine's root; resolves once it listens. */
async function startSshd(sb: Sandbox, config: string): Promise<ChildProcess> {
  const { init, lab } = sb.handle()
  // sshd runs as the machine's root and wants its privilege-separation folder owned by that root;
  // the lab host's root is another uid, so the folder is handed over from here.
  chownSync(`/proc/${lab}/root/run/sshd`, 0, 0)
  // The lab host's overlay of /etc reads lower files with the lab host's uid, which may not read
  // /etc/shadow; sshd (checking that root is not locked) gets a shadow file of the lab's own, with
  // root's account open, in a mount namespace of its own.
  const sshd = spawn(
    'nsenter',
    [
      `--net=/proc/${init}/ns/net`,
      `--mount=/proc/${lab}/ns/mnt`,
      `--pid=/proc/${lab}/ns/pid`,
      '--',
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount --bind /tmp/ssh/shadow /etc/shadow && exec "$@"',
      'sshd',
      SSHD,
      '-D',
      '-e',
      '-f',
      config,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  await new Promise<void>((resolve, reject) => {
    let log = ''
    const timer = setTimeout(() => reject(new Error(`sshd did not start: ${log}`)), 10_000)
    sshd.stderr!.on('data', (d: Buffer) => {
      log += d.toString()
      if (/Server listening/.test(log)) {
        clearTimeout(timer)
        resolve()
      }
    })
    sshd.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`sshd exited (${code}): ${log}`))
    })
  })
  sshd.stderr!.resume()
  return sshd
}
