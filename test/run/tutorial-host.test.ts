// A published tutorial's commands, run as written on a lab host (issue 15):
// sudo, a distro's kernel settings, namespaces the steps make as machines,
// where a step stopped, what a timed-out step printed, machines re-addressed.
import { readlinkSync } from 'node:fs'
import t from 'tap'
import type { Lab } from '../../runner/lab/lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { runLab } from '../../runner/run/run-lab.js'
import { blockFailure } from '../../runner/run/block-failure.js'
import type { BlockResult, LabResult } from '../../runner/run/run-event.js'

function labOf(text: string): Lab {
  const r = parseLab(text, 'tutorial.md')
  if (!r.lab) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.lab
}
const fm = (extra = '') => `---\ntitle: tutorial\n${extra}---\n`
const step = (body: string, info = 'sh step') => `\`\`\`${info}\n${body}\n\`\`\`\n`
const check = (body: string) => `\`\`\`check\n${body}\n\`\`\`\n`
const run = (text: string): Promise<LabResult> => runLab({ lab: labOf(text), emit: () => {} })
/** Each block's status, and for failures what a reporter says. */
const summary = (r: LabResult) => r.blocks.map((b: BlockResult) => (b.status === 'fail' ? `fail: ${blockFailure(b).message}` : b.status))
const outputOf = (r: LabResult, i: number) => r.blocks[i]!.exec?.output ?? ''

t.test('sudo runs its command as written', async (t) => {
  const r = await run(
    fm() +
      step('sudo -E ip -br link show lo\nsudo -u root id -u\nsudo sh -c \'echo hi > /tmp/x\'; cat /tmp/x\nsudo GREETING=hello env | grep GREETING\nsudo -i true\nsudo -nE -u root true\nsudo -- id -un') +
      step('sudo -u nobody true', 'sh step exit=1'),
  )
  t.same(summary(r), ['pass', 'pass'], r.blocks.map((b) => b.exec?.output).join('\n'))
  t.match(outputOf(r, 0), /^lo +UNKNOWN/m)
  t.match(outputOf(r, 0), /^0\nhi\nGREETING=hello\nroot$/m)
  t.match(outputOf(r, 1), /sudo: everything in a lab host runs as root: -u nobody is not possible here/)
})

t.test("a distro's settings (Ubuntu's unless the lab says), in the host, containers and namespaces the lab makes", async (t) => {
  const look = 'cat /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/default/rp_filter /proc/sys/net/ipv4/ip_forward'
  const body = step(`${look}\nip netns add made\nip netns exec made cat /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/lo/rp_filter`) + step(look, 'sh step on=box1')
  const topo = 'topology:\n  bridge: "br0 10.7.0.1/24"\n  containers: [box1]\n'
  const ubuntu = await run(fm(topo) + body)
  t.same(summary(ubuntu), ['pass', 'pass'])
  t.equal(outputOf(ubuntu, 0), '2\n2\n0\n2\n2\n', "loose reverse-path filtering, forwarding off; a made namespace has them too")
  t.equal(outputOf(ubuntu, 1), '2\n2\n0\n', 'and a container')
  const centos = await run(fm(`${topo}sysctl:\n  defaults: centos\n  net.ipv4.conf.all.rp_filter: 0\n`) + body)
  t.equal(outputOf(centos, 0), '0\n1\n0\n0\n1\n', "the lab's own after the distro's")
  const debian = await run(fm(`${topo}sysctl:\n  defaults: debian\n  net.ipv4.ip_forward: 1\n`) + body)
  t.equal(outputOf(debian, 0), '0\n0\n1\n0\n0\n')
  const docker = await run(fm('topology:\n  docker: true\n') + step('cat /proc/sys/net/ipv4/ip_forward'))
  t.equal(outputOf(docker, 0), '1\n', 'docker: true still turns forwarding on')
  await t.rejects(run(fm('sysctl:\n  net.ipv4.tcp_nslab_nothing: 1\n') + step('true')), {
    code: 'PREREQUISITE',
    message: /^the lab host cannot set net\.ipv4\.tcp_nslab_nothing to 1 \(line 4 of the lab\)/,
  }, "a setting of the lab's own that this kernel lacks: the machine lacks it (exit 3)")
})

t.test('lint checks the sysctl map at its lines', async (t) => {
  const problems = (front: string) => parseLab(`${fm(front)}${step('true')}`, 'lab.md').problems.map(formatProblem)
  t.same(problems('sysctl:\n  defaults: ubunt\n'), ['lab.md:4: sysctl defaults is a distro whose settings the lab host starts with: ubuntu, debian, centos, kernel, not "ubunt" (did you mean "ubuntu"?)'])
  t.same(problems('sysctl:\n  kernel.sysrq: 1\n'), ["lab.md:4: kernel.sysrq is the machine's setting, not the lab host's: a lab host sets only net.* (each network namespace has its own)"])
  t.same(problems('sysctl:\n  net.ipv4.conf.all.rp_fliter: 1\n'), ['lab.md:4: unknown setting net.ipv4.conf.all.rp_fliter (did you mean "net.ipv4.conf.all.rp_filter"?)'])
  t.same(problems('sysctl:\n  net.ipv4.conf.veth0.rp_filter: 1\n'), [
    'lab.md:4: the lab host has no interface veth0 when it is built (it has lo): set net.ipv4.conf.default.rp_filter (every interface made later starts with it), or set it in a step with sysctl -w',
  ])
  t.same(problems('sysctl:\n  net.ipv4.ip_froward: 1\n'), ['lab.md:4: unknown setting net.ipv4.ip_froward (did you mean "net.ipv4.ip_forward"?)'])
  t.same(problems('sysctl:\n  net.core.default_qdisc: fq\n'), ["lab.md:4: net.core.default_qdisc is the machine's setting, not a network namespace's: a lab host cannot set it"])
  t.same(problems('sysctl:\n  net.ipv4.ip_forward: [1]\n'), ['lab.md:4: the value of net.ipv4.ip_forward is a number or a few words, such as 1 or "32768 60999", not a list'])
  t.same(problems('sysctl: 1\n'), ['lab.md:3: sysctl is a map of settings, e.g. net.ipv4.conf.all.rp_filter: 1 (and defaults: ubuntu, debian, centos, kernel), not 1'])
  t.same(problems('topology:\n  internet: true\nsysctl:\n  net.ipv4.conf.eth0.rp_filter: 1\n  net.ipv4.ip_local_port_range: "32768 60999"\n'), [])
})

t.test('a failing step says its line and command, and when bash -e ended it before its last line', async (t) => {
  const r = await run(
    fm() +
      step('echo one\nip link add veth0 type veth peer name ceth0\nip link add veth0 type veth peer name ceth0\necho never') + // 5–8
      '\n' +
      step('false\necho after', 'sh step exit=1') + // 13–14
      step('(\n  true\n  false\n)\necho after', 'sh step exit=1') + // 17–21
      step('ping -c 1 -W 1 10.99.99.99', 'sh step exit=any') + // 24
      step('ls /nonexistent\necho after', 'sh step exit=any'), // 27–28
  )
  const [first] = r.blocks
  t.equal(first!.status, 'fail')
  t.equal(
    first!.message,
    'it exited with status 2, expected 0: line 7 (ip link add veth0 type veth peer name ceth0) failed, and bash -e ended the step there (line 8 did not run)',
  )
  t.equal(blockFailure(first!).line, 7, 'reporters point at the failing line')
  t.match(first!.exec!.output, /^one\nRTNETLINK answers: File exists\n$/, "the trap's report is not in what the step printed")
  t.notOk(first!.exec!.stderr.includes('nslab-failed'))
  const later = await run(fm() + step('false\necho after', 'sh step exit=1') + step('(\n  true\n  false\n)\necho after', 'sh step exit=1') + step('ping -c 1 -W 1 10.99.99.99', 'sh step exit=any') + step('ls /nonexistent\necho after', 'sh step exit=any'))
  t.same(
    later.blocks.map((b) => [b.status, b.message]),
    [
      ['fail', 'it exited with status 1 as expected, but at line 5 (false), before its last line: bash -e ended it there and line 6 did not run; put the command that fails last, or end the others that may fail with || true'],
      ['skip', 'skipped: the step at line 4 failed'],
      ['skip', 'skipped: the step at line 4 failed'],
      ['skip', 'skipped: the step at line 4 failed'],
    ],
  )
  const sub = await run(fm() + step('(\n  true\n  false\n)\necho after', 'sh step exit=1') + step('ping -c 1 -W 1 10.99.99.99', 'sh step exit=any') + step('ls /nonexistent\necho after', 'sh step exit=any'))
  t.match(sub.blocks[0]!.message, /^it exited with status 1 as expected, but at line 7 \(false\), before its last line/, 'inside a subshell: the line inside')
  const any = await run(fm() + step('ping -c 1 -W 1 10.99.99.99', 'sh step exit=any') + step('ls /nonexistent\necho after', 'sh step exit=any'))
  t.same(any.blocks.map((b) => b.status), ['pass', 'pass'])
  t.equal(any.blocks[0]!.message, undefined, 'its last line: nothing skipped, nothing said')
  t.equal(any.blocks[1]!.message, 'note: line 8 (ls /nonexistent) failed with status 2 and bash -e ended the step there: line 9 did not run')
})

t.test('a step that times out keeps what it printed: interrupted as Ctrl-C would, then killed', async (t) => {
  const r = await run(fm() + step('echo start\nping -i 0.2 127.0.0.1 | grep --line-buffered -v nothing', 'sh step timeout=1500ms') + step('echo start\nping -i 0.2 127.0.0.1 | cat', 'sh step timeout=1500ms'))
  const b = r.blocks[0]!
  t.equal(b.status, 'fail')
  t.equal(b.message, 'it did not finish within 1500 ms (timeout)')
  t.ok(b.exec?.timedOut)
  t.match(b.exec?.output, /^start\nPING 127\.0\.0\.1 .*\n64 bytes from 127\.0\.0\.1: icmp_seq=1 /m)
  const alone = await run(fm() + step('echo start\nping -i 0.2 127.0.0.1', 'sh step timeout=1500ms'))
  t.match(alone.blocks[0]!.exec?.output, /--- 127\.0\.0\.1 ping statistics ---\n\d+ packets transmitted, \d+ received/, "ping's statistics, printed on SIGINT")
  const piped = await run(fm() + step('echo start\nping -i 0.2 127.0.0.1 | cat', 'sh step timeout=1500ms'))
  t.match(piped.blocks[0]!.exec?.output, /icmp_seq=1 /, 'a pipeline whose last program buffers (cat to a pipe) loses nothing')
})

t.test('a network namespace the steps make is a machine for on= and checks, resolved when it runs', async (t) => {
  const r = await run(
    fm('topology:\n  internet: true\n') +
      check('no netns netns0') +
      step('sudo ip netns add netns0\nsudo ip link add veth0 type veth peer name ceth0\nsudo ip link set ceth0 netns netns0\nsudo ip link set veth0 up\nsudo ip addr add 172.18.0.11/16 dev veth0') +
      step('ip link set lo up\nip link set ceth0 up\nip addr add 172.18.0.10/16 dev ceth0\nip -br addr show ceth0', 'sh step on=netns0') +
      check('ping netns0 host\nping host netns0\naddr netns0 ceth0 172.18.0.10/16\nroute host 172.18.0.10 dev veth0\nroute netns0 172.18.0.11 dev ceth0\nsh netns0 "ip -br addr show ceth0 | grep -q 172.18.0.10"'),
  )
  t.same(summary(r), ['pass', 'pass', 'pass', 'pass'], JSON.stringify(r.blocks.map((b) => b.message)))
  t.match(outputOf(r, 2), /^ceth0@if\d+ +UP +172\.18\.0\.10\/16/)
  t.match(r.blocks[3]!.checks![0]!.sentence, /^netns0 got a reply from host at 172\.18\.0\.11/, "host as netns0 reaches it: its address on their link")
  const early = await run(fm() + check('ping netns9 127.0.0.1 within=300ms') + step('true', 'sh step on=netns9') + step('ip netns add netns9'))
  t.match(early.blocks[0]!.message, /no machine "netns9" in this lab now \(it has: host\)/)
  t.equal(early.blocks[0]!.checks![0]!.invalid, true, 'a check about a machine not made yet cannot be judged: it fails, negated or not')
  t.match(early.blocks[1]!.message, /^it could not run on netns9: no machine "netns9" in this lab now/)
})

t.test('a Docker-style link in /run/netns is read in the lab, never followed from this machine', async (t) => {
  const machineNet = readlinkSync('/proc/self/ns/net')
  const r = await run(
    fm() +
      step('unshare --net sleep 600 &\nsleep 0.3\nln -s /proc/$!/ns/net /var/run/netns/c1\nln -s /proc/1/ns/net /run/netns/lab1\nln -s /proc/999999/ns/net /run/netns/gone\nln -s /etc/passwd /run/netns/passwd\nln -s /proc/self/ns/net /run/netns/self\ntouch /run/netns/plain /run/netns/fifo\nrm /run/netns/fifo\nmkfifo /run/netns/fifo') +
      check('sh c1 "readlink /proc/self/ns/net > /tmp/c1"\nsh lab1 "readlink /proc/self/ns/net > /tmp/lab1"\nsh host "readlink /proc/self/ns/net > /tmp/host"') +
      check('sh gone "true" within=200ms') +
      check('sh passwd "true" within=200ms') +
      check('sh self "true" within=200ms') +
      check('sh plain "true" within=200ms') +
      check('sh fifo "true" within=200ms') +
      step('cat /tmp/c1 /tmp/lab1 /tmp/host'),
  )
  t.equal(r.blocks[1]!.status, 'pass', JSON.stringify(r.blocks[1]!.checks?.map((c) => c.sentence)))
  for (let i = 2; i <= 6; i++) t.match(r.blocks[i]!.message, /no machine "\w+" in this lab now/, `${r.blocks[i]!.checks![0]!.check.source}: no machine`)
  const [c1, lab1, host] = outputOf(r, 7).trim().split('\n')
  t.not(c1, host, "the unshared process's namespace")
  t.equal(lab1, host, "the lab's pid 1 is the lab's, in the lab host's namespace")
  t.not(host, machineNet, "never this machine's")
})

t.test("a re-addressed machine's name follows it, in checks and in /etc/hosts", async (t) => {
  const r = await run(
    fm('topology:\n  internet: true\n') +
      step('ip addr del 203.0.113.10/32 dev lo\nip addr add 192.0.2.99/32 dev lo', 'sh setup on=internet') +
      check('ping host internet\nsh host "getent hosts internet | grep -q ^192.0.2.99"'),
  )
  t.same(summary(r), ['pass', 'pass'], JSON.stringify(r.blocks.map((b) => b.checks?.map((c) => c.sentence))))
  t.match(r.blocks[1]!.checks![0]!.sentence, /at 192\.0\.2\.99/)
})

t.test('no name server: a lookup fails at once instead of waiting on the machine\'s', async (t) => {
  const r = await run(fm('topology:\n  internet: true\n') + step('t0=$(date +%s%N)\ngetent hosts 203.0.113.99 || echo "no name"\necho $(( ($(date +%s%N) - t0) / 1000000 ))'))
  const [said, ms] = outputOf(r, 0).trim().split('\n')
  t.equal(said, 'no name')
  t.ok(Number(ms) < 4000, `a reverse lookup gave up after ${ms} ms (a name server out of reach takes 5 s a try)`)
})
