import t from 'tap'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { CONNTRACK_USAGE } from '../../runner/lab/conntrack-check-problem.js'
import { splitWords } from '../../runner/lab/split-words.js'
import { didYouMean } from '../../runner/util/did-you-mean.js'
import { parseDuration } from '../../runner/util/parse-duration.js'
import { parseCidr, parseIPv4 } from '../../runner/lab/parse-ipv4.js'

/** verb, negated, args, options and withinMs of a line that must parse. */
function ok(line: string) {
  const r = parseCheck(line, 7)
  if (!r.check) throw new Error(`${line}: ${r.problem}`)
  const { verb, negated, args, options, withinMs } = r.check
  return { verb, negated, args, options, withinMs, machineArgs: r.machineArgs }
}
const bad = (line: string) => parseCheck(line, 7).problem

t.test('every verb, written right', async (t) => {
  t.same(ok('ping box1 box2'), { verb: 'ping', negated: false, args: ['box1', 'box2'], options: {}, withinMs: 2000, machineArgs: [0, 1] })
  t.same(ok('ping box1 203.0.113.10').machineArgs, [0], 'an address is not a machine')
  t.same(ok('no ping box1 internet within=500ms'), {
    verb: 'ping',
    negated: true,
    args: ['box1', 'internet'],
    options: { within: '500ms' },
    withinMs: 500,
    machineArgs: [0, 1],
  })
  t.same(ok('http host http://172.17.0.2:8080/x?a=b status=404 contains="not found"'), {
    verb: 'http',
    negated: false,
    args: ['host', 'http://172.17.0.2:8080/x?a=b'],
    options: { status: '404', contains: 'not found' },
    withinMs: 2000,
    machineArgs: [0],
  })
  t.same(ok('http box1 https://box2/').args, ['box1', 'https://box2/'])
  t.same(ok('http box1 http://box2/ status=4xx').options, { status: '4xx' })
  t.same(ok('rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE min-packets=3'), {
    verb: 'rule',
    negated: false,
    args: ['nat', 'POSTROUTING', '-s', '172.17.0.0/16', '!', '-o', 'docker0', '-j', 'MASQUERADE'],
    options: { 'min-packets': '3' },
    withinMs: 2000,
    machineArgs: [],
  })
  t.same(ok('rule filter INPUT ! -i lo -m comment --comment "a b" -j ACCEPT').args, [
    'filter', 'INPUT', '!', '-i', 'lo', '-m', 'comment', '--comment', 'a b', '-j', 'ACCEPT',
  ])
  t.same(ok('policy filter FORWARD DROP').args, ['filter', 'FORWARD', 'DROP'])
  t.same(ok('policy nat POSTROUTING ACCEPT').args, ['nat', 'POSTROUTING', 'ACCEPT'])
  t.same(ok('addr box1 eth0 172.17.0.0/16').machineArgs, [0])
  t.same(ok('addr box1 eth0 172.17.0.2').args, ['box1', 'eth0', '172.17.0.2'])
  t.same(ok('master veth1a2b3c4 docker0').args, ['veth1a2b3c4', 'docker0'])
  t.same(ok('route box1 default via 172.17.0.1').machineArgs, [0])
  t.same(ok('route host 203.0.113.0/24 via internet').machineArgs, [0, 3])
  t.same(ok('route box1 198.51.100.1 via 172.17.0.1').args, ['box1', '198.51.100.1', 'via', '172.17.0.1'])
  t.same(ok('route host 172.18.0.10 dev veth0').machineArgs, [0], 'directly out of a device: no gateway to name')
  t.same(ok('route host 10.0.0.0/8 via internet dev eth0').machineArgs, [0, 3])
  t.same(ok('sysctl host net.ipv4.ip_forward 1').args, ['host', 'net.ipv4.ip_forward', '1'])
  t.same(ok("sysctl box1 net/ipv4/tcp_rmem '4096 131072 6291456'").args, ['box1', 'net/ipv4/tcp_rmem', '4096 131072 6291456'])
  t.same(ok('sysctl box1 net.ipv4.ip_local_port_range 32768 60999').args, ['box1', 'net.ipv4.ip_local_port_range', '32768', '60999'])
  t.same(ok('netns box1').args, ['box1'])
  t.same(ok('exit 0'), { verb: 'exit', negated: false, args: ['0'], options: {}, withinMs: 2000, machineArgs: [] })
  t.same(ok('no exit 255').negated, true)
  t.same(ok('stdout "3 packets transmitted"').args, ['3 packets transmitted'])
  t.same(ok('stdout /\\d+ received/').options, { regex: '\\d+ received', flags: '' })
  t.same(ok('stdout /a[/]b\\/c/im'), {
    verb: 'stdout',
    negated: false,
    args: ['/a[/]b\\/c/im'],
    options: { regex: 'a[/]b\\/c', flags: 'im' },
    withinMs: 2000,
    machineArgs: [],
  })
  t.same(ok('stdout "/not a regex/"').options, {}, 'a quoted text is text even when it looks like a regex')
  t.same(ok('sh box1 "ip -4 route | grep -q \\"via 172.17.0.1\\""').args, ['box1', 'ip -4 route | grep -q "via 172.17.0.1"'])
  t.same(ok("sh box1 'test $(cat /proc/sys/net/ipv4/ip_forward) = 1'").args, ['box1', 'test $(cat /proc/sys/net/ipv4/ip_forward) = 1'])
  t.same(ok('  ping   box1\tbox2  ').args, ['box1', 'box2'], 'spaces and tabs separate')
  const r = parseCheck('  ping box1 box2  ', 42)
  t.equal(r.check!.line, 42)
  t.equal(r.check!.source, 'ping box1 box2')
})

t.test('every mistake, with what would be right', async (t) => {
  t.equal(bad('pnig box1 box2'), 'unknown check "pnig" (did you mean "ping"?)')
  t.equal(bad('PING box1 box2'), 'unknown check "PING" (did you mean "ping"?)')
  t.equal(bad('not ping box1 box2'), 'unknown check "not" (did you mean "no"?)')
  t.equal(bad('frobnicate x'), 'unknown check "frobnicate"; the checks are ping, http, rule, nft, policy, addr, master, route, sysctl, netns, conntrack, exit, stdout, sh')
  t.equal(bad('no'), '"no" needs a check after it, e.g. no ping box1 internet')
  t.match(bad('constructor box1'), /^unknown check "constructor"; the checks are /, 'names of Object.prototype are no verbs')
  t.match(bad('ping a b within=1constructor'), /unknown unit "constructor"/)
  t.equal(bad('ping box1'), 'too few arguments for ping: write ping FROM TO')
  t.equal(bad('ping box1 box2 box3'), 'too many arguments for ping: write ping FROM TO')
  t.equal(bad('ping box1 300.1.1.1'), '"300.1.1.1" is not an IPv4 address: 300 is more than 255')
  t.equal(bad('ping box1 1.2.3'), '"1.2.3" is not an IPv4 address: write four numbers from 0 to 255 with dots, e.g. 172.17.0.2')
  t.equal(bad('ping box1 box2 within=2'), 'bad within=: "2" has no unit: write 2s or 2ms')
  t.equal(bad('ping box1 box2 witin=2s'), 'unknown option "witin=" for ping (did you mean "within"?)')
  t.equal(bad('ping box1 box2 within=1s within=2s'), 'within= is given twice')
  t.equal(bad('ping box1 box2 within='), 'within= needs a value')
  t.equal(bad('http box1 box2:80'), 'http needs a URL that starts with http:// or https://, not "box2:80"')
  t.equal(bad('http box1 ftp://box2/'), 'http needs a URL that starts with http:// or https://, not "ftp://box2/"')
  t.equal(bad('http box1 http://box2/ status=600'), 'bad status="600": write an HTTP status from 100 to 599, or a class such as 2xx')
  t.equal(bad('http box1 http://box2/ status=ok'), 'bad status="ok": write an HTTP status from 100 to 599, or a class such as 2xx')
  t.equal(bad('http box1 http://box2/ statsu=200'), 'unknown option "statsu=" for http (did you mean "status"?)')
  t.equal(bad('rule nta POSTROUTING -j MASQUERADE'), 'unknown table "nta" (did you mean "nat"?)')
  t.equal(bad('rule nat -A POSTROUTING -j MASQUERADE'), 'write the chain before the rule: rule TABLE CHAIN SPEC…, e.g. rule nat POSTROUTING -s 172.17.0.0/16 -j MASQUERADE')
  t.equal(bad('rule nat POSTROUTING MASQUERADE'), 'the rule is written as after iptables -A POSTROUTING, starting with an option such as -s or -j, not "MASQUERADE"')
  t.equal(bad('rule nat POSTROUTING'), 'too few arguments for rule: write rule TABLE CHAIN SPEC…')
  t.equal(bad('rule nat POSTROUTING -j MASQUERADE min-packets=some'), 'bad min-packets="some": write a whole number, e.g. min-packets=1')
  t.equal(bad('rule nat POSTROUTING -j MASQUERADE status=1'), 'unknown option "status=" for rule; rule takes min-packets=, within=')
  t.equal(bad('policy filter FORWARD REJECT'), 'a policy is ACCEPT or DROP, not "REJECT"')
  t.equal(bad('policy filter FORWARD accept'), 'a policy is ACCEPT or DROP, not "accept" (did you mean "ACCEPT"?)')
  t.equal(bad('policy filter DOCKER DROP'), 'only built-in chains have a policy, and filter has INPUT, FORWARD, OUTPUT, not "DOCKER"')
  t.equal(bad('policy nat FORWRD DROP'), 'only built-in chains have a policy, and nat has PREROUTING, INPUT, OUTPUT, POSTROUTING, not "FORWRD"')
  t.equal(bad('policy filter FORWRD DROP'), 'only built-in chains have a policy, and filter has INPUT, FORWARD, OUTPUT, not "FORWRD" (did you mean "FORWARD"?)')
  t.equal(bad('addr box1 eth0 172.17.0.0/33'), '"172.17.0.0/33" is not a CIDR: the prefix length is 0 to 32')
  t.equal(bad('addr box1 eth0 300.1.1.1/8'), '"300.1.1.1/8" is not a CIDR: 300 is more than 255')
  t.equal(bad('addr box1 eth0 300.1.1.1'), '"300.1.1.1" is not an IPv4 address: 300 is more than 255')
  t.equal(bad('addr box1 eth0 172.17.0.0/'), '"172.17.0.0/" is not a CIDR: the prefix length is 0 to 32')
  t.equal(bad('addr box1 a-name-far-too-long 172.17.0.0/16'), 'IFACE "a-name-far-too-long" is not an interface name: at most 15 characters, without spaces, / or :')
  t.equal(bad('master eth0 br/0'), 'BRIDGE "br/0" is not an interface name: at most 15 characters, without spaces, / or :')
  t.equal(bad('route box1 default 172.17.0.1'), 'too few arguments for route: write route NAME DEST via GW (or dev IFACE, or via GW dev IFACE)')
  t.equal(
    bad('route box1 default gw 172.17.0.1'),
    'write route NAME DEST via GW or route NAME DEST dev IFACE (or both, via first), with the word via before the gateway and dev before the interface (got "gw 172.17.0.1")',
  )
  t.equal(bad('route host 172.18.0.10 dev veth0 via 172.18.0.1')?.startsWith('write route NAME DEST via GW or'), true, 'via before dev')
  t.equal(bad('route host 172.18.0.10 via 172.18.0.1 dev veth0 extra'), 'too many arguments for route: write route NAME DEST via GW (or dev IFACE, or via GW dev IFACE)')
  t.equal(bad('route host 172.18.0.10 dev "veth 0"'), 'IFACE "veth 0" is not an interface name: at most 15 characters, without spaces, / or :')
  t.equal(bad('route box1 defualt via 172.17.0.1'), 'DEST is an address, a CIDR or default, not "defualt" (did you mean "default"?)')
  t.equal(bad('route box1 10.0.0.0/40 via 172.17.0.1'), '"10.0.0.0/40" is not a CIDR: the prefix length is 0 to 32')
  t.equal(bad('route box1 default via 172.17.0.256'), '"172.17.0.256" is not an IPv4 address: 256 is more than 255')
  t.equal(bad('sysctl host "net ipv4" 1'), '"net ipv4" is not a sysctl key, e.g. net.ipv4.ip_forward')
  t.equal(bad('sysctl host net.ipv4.ip_forward ""'), 'sysctl needs the value to compare with: sysctl NAME KEY VALUE')
  t.equal(bad('netns a/b'), '"a/b" is not a network namespace name: letters, digits, -, _ and .')
  t.equal(bad('exit x'), 'exit needs a number from 0 to 255, not "x"')
  t.equal(bad('exit 256'), 'exit needs a number from 0 to 255, not "256"')
  t.equal(bad('exit 0 within=1s'), 'unknown option "within=" for exit; exit takes no options')
  t.equal(bad('stdout hello world'), 'too many arguments for stdout: write stdout "text" or stdout /regex/ (quote the text)')
  t.equal(bad('stdout ""'), 'stdout needs the text to look for: stdout "text"')
  t.equal(bad('stdout /a(/'), 'bad regex /a(/: Unterminated group')
  t.equal(bad('stdout /abc'), 'the regex /abc has no closing /: write stdout /regex/')
  t.equal(bad('stdout /a/g'), 'bad regex flags "g": use i, m, s or u')
  t.equal(bad('stdout /a/x'), 'bad regex flags "x": use i, m, s or u')
  t.equal(bad('stdout /a/"x"'), 'unexpected text after the regex /a/: write stdout /regex/')
  t.equal(bad('sh box1 ip link'), 'too many arguments for sh: write sh NAME "command" (quote the command)')
  t.equal(bad('sh box1 " "'), 'sh needs a command: sh NAME "command"')
  t.equal(bad('sh box1 "ip link'), 'a " opened at column 9 is never closed: quote as a shell does')
  t.equal(bad("sh box1 'ip link"), "a ' opened at column 9 is never closed: quote as a shell does")
})

t.test('nft: a rule as nft reads it (its own quotes kept), a chain with its options, a table', async (t) => {
  t.same(ok('nft host ip lab postrouting ip saddr 192.168.50.0/24 oifname != "br0" counter masquerade min-packets=1'), {
    verb: 'nft',
    negated: false,
    args: ['host', 'ip', 'lab', 'postrouting', 'ip', 'saddr', '192.168.50.0/24', 'oifname', '!=', '"br0"', 'counter', 'masquerade'],
    options: { 'min-packets': '1' },
    withinMs: 2000,
    machineArgs: [0],
  })
  t.same(ok('nft box1 inet filter input tcp dport { 22, 80 } accept comment "ssh and web"').args.slice(4), ['tcp', 'dport', '{', '22,', '80', '}', 'accept', 'comment', '"ssh and web"'])
  t.same(ok('nft host ip lab forward accept comment "a;b # c"').args.slice(4), ['accept', 'comment', '"a;b # c"'], '; and # inside quotes are nft\'s text')
  t.same(ok('nft host ip nat DOCKER-USER jump DOCKER').args, ['host', 'ip', 'nat', 'DOCKER-USER', 'jump', 'DOCKER'])
  t.same(ok('nft host ip lab postrouting type=nat hook=postrouting priority=srcnat+5 policy=accept').options, { type: 'nat', hook: 'postrouting', priority: 'srcnat+5', policy: 'accept' })
  t.same(ok('nft host bridge lab pre priority=-300').options, { priority: '-300' })
  t.same(ok('nft host bridge lab pre priority=out').options, { priority: 'out' }, 'the bridge family has priority names of its own')
  t.same(ok('no nft host ip lab'), { verb: 'nft', negated: true, args: ['host', 'ip', 'lab'], options: {}, withinMs: 2000, machineArgs: [0] })
})

t.test('nft: every mistake, with what would be right', async (t) => {
  t.equal(bad('nft host ip'), 'too few arguments for nft: write nft NAME FAMILY TABLE [CHAIN [RULE…]]')
  t.equal(
    bad('nft host lab postrouting masquerade'),
    '"lab" is not a family of nftables (ip, ip6, inet, arp, bridge, netdev): write the family before the table, e.g. nft host ip lab postrouting ip saddr 10.0.0.0/8 masquerade',
  )
  t.equal(bad('nft host inte filter'), 'unknown family "inte" (did you mean "inet"?)')
  t.equal(bad('nft host ip 9lab'), '"9lab" is not a table name nft reads: a letter or _, then letters, digits, _, ., -, / or \\')
  t.equal(bad('nft host ip lab post:routing'), '"post:routing" is not a chain name nft reads: a letter or _, then letters, digits, _, ., -, / or \\')
  t.equal(bad('nft host ip lab postrouting type=nta'), 'bad type="nta": a chain\'s type is filter, nat, route (did you mean "nat"?)')
  t.equal(bad('nft host ip lab postrouting hook=postrouing'), 'bad hook="postrouing": a chain\'s hook is prerouting, input, forward, output, postrouting, ingress, egress (did you mean "postrouting"?)')
  t.equal(bad('nft host ip lab postrouting policy=ACCEPT'), 'bad policy="ACCEPT": a chain\'s policy is accept, drop (did you mean "accept"?)')
  t.equal(bad('nft host ip lab postrouting priority=srcnta'), 'bad priority="srcnta": write a number or one of raw, mangle, dstnat, filter, security, srcnat, optionally +N or -N (srcnat+5) (did you mean "srcnat"?)')
  t.equal(bad('nft host bridge lab pre priority=raw'), 'bad priority="raw": write a number or one of dstnat, filter, out, srcnat, optionally +N or -N (srcnat+5)')
  t.equal(bad('nft host ip lab postrouting polcy=accept'), 'unknown option "polcy=" for nft (did you mean "policy"?)')
  t.equal(bad('nft host ip lab type=nat'), 'type= describes a chain: name it, e.g. nft host ip lab postrouting type=nat hook=postrouting')
  t.equal(bad('nft host ip lab postrouting masquerade type=nat hook=postrouting'), 'type=, hook= describe the chain, not a rule: write them in a check of their own, without the rule')
  t.equal(bad('nft host ip lab postrouting min-packets=1'), 'min-packets= counts the packets of a rule: write the rule, e.g. nft host ip lab postrouting ip saddr 10.0.0.0/8 counter masquerade min-packets=1')
  t.equal(bad('nft host ip lab postrouting masquerade min-packets=some'), 'bad min-packets="some": write a whole number, e.g. min-packets=1')
  t.equal(bad('nft host ip lab postrouting add rule ip lab postrouting masquerade'), 'write the rule alone, as it follows nft add rule ip lab postrouting: e.g. nft host ip lab postrouting ip saddr 10.0.0.0/8 masquerade')
  t.equal(bad('nft host ip lab postrouting { type nat hook postrouting priority srcnat; }'), "a chain's type, hook, priority and policy are options of their own: nft host ip lab postrouting type=nat hook=postrouting priority=srcnat policy=accept")
  t.equal(bad('nft host ip lab postrouting accept; include "/etc/passwd"'), 'the rule has a ";" outside quotes: one rule per check, without nft comments (write each rule in a check of its own)')
  t.equal(bad('nft host ip lab postrouting masquerade # the NAT'), 'the rule has a "#" outside quotes: one rule per check, without nft comments (a rule\'s comment is written comment "text")')
  t.equal(bad('nft host ip lab postrouting accept comment \'"open\''), 'the rule has a " that is never closed')
  t.equal(bad('nft host ip lab postrouting accept comment "open'), 'a " opened at column 44 is never closed: quote as a shell does')
})

t.test('words are split as a shell splits them', async (t) => {
  const words = (s: string) => {
    const r = splitWords(s)
    return 'error' in r ? r.error : r.words.map((w) => (w.key === undefined ? w.text : `${w.key}=>${w.text}`))
  }
  t.same(words(`a 'b c' "d \\" e" f\\ g`), ['a', 'b c', 'd " e', 'f g'])
  t.same(words(`"a\\nb" 'a\\nb' a\\nb`), ['a\\nb', 'a\\nb', 'anb'], 'in double quotes a backslash escapes only " \\ $ `')
  t.same(words(`x"y"'z' ""`), ['xyz', ''])
  t.same(words(`hint="a b" k=v 'k=v' k"="v -k=v http://x/?a=b`), ['hint=>a b', 'k=>v', 'k=v', 'k=v', '-k=v', 'http://x/?a=b'])
  t.same(words('trailing\\'), ['trailing\\'])
  t.same(words('   '), [])
})

t.test('did you mean', async (t) => {
  t.equal(didYouMean('pnig', ['ping', 'http']), 'ping')
  t.equal(didYouMean('titel', ['title', 'summary']), 'title')
  t.equal(didYouMean('netsn', ['netns']), 'netns')
  t.equal(didYouMean('Step', ['step']), 'step')
  t.equal(didYouMean('step', ['step']), undefined, 'nothing to correct')
  t.equal(didYouMean('xyzzy', ['ping', 'http']), undefined)
  t.equal(didYouMean('box3', ['box1', 'box2']), undefined, 'a tie is no suggestion')
  t.equal(didYouMean('x', ['h']), undefined)
  t.equal(didYouMean('a'.repeat(1000), ['a']), undefined)
})

t.test('durations', async (t) => {
  t.same(parseDuration('10s'), { ms: 10_000 })
  t.same(parseDuration('500ms'), { ms: 500 })
  t.same(parseDuration('1.5s'), { ms: 1500 })
  t.same(parseDuration('2m'), { ms: 120_000 })
  t.same(parseDuration('1h'), { ms: 3_600_000 })
  t.same(parseDuration('0s'), { ms: 0 })
  t.same(parseDuration('10'), { error: '"10" has no unit: write 10s or 10ms' })
  t.same(parseDuration('10sec'), { error: '"10sec" has an unknown unit "sec": write 10s' })
  t.same(parseDuration('10S'), { error: '"10S" has an unknown unit "S": write 10s' })
  t.same(parseDuration('10d'), { error: '"10d" has an unknown unit "d": the units are ms, s, m and h' })
  t.same(parseDuration('-1s'), { error: '"-1s" is not a duration: write a number and a unit, such as 10s, 500ms, 1.5s or 2m' })
  t.same(parseDuration('1m30s'), { error: '"1m30s" is not a duration: write a number and a unit, such as 10s, 500ms, 1.5s or 2m' })
  t.same(parseDuration('25h'), { error: '"25h" is too long: at most 24h' })
})

t.test('addresses', async (t) => {
  t.same(parseIPv4('172.17.0.1'), { value: 0xac110001 })
  t.same(parseIPv4('0.0.0.0'), { value: 0 })
  t.same(parseIPv4('255.255.255.255'), { value: 0xffffffff })
  t.same(parseIPv4('01.2.3.4'), { error: '"01.2.3.4" is not an IPv4 address: write 01 without its leading zero' })
  t.match(parseIPv4('1.2.3.4.5'), { error: /not an IPv4 address/ })
  t.match(parseIPv4('::1'), { error: /not an IPv4 address/ })
  t.same(parseCidr('172.17.0.0/16'), { address: 0xac110000, prefix: 16 })
  t.same(parseCidr('0.0.0.0/0'), { address: 0, prefix: 0 })
  t.same(parseCidr('172.17.0.0/33'), { error: '"172.17.0.0/33" is not a CIDR: the prefix length is 0 to 32' })
  t.same(parseCidr('172.17.0.0/016'), { error: '"172.17.0.0/016" is not a CIDR: the prefix length is 0 to 32' })
  t.same(parseCidr('172.17.0.0'), { error: '"172.17.0.0" has no prefix length: write it as ADDRESS/PREFIX, e.g. 172.17.0.0/16' })
})

t.test('ping count=: a series of echoes and bounds on its statistics', async (t) => {
  t.same(ok('ping box1 box2 count=20 min-loss=10% max-loss=60% min-rtt=90ms max-rtt=2s'), {
    verb: 'ping',
    negated: false,
    args: ['box1', 'box2'],
    options: { count: '20', 'min-loss': '10%', 'max-loss': '60%', 'min-rtt': '90ms', 'max-rtt': '2s' },
    withinMs: 2000,
    machineArgs: [0, 1],
  })
  t.same(ok('ping box1 203.0.113.10 count=3').machineArgs, [0], 'an address is still not a machine')
  t.same(ok('no ping box1 box2 count=10 max-loss=0%').negated, true)
  t.same(ok('ping box1 box2 count=1000 max-loss=2.5%').options['max-loss'], '2.5%')
  t.equal(bad('ping box1 box2 max-loss=10%'), 'max-loss= is judged on a series of echoes: add count=N, e.g. ping box1 box2 count=20 max-loss=10%')
  t.equal(bad('ping box1 box2 min-rtt=100ms'), 'min-rtt= is judged on a series of echoes: add count=N, e.g. ping box1 box2 count=20 min-rtt=100ms')
  t.match(bad('ping box1 box2 count=0'), /^bad count="0": write how many echoes to send, 1 to 1000/)
  t.match(bad('ping box1 box2 count=1001'), /^bad count="1001"/)
  t.match(bad('ping box1 box2 count=ten'), /^bad count="ten"/)
  t.match(bad('ping box1 box2 count=20 max-loss=10'), /^bad max-loss="10": write a share of the echoes from 0% to 100%, e\.g\. max-loss=60%/)
  t.match(bad('ping box1 box2 count=20 min-loss=101%'), /^bad min-loss="101%"/)
  t.match(bad('ping box1 box2 count=20 min-rtt=100'), /^bad min-rtt=: "100" has no unit: write 100s or 100ms/)
  t.equal(bad('ping box1 box2 count=20 min-loss=60% max-loss=10%'), 'min-loss=60% is more than max-loss=10%: no loss is both')
  t.equal(bad('ping box1 box2 count=20 min-rtt=2s max-rtt=100ms'), 'min-rtt=2s is more than max-rtt=100ms: no round trip is both')
  t.match(bad('ping box1 box2 count=20 within=5s'), /^within= does not go with count=: a ping of 20 echoes is judged once/)
  t.equal(bad('ping box1 box2 count=20 max-los=10%'), 'unknown option "max-los=" for ping (did you mean "max-loss"?)')
  t.equal(bad('ping box1 box2 count=20 loss<=10%'), 'write "loss<=10%" as an option: max-loss=…, with count=N, e.g. ping box1 box2 count=20 min-loss=10% max-loss=60% min-rtt=90ms')
  t.match(bad('ping box1 box2 rtt>=90ms'), /^write "rtt>=90ms" as an option: min-rtt=…/)
  t.equal(bad('ping box1 box2 box3'), 'too many arguments for ping: write ping FROM TO')
})

t.test('conntrack: a protocol, keys of the two tuples, and words about the entry', async (t) => {
  t.same(ok('conntrack host tcp src=172.17.0.2 dst=203.0.113.10 dport=80 state=TIME_WAIT reply-dst=198.51.100.2 assured'), {
    verb: 'conntrack',
    negated: false,
    args: ['host', 'tcp', 'assured'],
    options: { src: '172.17.0.2', dst: '203.0.113.10', dport: '80', state: 'TIME_WAIT', 'reply-dst': '198.51.100.2' },
    withinMs: 2000,
    machineArgs: [0],
  })
  t.same(ok('conntrack host').args, ['host'], 'any entry at all')
  t.same(ok('no conntrack box1 udp sport=5353 reply-sport=53 reply-dport=5353 unreplied within=5s').options, { sport: '5353', 'reply-sport': '53', 'reply-dport': '5353', within: '5s' })
  t.same(ok('conntrack host icmp src=172.17.0.0/16 snat mark=0x2a zone=7').args, ['host', 'icmp', 'snat'])
  t.same(ok('conntrack host tcp dport=8080 dnat state=established').options.state, 'established', 'a state in any case')
  // Machines named where an address goes: parseLab looks them up.
  const named = parseCheck('conntrack host src=box1 dst=203.0.113.10 reply-src=internet reply-dst=10.0.0.0/8', 7)
  t.same(named.machineOptions, ['src', 'reply-src'])
  t.equal(parseCheck('conntrack host src=172.17.0.2', 7).machineOptions, undefined, 'addresses name no machine')

  t.equal(bad('conntrack'), `too few arguments for conntrack: write ${CONNTRACK_USAGE}`)
  t.equal(bad('conntrak host tcp'), 'unknown check "conntrak" (did you mean "conntrack"?)')
  t.equal(bad('conntrack host tcp sprot=80'), 'unknown option "sprot=" for conntrack (did you mean "sport"?)')
  t.equal(bad('conntrack host tcp reply_dst=198.51.100.2'), 'unknown option "reply_dst=" for conntrack (did you mean "reply-dst"?)')
  t.equal(bad('conntrack host tpc'), 'unknown word "tpc" for conntrack (did you mean "tcp"?)')
  t.equal(bad('conntrack host tcp asured'), 'unknown word "asured" for conntrack (did you mean "assured"?)')
  t.equal(bad('conntrack host TCP'), 'unknown word "TCP" for conntrack (did you mean "tcp"?)')
  t.equal(bad('conntrack host tcp [ASSURED]'), '"[ASSURED]" is how conntrack prints it: write assured')
  t.equal(bad('conntrack host tcp [OFFLOAD]'), '"[OFFLOAD]" is how conntrack prints it: a check takes assured, unreplied, snat, dnat')
  t.match(bad('conntrack host frobnicate'), /^unknown word "frobnicate" for conntrack; after the machine come a protocol \(tcp, udp, icmp\)/)
  t.equal(bad('conntrack host -p tcp --dport 80'), '"-p" is conntrack\'s own option: write tcp, udp or icmp, e.g. conntrack host tcp dport=80 state=ESTABLISHED')
  t.equal(bad('conntrack host tcp --dport 80'), '"--dport" is conntrack\'s own option: write dport=N, e.g. conntrack host tcp dport=80 state=ESTABLISHED')
  t.match(bad('conntrack host constructor'), /^unknown word "constructor" for conntrack; /, 'names of Object.prototype are no options of conntrack')
  t.equal(bad('conntrack host tcp udp'), 'conntrack takes one protocol, not both "tcp" and "udp"')
  t.equal(bad('conntrack host tcp assured assured'), 'assured is given twice')
  t.equal(bad('conntrack host tcp state=ESTABLISHD'), 'unknown state "ESTABLISHD" (did you mean "ESTABLISHED"?)')
  t.match(bad('conntrack host tcp state=OPEN'), /^unknown state "OPEN"; TCP's states are SYN_SENT, SYN_RECV, ESTABLISHED, /)
  t.equal(bad('conntrack host udp state=ESTABLISHED'), 'udp entries have no state: state= goes with tcp')
  t.equal(bad('conntrack host icmp dport=80'), 'icmp entries have no ports: dport= goes with tcp or udp')
  t.equal(bad('conntrack host tcp dport=65536'), 'bad dport="65536": write a port from 0 to 65535')
  t.equal(bad('conntrack host tcp sport=http'), 'bad sport="http": write a port from 0 to 65535')
  t.equal(bad('conntrack host src=300.1.1.1'), 'bad src=: "300.1.1.1" is not an IPv4 address: 300 is more than 255')
  t.equal(bad('conntrack host reply-dst=172.17.0.0/33'), 'bad reply-dst=: "172.17.0.0/33" is not a CIDR: the prefix length is 0 to 32')
  t.equal(bad('conntrack host mark=-1'), 'bad mark="-1": write a number, e.g. mark=42 or mark=0x2a')
  t.equal(bad('conntrack host mark=4294967296'), 'bad mark="4294967296": a mark is at most 4294967295')
  t.equal(bad('conntrack host zone=70000'), 'bad zone="70000": write a zone from 0 to 65535')
  t.equal(bad('conntrack host tcp dport=80 dport=81'), 'dport= is given twice')
})
