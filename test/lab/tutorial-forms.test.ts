// What a lab written from a published tutorial needs of the format (issue 15):
// namespaces its steps make are machines, check blocks name the step they are
// proven against, lint warns of commands that need a terminal.
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { CheckBlock, ScriptBlock } from '../../runner/lab/lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { madeNamespaces } from '../../runner/lab/made-namespaces.js'

const FM = '---\ntitle: A lab\ntopology:\n  docker: true\n  containers: [box1]\n---\n'
/** Body line 1 is file line 7. */
const lab = (body: string) => FM + body
const problemsOf = (text: string) => parseLab(text, 'lab.md').problems.map(formatProblem)
const warningsOf = (text: string) => parseLab(text, 'lab.md').warnings.map(formatProblem)

t.test('a namespace a step makes is a machine for checks and on=', async (t) => {
  const text = lab(
    [
      '```sh step',
      'sudo ip netns add netns0',
      'ip netns add "netns 1"',
      '```',
      '```sh step on=netns0',
      'ip link set lo up',
      '```',
      '```check',
      'ping netns0 host',
      'addr netns0 lo 127.0.0.1',
      'route netns0 default via host',
      '```',
    ].join('\n'),
  )
  t.same(problemsOf(text), [])
  const l = parseLab(text, 'lab.md').lab!
  t.equal((l.blocks[1] as ScriptBlock).on, 'netns0')
  // Made later in the lab counts too: a check may look before it exists (and fail).
  t.same(problemsOf(lab('```check\nno ping ns9 host\n```\n```sh step\nip netns add ns9\n```\n')), [])
  // Docker's way (a link in /var/run/netns), ip netns attach, unshare --net=FILE.
  t.same(problemsOf(lab('```sh step\nln -sf /proc/$pid/ns/net /var/run/netns/c1\nip netns attach c2 $$\nunshare --net=/run/netns/c3 true\n```\n```check\nping c1 c2\nsh c3 "true"\n```\n')), [])
  t.same(
    [...madeNamespaces(parseLab(lab('```sh step\nip netns add a\nip -n a link\nip netns exec a ip netns add b\nfor i in 1 2; do ip netns add ns$i; done\n```\n'), 'lab.md').lab!.blocks)],
    [['a', 8], ['b', 10]],
    'written names, with their lines; not ones bash builds (ns$i)',
  )
})

t.test('a name neither declared nor made keeps its did-you-mean', async (t) => {
  t.same(problemsOf(lab('```sh step\nip netns add netns0\n```\n```check\nping netsn0 host\n```\n')), [
    'lab.md:11: unknown machine "netsn0" (did you mean "netns0"?)',
  ])
  t.same(problemsOf(lab('```sh step on=ns1\ntrue\n```\n```sh step\nip netns add ns2\n```\n')), ['lab.md:7: unknown machine "ns1" in on= (did you mean "ns2"?)'])
  t.same(problemsOf(lab('```check\nping zzz host\n```\n')), [
    'lab.md:8: unknown machine "zzz"; this lab has host, box1 (and any network namespace its steps make with ip netns add)',
  ])
})

t.test('after= names a step with an id before the check block', async (t) => {
  const ok = lab('```sh step id=add-route\nip route add 10.9.0.0/16 dev docker0\n```\n```sh step\nip route\n```\n```check after=add-route\nroute host 10.9.0.1 dev docker0\n```\n')
  t.same(problemsOf(ok), [])
  const l = parseLab(ok, 'lab.md').lab!
  t.equal((l.blocks[0] as ScriptBlock).id, 'add-route')
  t.equal((l.blocks[2] as CheckBlock).after, 'add-route')
  t.same(problemsOf(lab('```sh step id=add-route\ntrue\n```\n```check after=add-rout\nnetns box1\n```\n')), [
    'lab.md:10: after=add-rout names no step before this check block (did you mean "add-route"?)',
  ])
  t.same(problemsOf(lab('```check after=later\nnetns box1\n```\n```sh step id=later\ntrue\n```\n')), [
    'lab.md:7: after=later names the step on line 10, which comes after this check block: after= names a step before it',
  ])
  t.same(problemsOf(lab('```sh step\ntrue\n```\n```check after=x\nnetns box1\n```\n')), [
    'lab.md:10: after=x names no step before this check block; give that step an id=, e.g. ```sh step id=x',
  ])
  t.same(problemsOf(lab('```sh step\ntrue\n```\n```check after\nnetns box1\n```\n')), ['lab.md:10: after needs the id= of a step before the block: write after=STEP-ID'])
  t.same(problemsOf(lab('```sh step id=a\ntrue\n```\n```sh solution id=a\ntrue\n```\n')), [
    'lab.md:10: a step and a solution have the id "a" (the other is on line 7): give each its own id=',
  ])
})

t.test('lint warns of commands that need a terminal, at their line, and the lab still runs', async (t) => {
  const text = lab(
    [
      '```sh step', // 7
      'sudo ip netns add netns0',
      'sudo nsenter --net=/var/run/netns/netns0',
      'ip link set lo up',
      'exit',
      '```',
      '```sh step', // 13
      'ip netns exec netns0 bash',
      'docker exec -it web sh',
      'sudo -i',
      'ping 172.18.0.10',
      'ping -c 2 172.18.0.10',
      'cat <<EOF | bash',
      'echo hi',
      'EOF',
      'bash <<EOF',
      'echo hi',
      'EOF',
      'unshare --net',
      'vi /etc/hosts',
      '```',
      '```sh step background',
      'tcpdump -ni any',
      '```',
    ].join('\n'),
  )
  t.same(problemsOf(text), [], 'warnings are no problems')
  const w = warningsOf(text)
  t.same(
    w.map((x) => x.replace(/^(lab\.md:\d+: warning: "[^"]*").*$/, '$1')),
    [
      'lab.md:9: warning: "sudo nsenter --net=/var/run/netns/netns0"',
      'lab.md:14: warning: "ip netns exec netns0 bash"',
      'lab.md:15: warning: "docker exec -it web sh"',
      'lab.md:16: warning: "sudo -i"',
      'lab.md:17: warning: "ping 172.18.0.10"',
      'lab.md:25: warning: "unshare --net"',
      'lab.md:26: warning: "vi /etc/hosts"',
    ],
  )
  t.match(w[0], /opens a shell, which in a step exits at once \(a step has no terminal\): the lines after it run on the host, not in netns0; give each command its own sudo nsenter --net=\/var\/run\/netns\/netns0 \(sudo nsenter --net=\/var\/run\/netns\/netns0 ip link set lo up\), or put them in a step with on=netns0/)
  t.match(w[1], /run each command as ip netns exec netns0 COMMAND, or put them in a step with on=netns0/)
  t.match(w[4], /pings until Ctrl-C.*write ping -c 3/)
  t.same(warningsOf(lab('```sh step exit=any\nip link del veth0\nip link del veth1\n```\n')), [
    'lab.md:7: warning: with exit=any, bash -e still ends this step at the first command that fails, and the lines after it do not run: end a command that may fail with || true (or say exit=N for the last one)',
  ])
  t.same(warningsOf(lab('```sh step exit=any\nip link del veth0\n```\n')), [], 'one command: nothing skipped')
})

t.test('the sysctl example of docs/lab-format.md is what it says', async (t) => {
  const doc = readFileSync(new URL('../../docs/lab-format.md', import.meta.url), 'utf8')
  const yaml = /```yaml\n(sysctl:\n[\s\S]*?)```/.exec(doc)![1]!
  const r = parseLab(`---\ntitle: x\n${yaml}---\n\`\`\`sh step\ntrue\n\`\`\`\n`, 'lab.md')
  t.same(r.problems.map(formatProblem), [])
  const settings = r.lab!.topology.sysctl!.map((s) => `${s.key}=${s.value}`)
  t.ok(settings.includes('net.ipv4.conf.all.rp_filter=1'))
  t.ok(settings.includes('net.ipv4.ip_local_port_range=32768 60999'))
  t.ok(settings.includes('net.ipv4.conf.all.promote_secondaries=1'), "CentOS's set")
  t.ok(settings.includes('net.ipv4.ip_forward=0'))
})
