// nslab import (issue 15, "start from the tutorial you have"): a tutorial's
// code blocks read as commands and outputs, outputs as patterns that a lab
// host's run can match, the checks a command suggests, and the lab made of
// three published walk-throughs written out in test/fixtures/tutorials/.
// That the labs run (and the suggested checks hold) is test/run/imported-tutorials.test.ts.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { checkSuggestions } from '../../runner/lab/check-suggestions.js'
import { importTutorial, listensOn } from '../../runner/lab/import-tutorial.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { outputPattern } from '../../runner/lab/output-pattern.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { shellCommands } from '../../runner/lab/shell-commands.js'
import { tutorialCommands } from '../../runner/lab/tutorial-commands.js'

const TUTORIALS = new URL('../fixtures/tutorials/', import.meta.url)
const tutorial = (name: string) => readFileSync(new URL(name, TUTORIALS), 'utf8')
/** The lines suggested where a check could go, per place. */
const suggestionsIn = (lab: string) => [...lab.matchAll(/<!-- nslab import: a check could go here, e\.g\. (.*) -->/g)].map((m) => m[1]!.split(' · '))
const words = (cmd: string) => shellCommands(cmd).commands[0]!.words

t.test('commands and outputs of a session block: prompts off, continued lines joined', async (t) => {
  t.same(
    tutorialCommands('console', ['$ sudo ip netns add x', '$ ip netns', 'x', '', 'user@vm:~$ ip link add a \\', '>   type veth peer name b', '[root@c7 ~]# ip link', '1: lo: <LOOPBACK>', ''].join('\n')),
    [
      { text: 'sudo ip netns add x', output: [] },
      { text: 'ip netns', output: ['x'] },
      { text: 'ip link add a \\\n  type veth peer name b', output: [] },
      { text: 'ip link', output: ['1: lo: <LOOPBACK>'] },
    ],
  )
  t.same(tutorialCommands('console', '$ cat > /tmp/f <<EOF\nhello\n$ not a prompt here\nEOF\n$ cat /tmp/f\nhello\n'), [
    { text: 'cat > /tmp/f <<EOF\nhello\n$ not a prompt here\nEOF', output: [] },
    { text: 'cat /tmp/f', output: ['hello'] },
  ])
})

t.test('# is a root prompt before a command, a comment before prose', async (t) => {
  t.same(tutorialCommands('console', '# ip netns add ns1\n# now the other end\n# ip link\n1: lo\n'), [
    { text: 'ip netns add ns1', output: ['# now the other end'] },
    { text: 'ip link', output: ['1: lo'] },
  ])
  // A script block keeps its comments: they are no prompts there.
  t.same(tutorialCommands('bash', '# make it\nip netns add x\n'), [{ text: '# make it\nip netns add x', output: [] }])
  t.equal(tutorialCommands('console', '1: lo: <LOOPBACK>\n'), undefined, 'a session block without prompts is output')
  t.same(tutorialCommands('bash', '\n'), [])
})

t.test('outputs vary where machines differ: times, MACs, interface numbers, the author’s own interfaces', async (t) => {
  const ipLink = ['1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000', '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00', '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000', '    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff', '5: veth0@if4: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state LOWERLAYERDOWN mode DEFAULT group default qlen 1000', '    link/ether 6e:1a:22:33:44:55 brd ff:ff:ff:ff:ff:ff link-netnsid 0']
  t.same(outputPattern(ipLink, { words: ['ip', 'link'], interfaces: new Set(['veth0', 'ceth0']) }), [
    '{*}: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '...',
    '{*}: veth0@if{*}: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state {*} mode DEFAULT group default qlen 1000',
    '    link/ether {*} brd ff:ff:ff:ff:ff:ff link-netnsid {*}',
  ])
  t.same(outputPattern(['default via 10.0.2.2 dev eth0 proto dhcp metric 100', '10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15', '172.18.0.0/16 dev br0 proto kernel scope link src 172.18.0.1'], { words: ['ip', 'route'], interfaces: new Set(['br0']) }), ['...', '172.18.0.0/16 dev br0 proto kernel scope link src 172.18.0.1'])
  t.same(outputPattern(['64 bytes from 10.1.1.1: icmp_seq=1 ttl=64 time=0.110 ms', '3 packets transmitted, 3 received, 0% packet loss, time 2043ms', 'rtt min/avg/max/mdev = 0.059/0.077/0.110/0.023 ms'], { words: ['ping', '-c', '3', '10.1.1.1'], interfaces: new Set() }), [
    '64 bytes from 10.1.1.1: icmp_seq=1 ttl={*} time={*} ms',
    '3 packets transmitted, 3 received, 0% packet loss, time {*}ms',
    'rtt min/avg/max/mdev = {*}',
  ])
  t.same(outputPattern(['Chain POSTROUTING (policy ACCEPT 12 packets, 803 bytes)', '    1    84 MASQUERADE  all  --  *      eth0    10.200.1.0/24        0.0.0.0/0'], { words: ['iptables', '-t', 'nat', '-nvL'], interfaces: new Set() }), [
    'Chain POSTROUTING (policy ACCEPT {*} packets, {*} bytes)',
    '{*} MASQUERADE  {*} --  *      eth0    10.200.1.0/24        0.0.0.0/0',
  ])
})

t.test('the checks a command suggests, and they parse', async (t) => {
  const cases: [string, string, string[]][] = [
    ['sudo ip netns add netns0', 'host', ['netns netns0']],
    ['ip netns exec ns1 ip addr add 10.200.1.2/24 dev v-peer1', 'host', ['addr ns1 v-peer1 10.200.1.2/24']],
    ['ip addr add 172.18.0.10/16 dev ceth0', 'netns0', ['addr netns0 ceth0 172.18.0.10/16']],
    ['sudo ip link set veth0 master br0', 'host', ['master veth0 br0']],
    ['ip route add default via 172.18.0.1', 'netns1', ['route netns1 default via 172.18.0.1']],
    ['ip -n ns1 route add 10.9.0.0/16 dev v-peer1', 'host', ['route ns1 10.9.0.0/16 dev v-peer1']],
    ['sudo iptables -t nat -A POSTROUTING -s 172.18.0.0/16 ! -o br0 -j MASQUERADE', 'host', ['rule nat POSTROUTING -s 172.18.0.0/16 ! -o br0 -j MASQUERADE']],
    ['iptables -I FORWARD 1 -t filter -i br0 -j ACCEPT', 'host', ['rule filter FORWARD -i br0 -j ACCEPT']],
    ['iptables -P FORWARD DROP', 'host', ['policy filter FORWARD DROP']],
    ['sudo sysctl -w net.ipv4.ip_forward=1', 'host', ['sysctl host net.ipv4.ip_forward 1']],
    ["sudo bash -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'", 'host', ['sysctl host net.ipv4.ip_forward 1']],
    ['sudo nft add rule ip lab postrouting ip saddr 192.168.50.0/24 oifname != "br0" counter masquerade', 'host', ['nft host ip lab postrouting ip saddr 192.168.50.0/24 oifname != br0 counter masquerade']],
    ['nft add rule lab postrouting masquerade', 'host', ['nft host ip lab postrouting masquerade']],
    ["nft add chain ip lab postrouting '{ type nat hook postrouting priority srcnat + 5; policy accept; }'", 'host', ['nft host ip lab postrouting type=nat hook=postrouting priority=srcnat+5 policy=accept']],
    ['nft add table inet fw', 'host', ['nft host inet fw']],
    ['ip netns exec box1 nft insert rule inet fw input position 3 tcp dport 22 accept', 'host', ['nft box1 inet fw input tcp dport 22 accept']],
    [`nft add rule ip lab forward tcp dport '{ 80, 443 }' accept comment '"allow web"'`, 'host', ['nft host ip lab forward tcp dport { 80, 443 } accept comment "allow web"']],
    ['nft list ruleset', 'host', []],
    ['nft -f rules.nft', 'host', []],
    ['ip link', 'host', []],
    ['iptables -F FORWARD', 'host', []],
  ]
  for (const [cmd, on, want] of cases) {
    const got = checkSuggestions(words(cmd), on, cmd)
    t.same(got, want, cmd)
    for (const line of got) t.equal(parseCheck(line, 1).problem, undefined, `${line} parses`)
  }
  t.same(checkSuggestions(words('echo 1 > /proc/sys/net/ipv4/ip_forward'), 'host', 'echo 1 > /proc/sys/net/ipv4/ip_forward'), ['sysctl host net.ipv4.ip_forward 1'])
})

t.test('servers a tutorial leaves running', async (t) => {
  t.equal(listensOn(words('python3 -m http.server 5000')), 5000)
  t.equal(listensOn(words('python3 -m http.server')), 8000)
  t.equal(listensOn(words('python3 -m http.server --bind 127.0.0.1 9000')), 9000)
  t.equal(listensOn(words('nc -l -p 1234')), 1234)
  t.equal(listensOn(words('nc -lk 4321')), 4321)
  t.equal(listensOn(words('socat TCP-LISTEN:8080,fork -')), 8080)
  t.equal(listensOn(words('iperf3 -s')), 5201)
  t.equal(listensOn(words('nc 10.0.0.1 1234')), undefined)
  t.equal(listensOn(words('curl 172.18.0.10:5000')), undefined)
})

for (const name of ['container-networking.md', 'netns-basics.md', 'netns-nat.md']) {
  t.test(`${name}: a lab that lints clean, with places for checks whose suggestions are valid`, async (t) => {
    const r = importTutorial(tutorial(name), `test/fixtures/tutorials/${name}`)
    const parsed = parseLab(r.text, name)
    t.same(parsed.problems.map(formatProblem), [], 'no problems')
    t.same(parsed.warnings.map(formatProblem), [], 'no warnings')
    t.ok(parsed.lab)
    const steps = parsed.lab!.blocks.filter((b) => b.kind === 'script' && b.role === 'step')
    t.equal(steps.length, r.steps)
    t.equal(parsed.lab!.blocks.filter((b) => b.kind === 'output').length, r.outputs)
    t.ok(r.places > 0)
    const places = suggestionsIn(r.text)
    t.equal(places.length, r.places - (r.text.match(/a check could go here: what should hold now\?/g)?.length ?? 0))
    for (const line of places.flat()) t.equal(parseCheck(line, 1).problem, undefined, `${line} parses`)
    // The tutorial's prose stays.
    for (const heading of tutorial(name).replace(/^```[\s\S]*?^```$/gm, '').match(/^#+ .*$/gm) ?? []) t.ok(r.text.includes(heading), heading)
    // No prompts and no public address are left in the steps.
    for (const s of r.text.matchAll(/```sh step[^\n]*\n([\s\S]*?)```/g)) {
      t.notMatch(s[1]!, /^(\$|#) /m, 'no prompt')
      t.notMatch(s[1]!, /\b8\.8\.8\.8\b/, 'no public address')
    }
  })
}

t.test('container-networking.md: shells in namespaces, sudo kept, the server, the outside world', async (t) => {
  const r = importTutorial(tutorial('container-networking.md'), 'container-networking.md')
  const lab = parseLab(r.text, 'lab.md').lab!
  t.match(r.text, /^topology:\n {2}internet: true$/m)
  t.match(r.text, /```sh step\nsudo ip netns add netns0\nip netns\n```/, 'sudo kept')
  for (const s of r.text.matchAll(/```sh step[^\n]*\n([\s\S]*?)```/g)) t.notMatch(s[1]!, /nsenter --net/, 'the shell the tutorial opens is gone')
  t.ok(lab.blocks.some((b) => b.kind === 'script' && b.on === 'netns0'), 'its commands run on netns0')
  t.ok(lab.blocks.some((b) => b.kind === 'script' && b.on === 'netns1'))
  t.match(r.text, /```sh step on=netns0 background\npython3 -m http\.server --bind 172\.18\.0\.10 5000\n```\n\n```check\nsh netns0 "ss -ltn \| grep -q ':5000 '" within=5s\n```/)
  t.match(r.text, /ping -c 2 203\.0\.113\.10/, 'the public address is the lab internet')
  t.match(r.text, /-d 198\.51\.100\.2\b/, "the author's own address is the lab host's uplink")
  t.match(r.notes.join('\n'), /on=netns0/)
})

t.test('netns-basics.md: plain blocks after a command are its output', async (t) => {
  const r = importTutorial(tutorial('netns-basics.md'), 'netns-basics.md')
  t.match(r.text, /```sh step\nip netns add blue\nip netns list\n```\n\n```output\nblue\n```/)
  t.match(r.text, /```output\n\{\*\}: lo: <LOOPBACK> mtu 65536 qdisc noop state \{\*\}/)
  t.notMatch(r.text, /^topology:/m, 'no internet when nothing goes out')
  t.match(r.text, /```output\n10\.1\.1\.0\/24 dev veth1 proto kernel scope link src 10\.1\.1\.1\n```/)
})

t.test('netns-nat.md: root prompts, a ping without -c, the author’s addresses', async (t) => {
  const r = importTutorial(tutorial('netns-nat.md'), 'netns-nat.md')
  t.match(r.text, /```sh step\nip addr show eth0\n```\n\n```output\n\.\.\.\n```/, "the author's eth0 is theirs")
  t.match(r.text, /```output\nPING 203\.0\.113\.10 \(203\.0\.113\.10\)/)
  t.match(r.text, /rule nat POSTROUTING -s 10\.200\.1\.0\/255\.255\.255\.0 -o eth0 -j MASQUERADE/)
  const unbounded = importTutorial('# t\n\n```console\n$ ping 1.1.1.1\n```\n', 't.md')
  t.match(unbounded.text, /```sh step\nping -c 3 203\.0\.113\.10\n```/, 'a ping left to run until Ctrl-C gets -c 3')
})

t.test('failures a tutorial shows are expected exits', async (t) => {
  const r = importTutorial(
    '# t\n\n```console\n$ ping -c 2 10.9.9.9\nPING 10.9.9.9 (10.9.9.9) 56(84) bytes of data.\n\n--- 10.9.9.9 ping statistics ---\n2 packets transmitted, 0 received, 100% packet loss, time 1010ms\n$ curl 10.9.9.9\ncurl: (7) Failed to connect to 10.9.9.9 port 80\n$ ip link add x type dummy\nRTNETLINK answers: File exists\n```\n',
    't.md',
  )
  t.match(r.text, /```sh step exit=1 timeout=20s\nping -c 2 10\.9\.9\.9\n```/)
  t.match(r.text, /```sh step exit=7\ncurl 10\.9\.9\.9\n```/)
  t.match(r.text, /```sh step exit=any\nip link add x type dummy\n```/)
  t.same(parseLab(r.text, 't.md').problems.map(formatProblem), [])
})
