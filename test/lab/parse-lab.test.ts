import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import type { CheckBlock, Lab, OutputBlock, ScriptBlock } from '../../runner/lab/lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { labDiagnostics } from '../../runner/lab/lab-diagnostics.js'
import { SYSCTL_DEFAULTS } from '../../runner/lab/sysctl-settings.js'

const fixtures = new URL('../fixtures/labs/', import.meta.url)
const read = (name: string) => readFileSync(new URL(name, fixtures))

/** parseLab's problems as an author reads them. */
function problemsOf(text: string | Uint8Array, file = 'lab.md'): string[] {
  return parseLab(text, file).problems.map(formatProblem)
}

function labOf(text: string | Uint8Array, file = 'lab.md'): Lab {
  const r = parseLab(text, file)
  if (!r.lab) throw new Error(`expected a lab, got:\n${r.problems.map(formatProblem).join('\n')}`)
  return r.lab
}

const FM = `---
title: A lab
topology:
  docker: true
  containers: [box1, box2]
  internet: true
---
`
/** A lab of the front matter above and `body`; body line 1 is file line 8. */
const lab = (body: string) => FM + body

t.test('the example of the contract', async (t) => {
  const l = labOf(read('valid/snat-example.md'), 'labs/snat.md')
  t.equal(l.file, 'labs/snat.md')
  t.equal(l.title, 'SNAT — how a container reaches the outside world')
  t.equal(l.summary, 'Containers on docker0 reach other networks because the host rewrites their source address.')
  t.equal(l.engine, 'netns')
  t.equal(l.timeoutMs, 10_000)
  t.same(
    { ...l.topology, sysctl: undefined },
    {
      docker: true,
      bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
      containers: [{ name: 'box1', ip: '172.17.0.2', publish: [], line: 6 }],
      internet: true,
      sysctl: undefined,
    },
  )
  t.same(l.topology.sysctl?.map((s) => s.key), SYSCTL_DEFAULTS.ubuntu.map(([k]) => k).filter((k) => k !== 'net.ipv4.ip_forward'), "the lab names no distro: Ubuntu's settings (forwarding as docker: true makes it)")
  t.same(
    l.blocks.map((b) => [b.kind, b.line, b.contentLine, b.info]),
    [
      ['script', 14, 15, 'sh step'],
      ['check', 18, 19, 'check'],
      ['script', 25, 26, 'sh step'],
      ['check', 29, 30, 'check'],
      ['script', 35, 36, 'sh solution'],
      ['check', 39, 40, 'check hint="Rewrite the source of traffic from 172.17.0.0/16 in nat POSTROUTING"'],
    ],
  )
  const step = l.blocks[0] as ScriptBlock
  t.same(
    { role: step.role, lang: step.lang, on: step.on, exit: step.exit, timeoutMs: step.timeoutMs, background: step.background, content: step.content },
    { role: 'step', lang: 'sh', on: 'host', exit: 0, timeoutMs: 10_000, background: false, content: 'ip netns exec box1 ping -c 3 203.0.113.10' },
  )
  t.equal(step.prose, '\n# SNAT outbound\n\nbox1 has a private address. Ping the outside world from it:\n\n')
  const check = l.blocks[1] as CheckBlock
  t.same(check.checks, [
    { verb: 'ping', negated: false, args: ['box1', 'internet'], options: {}, withinMs: 2000, line: 19, source: 'ping box1 internet' },
    {
      verb: 'rule',
      negated: false,
      args: ['nat', 'POSTROUTING', '-s', '172.17.0.0/16', '!', '-o', 'docker0', '-j', 'MASQUERADE'],
      options: {},
      withinMs: 2000,
      line: 20,
      source: 'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    },
  ])
  t.equal((l.blocks[3] as CheckBlock).checks[0]!.negated, true)
  t.equal((l.blocks[4] as ScriptBlock).id, 'exercise-1')
  t.equal((l.blocks[5] as CheckBlock).hint, 'Rewrite the source of traffic from 172.17.0.0/16 in nat POSTROUTING')
  t.equal(l.epilogue, '')
})

t.test('a CRLF file and a file with a BOM parse like their plain twin', async (t) => {
  const plain = labOf(read('valid/snat-example.md'), 'x.md')
  t.ok(read('valid/snat-example-crlf.md').includes('\r\n'), 'the CRLF twin has CRLF line ends')
  t.same([...read('valid/snat-example-bom.md').subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the BOM twin starts with a BOM')
  t.same(labOf(read('valid/snat-example-crlf.md'), 'x.md'), plain)
  t.same(labOf(read('valid/snat-example-bom.md'), 'x.md'), plain)
  // And as strings, not only bytes.
  t.same(labOf(read('valid/snat-example-crlf.md').toString('utf8'), 'x.md'), plain)
  t.same(labOf('\ufeff' + read('valid/snat-example.md').toString('utf8'), 'x.md'), plain)
  // Their problems are on the same lines too.
  const bad = lab('```check\npnig box1 box2\n```\n')
  t.same(problemsOf(bad.replace(/\n/g, '\r\n')), problemsOf(bad))
  t.same(problemsOf('\ufeff' + bad), problemsOf(bad))
  t.same(problemsOf(bad), ['lab.md:9: unknown check "pnig" (did you mean "ping"?)'])
})

t.test('every role, option and check, and blocks in lists and quotes', async (t) => {
  const l = labOf(read('valid/everything.md'))
  t.equal(l.timeoutMs, 20_000)
  t.same(
    l.topology.containers.map((c) => [c.name, c.ip, c.publish, c.command, c.line]),
    [
      ['box1', '172.17.0.2', [], undefined, 9],
      ['box2', '172.17.0.9', [], undefined, 10],
      [
        'web',
        '172.17.0.3',
        [
          { hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' },
          { hostPort: 5353, containerPort: 53, protocol: 'udp', spec: '5353:53/udp' },
        ],
        'busybox httpd -f -p 80 -h /tmp',
        12,
      ],
    ],
  )
  const summary = l.blocks.map((b) =>
    b.kind === 'script'
      ? `${b.line} ${b.role} ${b.lang} on=${b.on} exit=${b.exit} ${b.timeoutMs}ms${b.background ? ' background' : ''}${b.id ? ` id=${b.id}` : ''}`
      : `${b.line} ${b.kind}`,
  )
  t.same(summary, [
    '20 setup sh on=host exit=0 20000ms',
    '26 step console on=box1 exit=0 20000ms',
    '30 output',
    '35 check',
    '56 step bash on=host exit=1 2000ms',
    '60 check',
    '67 step sh on=internet exit=any 20000ms',
    '71 check',
    '75 step sh on=host exit=0 20000ms background',
    '81 shown',
    '85 solution sh on=host exit=0 20000ms id=nat-back',
    '89 check',
    '93 solution sh on=host exit=0 20000ms id=exercise-2',
    '97 check',
  ])
  t.same((l.blocks[2] as OutputBlock).lines, ['{*}inet 172.17.0.2/16{*}', '...'])
  const checks = (l.blocks[3] as CheckBlock).checks
  t.same(
    checks.map((c) => [c.line, c.verb, c.negated, c.args, c.options, c.withinMs]),
    [
      [36, 'addr', false, ['box1', 'eth0', '172.17.0.0/16'], {}, 2000],
      [37, 'addr', false, ['box2', 'eth0', '172.17.0.9'], {}, 2000],
      [38, 'master', false, ['veth1234567', 'docker0'], {}, 2000],
      [39, 'route', false, ['box1', 'default', 'via', '172.17.0.1'], {}, 2000],
      [40, 'route', false, ['host', '172.17.0.0/16', 'via', 'box1'], {}, 2000],
      [41, 'sysctl', false, ['host', 'net.ipv4.ip_forward', '1'], {}, 2000],
      [42, 'netns', false, ['box1'], {}, 2000],
      [45, 'ping', false, ['box1', 'box2'], { within: '5s' }, 5000],
      [46, 'ping', false, ['box1', '203.0.113.10'], {}, 2000],
      [47, 'ping', true, ['box2', '198.51.100.9'], {}, 2000],
      [48, 'http', false, ['host', 'http://172.17.0.4:80/'], { status: '200', contains: 'hello world' }, 2000],
      [49, 'rule', false, ['filter', 'FORWARD', '-o', 'docker0', '-j', 'DOCKER'], { 'min-packets': '0' }, 2000],
      [50, 'policy', false, ['filter', 'FORWARD', 'DROP'], {}, 2000],
      [51, 'sh', false, ['box1', 'ip route | grep -q default'], {}, 2000],
    ],
  )
  // In a list: content is unindented, lines are the file's.
  t.equal(l.blocks[4]!.content, 'false')
  t.same(
    (l.blocks[5] as CheckBlock).checks.map((c) => [c.line, c.verb, c.negated, c.args]),
    [
      [61, 'exit', false, ['1']],
      [62, 'stdout', true, ['anything']],
    ],
  )
  // In a quote.
  t.equal(l.blocks[6]!.content, "echo 'hello' from the internet")
  t.same((l.blocks[7] as CheckBlock).checks[0], {
    verb: 'stdout',
    negated: false,
    args: ['/hello\\s+from/i'],
    options: { regex: 'hello\\s+from', flags: 'i' },
    withinMs: 2000,
    line: 72,
    source: 'stdout /hello\\s+from/i',
  })
  t.equal(l.blocks[9]!.prose, '\nA shown block, never run:\n\n')
  t.equal((l.blocks[11] as CheckBlock).hint, 'Add MASQUERADE in nat POSTROUTING')
  t.equal(l.epilogue, '\nThat is all.\n')
  // Prose, blocks and epilogue put back together are the body of the file, fences aside.
  const text = read('valid/everything.md').toString('utf8')
  t.ok(text.endsWith(l.epilogue))
  for (const b of l.blocks) t.ok(text.includes(b.prose), `prose before line ${b.line} is the file's`)
})

t.test('a bridge of its own hands out addresses after the given ones', async (t) => {
  const l = labOf(read('valid/own-bridge.md'))
  t.same(l.topology.bridge, { name: 'br0', address: '172.17.5.1', prefix: 24, subnet: '172.17.5.0/24' })
  t.same(
    l.topology.containers.map((c) => [c.name, c.ip]),
    [
      ['a', '172.17.5.2'],
      ['b', '172.17.5.3'],
      ['c', '172.17.5.4'],
    ],
  )
  t.equal(l.topology.docker, false)
  // A given address later in the list is skipped too.
  const l2 = labOf(`---\ntitle: x\ntopology:\n  docker: true\n  containers:\n    a:\n    b: {ip: 172.17.0.2}\n---\n\`\`\`sh step\ntrue\n\`\`\`\n`)
  t.same(l2.topology.containers.map((c) => c.ip), ['172.17.0.3', '172.17.0.2'])
})

/** Each bad input of the issue has its own file, and these are its exact problems. */
const INVALID: Record<string, string[]> = {
  'bad-address.md': ['bad-address.md:14: "300.1.1.1" is not an IPv4 address: 300 is more than 255'],
  'bad-cidr.md': ['bad-cidr.md:14: "172.17.0.0/33" is not a CIDR: the prefix length is 0 to 32'],
  'bad-duration.md': [
    'bad-duration.md:3: bad timeout: "10" has no unit: write 10s or 10ms',
    'bad-duration.md:6: bad timeout=: "5" has no unit: write 5s or 5ms',
    'bad-duration.md:6: unknown option "seconds" for a step; a step takes on=, exit=, timeout=, background, id=',
    'bad-duration.md:11: bad within=: "soon" is not a duration: write a number and a unit, such as 10s, 500ms, 1.5s or 2m',
  ],
  'bad-yaml.md': [
    'bad-yaml.md:4: the front matter is not valid YAML: Nested mappings are not allowed in compact mappings',
    'bad-yaml.md:5: the front matter is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
  'binary.md': ['binary.md:3: not a text file: a lab is Markdown in UTF-8, and this file has NUL bytes'],
  'duplicate-container-map.md': ['duplicate-container-map.md:7: two containers are named "box1" (the other is on line 6)'],
  'duplicate-container.md': ['duplicate-container.md:5: two containers are named "box1"'],
  'empty.md': ['empty.md:1: empty file: a lab needs front matter (a line ---, title: …, a line ---) and at least one block'],
  'latin1.md': ['latin1.md:2: not a text file: a lab is Markdown in UTF-8, and this file is not valid UTF-8'],
  'many-problems.md': [
    'many-problems.md:3: bad timeout: "5sec" has an unknown unit "sec": write 5s',
    "many-problems.md:8: the ip of box1, 10.0.0.2, is outside the bridge's subnet 172.17.0.0/16",
    'many-problems.md:10: bad publish "8080" for box2: write "HOST:CONTAINER" (ports, or ranges of as many ports), e.g. "8080:80", "8080:80/tcp", "53:53/udp" or "8080-8081:80-81"',
    'many-problems.md:11: topology.internet should be true or false, not "yes"',
    'many-problems.md:14: an output block shows what the step before it prints, but no step comes before it',
    'many-problems.md:18: bad exit=300: write a status from 0 to 255, or exit=any',
    'many-problems.md:25: too few arguments for ping: write ping FROM TO',
    'many-problems.md:26: http needs a URL that starts with http:// or https://, not "box2:80"',
    'many-problems.md:27: too few arguments for route: write route NAME DEST via GW (or dev IFACE, or via GW dev IFACE)',
    'many-problems.md:28: unknown table "nta" (did you mean "nat"?)',
    'many-problems.md:29: a policy is ACCEPT or DROP, not "REJECT"',
    'many-problems.md:30: bad regex /a(/: Unterminated group',
    'many-problems.md:31: too many arguments for sh: write sh NAME "command" (quote the command)',
    'many-problems.md:38: two solutions have the id "exercise-1" (the other is on line 34): give each its own id=',
    'many-problems.md:42: this step is empty: write the commands it runs',
  ],
  'missing-front-matter.md': [
    'missing-front-matter.md:1: missing front matter: a lab starts with a line ---, then YAML such as title: My lab, then a line ---',
  ],
  'misspelt-key.md': [
    'misspelt-key.md:2: unknown key "titel" (did you mean "title"?)',
    'misspelt-key.md:4: unknown key "dokcer" in topology (did you mean "docker"?)',
    'misspelt-key.md:6: unknown key "pubish" in container "box1" (did you mean "publish"?)',
  ],
  'no-bridge.md': [
    'no-bridge.md:4: containers need a bridge: add docker: true (docker0, 172.17.0.1/16) or bridge: "br0 172.17.0.1/16" to topology',
  ],
  'output-without-step.md': ['output-without-step.md:11: an output block shows what the step before it prints, but no step comes before it'],
  'too-few-arguments.md': ['too-few-arguments.md:14: too few arguments for ping: write ping FROM TO'],
  'unknown-check.md': ['unknown-check.md:14: unknown check "pnig" (did you mean "ping"?)'],
  'unknown-engine.md': ['unknown-engine.md:3: unknown engine "netsn" (did you mean "netns"?)'],
  'unknown-key.md': ['unknown-key.md:3: unknown key "author"; the front matter takes title, summary, lang, engine, timeout, topology, sysctl, kernel'],
  'unknown-machine-check.md': ['unknown-machine-check.md:14: unknown machine "box3"; this lab has host, box1, box2, internet (and any network namespace its steps make with ip netns add)'],
  'unknown-machine-on.md': ['unknown-machine-on.md:9: unknown machine "bxo1" in on= (did you mean "box1"?)'],
  'unknown-option.md': ['unknown-option.md:9: unknown option "tiemout" for a step (did you mean "timeout"?)'],
  'unknown-role.md': ['unknown-role.md:11: unknown role "stpe" (did you mean "step"?)'],
  'unterminated-fence.md': ['unterminated-fence.md:13: this code block is never closed: add a line ``` after its last line'],
  'unterminated-front-matter.md': [
    'unterminated-front-matter.md:1: the front matter is never closed before the code block on line 8: add a line --- after its last key',
  ],
}

t.test('each bad input of the issue is rejected at its line, in plain words', async (t) => {
  const files = readdirSync(new URL('invalid/', fixtures)).sort()
  t.same(files, Object.keys(INVALID).sort(), 'every invalid fixture has its expected problems here')
  for (const f of files) {
    const r = parseLab(read(`invalid/${f}`), f)
    t.equal(r.lab, undefined, `${f}: no lab`)
    t.same(r.problems.map(formatProblem), INVALID[f], f)
  }
})

t.test('front matter', async (t) => {
  const step = '```sh step\ntrue\n```\n'
  t.same(problemsOf(`---\n---\n${step}`), ['lab.md:1: the front matter needs a title, e.g. title: SNAT outbound'])
  t.same(problemsOf(`---\ntitle:\n---\n${step}`), ['lab.md:2: the front matter needs a title, e.g. title: SNAT outbound'])
  t.same(problemsOf(`---\nsummary: x\n---\n${step}`), ['lab.md:1: the front matter needs a title, e.g. title: SNAT outbound'])
  t.same(problemsOf(`---\n- title\n---\n${step}`), ['lab.md:2: the front matter is keys and values, such as title: My lab, not a list'])
  t.same(problemsOf(`---\ntitle: [a, b]\n---\n${step}`), ['lab.md:2: title should be text, not a list'])
  t.same(problemsOf(`---\ntitle: x\ntitle: y\n---\n${step}`), ['lab.md:3: the key "title" is given twice (the other is on line 2)'])
  t.same(problemsOf(`---\ntitle: x\nsummary: |\n  one\n  two\n---\n${step}`), ['lab.md:3: the summary is one line: put longer text in the lab itself'])
  t.same(problemsOf(`---\ntitle: x\ntimeout: 0s\n---\n${step}`), ['lab.md:3: bad timeout: a time limit must be more than 0'])
  t.same(problemsOf(`---\ntitle: x\nengine: podman\n---\n${step}`), ['lab.md:3: unknown engine "podman"; this version of nslab knows netns, docker'])
  t.same(problemsOf(`---\ntitle: x\nengine: docker\n---\n${step}`), [], 'engine: docker')
  t.same(problemsOf(`---\ntitle: x\ntopology: yes\n---\n${step}`), ['lab.md:3: topology should be a map of keys, not "yes"'])
  t.same(problemsOf(`---\ntitle: x\ntopology:\n  docker: yes\n---\n${step}`), ['lab.md:4: topology.docker should be true or false, not "yes"'])
  t.same(problemsOf(`---\ntitle: x\ntopology:\n  bridges: "br0 172.17.0.1/16"\n---\n${step}`), ['lab.md:4: unknown key "bridges" in topology (did you mean "bridge"?)'])
  t.same(problemsOf(`---\ntitle: x\n  bad: indent\n---\n${step}`).length, 1)
  t.match(problemsOf(`---\ntitle: x\n  bad: indent\n---\n${step}`)[0], /^lab\.md:[23]: the front matter is not valid YAML: /)
  t.same(problemsOf(`---\ntitle: x\n---\n`), ['lab.md:1: this lab has no step, setup, solution, output or check block: nothing would run'])
  t.same(problemsOf(`---\ntitle: x\n` + 'a: b\n'.repeat(20000) + `---\n${step}`), [
    "lab.md:1: the front matter is 98 KB: a lab's front matter is a few lines (at most 64 KB)",
  ])
  // Empty topology and topology with nothing in it are an empty host.
  t.same({ ...labOf(`---\ntitle: x\ntopology:\n---\n${step}`).topology, sysctl: undefined }, { docker: false, containers: [], internet: false, sysctl: undefined })
  t.same(labOf(`---\ntitle: "  x  "\n---\n${step}`).title, 'x')
})

t.test('topology', async (t) => {
  const step = '```sh step\ntrue\n```\n'
  const topo = (yaml: string) => problemsOf(`---\ntitle: x\ntopology:\n${yaml}---\n${step}`)
  t.same(topo('  docker: true\n  bridge: "br0 172.17.0.1/16"\n'), [
    'lab.md:5: bridge and docker: true both name the bridge (docker: true means docker0 172.17.0.1/16): drop one of them',
  ])
  t.same(topo('  bridge: "br0 172.17.0.0/33"\n'), ['lab.md:4: bad bridge address: "172.17.0.0/33" is not a CIDR: the prefix length is 0 to 32'])
  t.same(topo('  bridge: "br0 300.1.1.1/16"\n'), ['lab.md:4: bad bridge address: "300.1.1.1/16" is not a CIDR: 300 is more than 255'])
  t.same(topo('  bridge: br0\n'), ['lab.md:4: bridge is "NAME CIDR", e.g. "br0 172.17.0.1/16", not "br0"'])
  t.same(topo('  bridge: "br0 172.17.0.0/16"\n'), [
    'lab.md:4: the bridge needs an address of its own in 172.17.0.0/16, e.g. 172.17.0.1/16, not its network address',
  ])
  t.same(topo('  bridge: "br0 172.17.0.1/31"\n'), [
    "lab.md:4: the bridge's subnet 172.17.0.1/31 has no room for containers: use a prefix length of 30 or less",
  ])
  t.same(topo('  bridge: "a-very-long-bridge-name 172.17.0.1/16"\n'), [
    'lab.md:4: bridge name "a-very-long-bridge-name" is not an interface name: at most 15 characters, without spaces, / or :',
  ])
  t.same(topo('  bridge: "eth0 172.17.0.1/16"\n'), ['lab.md:4: a bridge cannot be called eth0: the lab host has its own eth0'])
  t.same(topo('  bridge: "br0 198.51.0.1/16"\n  internet: true\n'), [
    "lab.md:4: the bridge's subnet 198.51.0.0/16 overlaps the internet's 198.51.100.0/24: choose another",
  ])
  t.same(topo('  docker: true\n  containers: [host]\n'), ['lab.md:5: a container cannot be called "host": host is the lab host'])
  t.same(topo('  docker: true\n  containers: ["box 1"]\n'), [
    'lab.md:5: bad container name "box 1": a name is letters, digits, -, _ and ., starting with a letter (at most 32)',
  ])
  t.same(topo('  docker: true\n  containers: [box1, {ip: 1}]\n'), [
    'lab.md:5: a container in the list is a name, not a map (for settings, make containers a map: box1: {ip: 172.17.0.5})',
  ])
  t.same(topo('  docker: true\n  containers: box1\n'), [
    'lab.md:5: containers is a list of names, e.g. [box1, box2], or a map of name → {ip, publish, command}, not "box1"',
  ])
  t.same(topo('  docker: true\n  containers:\n    box1:\n      ip: 300.1.1.1\n'), [
    'lab.md:7: bad ip for box1: "300.1.1.1" is not an IPv4 address: 300 is more than 255',
  ])
  t.same(topo('  docker: true\n  containers:\n    box1: {ip: 172.17.0.5/16}\n'), [
    "lab.md:6: write the ip of box1 without a prefix length, e.g. 172.17.0.5: the bridge's subnet gives it",
  ])
  t.same(topo('  docker: true\n  containers:\n    box1: {ip: 172.17.0.1}\n'), ["lab.md:6: the ip of box1, 172.17.0.1, is the bridge's own address"])
  t.same(topo('  docker: true\n  containers:\n    box1: {ip: 172.17.255.255}\n'), [
    'lab.md:6: the ip of box1, 172.17.255.255, is the broadcast address of 172.17.0.0/16: choose another',
  ])
  t.same(topo('  docker: true\n  containers:\n    box1: {ip: 172.17.0.5}\n    box2: {ip: 172.17.0.5}\n'), [
    "lab.md:7: the ip of box2, 172.17.0.5, is box1's too",
  ])
  t.same(topo('  bridge: "br0 172.17.0.1/30"\n  containers: [a, b]\n'), ['lab.md:5: no address is left for b in 172.17.0.0/30'])
  t.same(topo('  docker: true\n  containers:\n    box1: {publish: 8080:80}\n'), [
    'lab.md:6: topology.containers.box1.publish should be a list, e.g. ["8080:80"], not "8080:80"',
  ])
  t.same(topo('  docker: true\n  containers:\n    box1:\n      publish:\n        - 80\n'), [
    'lab.md:8: bad publish entry 80: write "HOST:CONTAINER", e.g. "8080:80"',
  ])
  t.same(topo('  docker: true\n  containers:\n    box1: {publish: ["70000:80"]}\n'), [
    'lab.md:6: bad publish "70000:80" for box1: port 70000 is out of range (1 to 65535)',
  ])
  // A host address is Docker's too (issue 19): only a bad one is a mistake.
  t.same(topo('  docker: true\n  containers:\n    box1: {publish: ["127.0.0.1:8080:80"]}\n'), [])
  t.same(topo('  docker: true\n  containers:\n    box1: {publish: ["localhost:8080:80"]}\n'), [
    'lab.md:6: bad publish "localhost:8080:80" for box1: the host address: "localhost" is not an IPv4 address: write four numbers from 0 to 255 with dots, e.g. 172.17.0.2',
  ])
  t.same(topo('  docker: true\n  containers:\n    a: {publish: ["8080:80"]}\n    b: {publish: ["8080:81"]}\n'), [
    'lab.md:7: host port 8080/tcp is published twice (by a and b)',
  ])
  t.same(topo('  bridge: "br0 172.17.0.1/16"\n  containers:\n    a: {publish: ["8080:80"]}\n'), [
    "lab.md:6: publish adds Docker's rules, so it needs docker: true in topology",
  ])
  t.same(topo('  docker: true\n  containers:\n    a: {command: ""}\n'), ['lab.md:6: the command of a is empty'])
})

t.test('blocks and their info strings', async (t) => {
  const step = '```sh step\ntrue\n```\n'
  t.same(problemsOf(lab('```python step\nprint(1)\n```\n')), [
    'lab.md:8: a step runs in bash, so its language is sh, bash, console, shell, not "python"',
  ])
  t.same(problemsOf(lab('```hs step\ntrue\n```\n')), [
    'lab.md:8: a step runs in bash, so its language is sh, bash, console, shell, not "hs" (did you mean "sh"?)',
  ])
  t.same(problemsOf(lab('```step\ntrue\n```\n')), ['lab.md:8: a step needs a language before its role: write ```sh step'])
  t.same(problemsOf(lab(step + '```sh check\nnetns box1\n```\n')), ['lab.md:11: a check block has no language: write ```check'])
  t.same(problemsOf(lab(step + '```text output\nx\n```\n')), ['lab.md:11: an output block has no language: write ```output'])
  t.same(problemsOf(lab(step + '```sh on=box1\ntrue\n```\n')), [
    'lab.md:11: options need a role: write ```sh step on=box1 (or setup, or solution); a block without a role is only shown',
  ])
  t.same(problemsOf(lab(step + '```output hint=x\nx\n```\n')), ['lab.md:11: an output block takes no options, but has "hint=x"'])
  t.same(problemsOf(lab('```sh step on=box1 on=box2\ntrue\n```\n')), ['lab.md:8: on= is given twice'])
  t.same(problemsOf(lab('```sh step background=true\ntrue\n```\n')), ['lab.md:8: background takes no value: write background alone'])
  t.same(problemsOf(lab('```sh step on\ntrue\n```\n')), ['lab.md:8: on needs a value: write on=NAME'])
  t.same(problemsOf(lab('```sh setup id=x\ntrue\n```\n')), ['lab.md:8: id= names a step or the answer to an exercise, so a setup has none'])
  t.same(problemsOf(lab('```sh solution id="a b"\ntrue\n```\n')), [
    'lab.md:8: bad id "a b": an id is letters, digits, -, _ and ., starting with a letter or digit',
  ])
  t.same(problemsOf(lab('```sh step timeout=0s\ntrue\n```\n')), ['lab.md:8: bad timeout=: a time limit must be more than 0'])
  t.same(problemsOf(lab('```sh step exit=-1\ntrue\n```\n')), ['lab.md:8: bad exit=-1: write a status from 0 to 255, or exit=any'])
  t.same(problemsOf(lab('```sh step hint="x\ntrue\n```\n')), ['lab.md:8: bad info string: a " opened at column 17 is never closed'])
  t.same(problemsOf(lab(step + '```check hnt="x"\nnetns box1\n```\n')), ['lab.md:11: unknown option "hnt" for a check block (did you mean "hint"?)'])
  t.same(problemsOf(lab(step + '```check hint=""\nnetns box1\n```\n')), ['lab.md:11: hint needs a text: write hint="…"'])
  t.same(problemsOf(lab(step + '```check\n# only a comment\n\n```\n')), ['lab.md:11: this check block has no checks: write one a line, e.g. ping box1 box2'])
  t.same(problemsOf(lab('```check\nexit 0\nstdout "x"\n```\n')), [
    'lab.md:9: exit is about the step before it, but no step comes before this check',
    'lab.md:10: stdout is about the step before it, but no step comes before this check',
  ])
  t.same(problemsOf(lab('```sh step background\nsleep 9\n```\n```output\nx\n```\n')), [
    'lab.md:11: an output block cannot follow a background step (line 8): it is still running',
  ])
  t.same(problemsOf(lab('```sh step on=box9\ntrue\n```\n```check\nping bxo1 198.51.100.1\nsh bxo2 "true"\nroute box1 default via nobody\n```\n')), [
    'lab.md:8: unknown machine "box9" in on=; this lab has host, box1, box2, internet (and any network namespace its steps make with ip netns add)',
    'lab.md:12: unknown machine "bxo1" (did you mean "box1"?)',
    'lab.md:13: unknown machine "bxo2" (did you mean "box2"?)',
    'lab.md:14: unknown machine "nobody"; this lab has host, box1, box2, internet (and any network namespace its steps make with ip netns add)',
  ])
  t.same(problemsOf(lab('```sh solution id=a\ntrue\n```\n```sh solution id=a\ntrue\n```\n')), [
    'lab.md:11: two solutions have the id "a" (the other is on line 8): give each its own id=',
  ])
  // A longer fence closes only with as long a one, and may hold ``` lines.
  const l = labOf(lab('````sh step\ncat <<EOF\n```\nEOF\n````\n'))
  t.equal(l.blocks[0]!.content, 'cat <<EOF\n```\nEOF')
  t.same(problemsOf(lab('````sh step\ntrue\n```\n')), ['lab.md:8: this code block is never closed: add a line ```` after its last line'])
  t.same(problemsOf(lab('- item\n\n  ```sh step\n  true\n\n- next\n')), ['lab.md:10: this code block is never closed: add a line ``` after its last line'])
  // Shown blocks of any language, and indented code, are only shown.
  const shown = labOf(lab(step + '```python\nprint(1)\n```\n```\nplain\n```\n\n    ```sh step\n    indented, so plain text\n'))
  t.same(
    shown.blocks.map((b) => [b.kind, b.kind === 'shown' ? b.lang : '']),
    [
      ['script', ''],
      ['shown', 'python'],
      ['shown', ''],
    ],
  )
})

t.test('blocks nested in lists and quotes, at their own lines', async (t) => {
  const body = [
    '1. First',
    '   - nested',
    '',
    '     ```sh step',
    '     echo deep',
    '     ```',
    '',
    '> > ```check',
    '> > exit 0',
    '> > pnig',
    '> > ```',
    '',
    '* > ```output',
    '  > deep',
    '  > ```',
    '',
    'Some text with ```sh step in it',
    '',
    '> ```sh step',
    '> echo quoted',
    '> ```',
  ].join('\n')
  const r = parseLab(lab(body + '\n'), 'lab.md')
  t.same(r.problems.map(formatProblem), ['lab.md:17: unknown check "pnig" (did you mean "ping"?)'])
  const l = labOf(lab(body.replace('> > pnig\n', '') + '\n'))
  t.same(
    l.blocks.map((b) => [b.kind, b.line, b.content]),
    [
      ['script', 11, 'echo deep'],
      ['check', 15, 'exit 0'],
      ['output', 19, 'deep'],
      ['script', 25, 'echo quoted'],
    ],
  )
})

t.test('nesting too deep is refused before marked sees it', async (t) => {
  const deep = lab('```sh step\ntrue\n```\n' + '> '.repeat(40) + 'hi\n')
  t.same(problemsOf(deep), ['lab.md:11: this line nests lists and quotes 40 deep: a lab nests at most 32'])
  const stairs = lab('```sh step\ntrue\n```\n' + Array.from({ length: 200 }, (_, i) => ' '.repeat(2 * i) + '- a').join('\n') + '\n')
  t.match(problemsOf(stairs), [/^lab\.md:\d+: this line nests lists and quotes \d+ deep: a lab nests at most 32$/])
  // 10 deep is fine.
  t.ok(labOf(lab('```sh step\ntrue\n```\n' + '> '.repeat(10) + 'hi\n')))
})

t.test('never throws, whatever it is given', async (t) => {
  const odd: (string | Uint8Array)[] = [
    '',
    '\n\n',
    '\ufeff',
    '---',
    '---\n',
    '---\n---',
    '---\n---\n```',
    '```',
    '\r\r\r',
    '---\ntitle: x\n---\n```sh step\n',
    '---\ntitle: &a [*a]\n---\n',
    '---\na: &a [1]\nb: [*a, *a, *a]\ntitle: *b\n---\n',
    '---\ntitle: x\n---\n' + '[a]: <b>\n'.repeat(10),
    '---\ntitle: x\n---\n' + '<details>\n\n```sh step\ntrue\n```\n\n</details>\n',
    new Uint8Array([0xff, 0xfe, 0x00]),
    new Uint8Array([0xef, 0xbb, 0xbf]),
    new Uint8Array([0xe2, 0x82]),
    new Uint8Array([0xed, 0xa0, 0x80]),
  ]
  for (const input of odd) {
    const r = parseLab(input, 'odd.md')
    t.ok(r.lab || r.problems.length > 0, JSON.stringify(typeof input === 'string' ? input : [...input]))
    t.notOk(r.problems.some((p) => p.message.includes('please report')), 'no internal error')
  }
  t.same(problemsOf(new Uint8Array([0x41, 0x0a, 0xed, 0xa0, 0x80])), ['lab.md:2: not a text file: a lab is Markdown in UTF-8, and this file is not valid UTF-8'])
  t.same(problemsOf('ab\ncd\0'), ['lab.md:2: not a text file: a lab is Markdown in UTF-8, and this file has NUL characters'])
  t.same(problemsOf(' \n\t\n'), ['lab.md:1: empty file: a lab needs front matter (a line ---, title: …, a line ---) and at least one block'])
  // Two million blank lines once ran marked's regexes out of stack; they are blank lines.
  t.same(problemsOf('---\ntitle: x\n---\n' + '\r'.repeat(2_200_000)), [
    'lab.md:1: this lab has no step, setup, solution, output or check block: nothing would run',
  ])
  t.same(problemsOf('---\ntitle: x\nk: ' + '['.repeat(5000) + '\n---\n'), ['lab.md:3: the front matter is not valid YAML: it nests too deep'])
  // A solution in <details> with blank lines around it still counts.
  t.equal(labOf('---\ntitle: x\n---\n<details>\n\n```sh solution\ntrue\n```\n\n</details>\n').blocks[0]!.kind, 'script')
})

t.test('the examples of docs/lab-format.md are what they say', async (t) => {
  const doc = readFileSync(new URL('../../docs/lab-format.md', import.meta.url), 'utf8')
  const first = /````markdown\n([\s\S]*?)\n````/.exec(doc)![1]! + '\n'
  const l = labOf(first, 'first.md')
  t.same(l.blocks.map((b) => b.kind), ['script', 'output', 'check'])
  // The front matter example, with a step to make it a lab.
  const front = /```yaml\n(---\n[\s\S]*?\n---\n)```/.exec(doc)![1]!
  t.ok(labOf(front + '```sh step\ntrue\n```\n', 'front.md'))
  // The examples of every check, each a valid check (exit and stdout after a step).
  const checks = /Examples:\n\n```check\n([\s\S]*?)```/.exec(doc)![1]!
  const withTopology = `---\ntitle: x\ntopology:\n  docker: true\n  containers: [box1, box2]\n  internet: true\n---\n\`\`\`sh step\ntrue\n\`\`\`\n\`\`\`check\n${checks}\`\`\`\n`
  const all = labOf(withTopology, 'checks.md')
  t.same(
    new Set((all.blocks[1] as CheckBlock).checks.map((c) => c.verb)),
    new Set(['ping', 'http', 'rule', 'nft', 'policy', 'addr', 'master', 'route', 'sysctl', 'netns', 'conntrack', 'exit', 'stdout', 'sh']),
    'the examples show every verb',
  )
  // The examples of Connection tracking, each valid.
  const conntrack = /### Connection tracking\n[\s\S]*?```check\n([\s\S]*?)```/.exec(doc)![1]!
  const tracked = labOf(withTopology.replace(checks, conntrack), 'conntrack.md')
  t.same((tracked.blocks[1] as CheckBlock).checks.map((c) => c.verb), ['conntrack', 'conntrack', 'conntrack', 'conntrack'])
})

t.test('limits: lab size, block size, info string, containers, problems', async (t) => {
  const big = '---\ntitle: x\n---\n```sh step\ntrue\n```\n' + 'a\n'.repeat(5.5 * 1024 * 1024)
  t.same(problemsOf(big), ['lab.md:1: the lab is 11.0 MiB; the limit is 10 MiB: split it into several labs'])
  t.same(problemsOf(Buffer.from(big)), ['lab.md:1: the lab is 11.0 MiB; the limit is 10 MiB: split it into several labs'], 'bytes too')
  t.same(problemsOf('---\ntitle: x\n---\n```sh step\n' + 'echo hi\n'.repeat(140_000) + '```\n'), ['lab.md:4: this block is 1.1 MiB: a block is at most 1 MiB'])
  t.ok(labOf('---\ntitle: x\n---\n```sh step\n' + 'echo hi\n'.repeat(130_000) + '```\n'), 'just under 1 MiB')
  t.same(problemsOf('---\ntitle: x\n---\n```sh step ' + 'x'.repeat(2000) + '\ntrue\n```\n'), [
    'lab.md:4: this info string is 2008 characters: an info string is a language, a role and a few options, at most 1024 characters',
  ])
  const containers = (n: number) => `---\ntitle: x\ntopology:\n  docker: true\n  containers: [${Array.from({ length: n }, (_, i) => `b${i}`).join(', ')}]\n---\n\`\`\`sh step\ntrue\n\`\`\`\n`
  t.same(problemsOf(containers(251)), ['lab.md:5: this topology has 251 containers: a lab has at most 250'])
  t.ok(labOf(containers(250)), '250 containers are fine')
  const wrong = problemsOf('---\ntitle: x\n---\n' + '```check\nx\n```\n'.repeat(1500))
  t.equal(wrong.length, 1001)
  t.equal(wrong[1000], 'lab.md:3004: more than 1000 problems: nslab stopped reading the lab here; fix the ones above first')
})

t.test('conntrack: machines named where an address goes are looked up, at the column of the name', async (t) => {
  const text = lab('```check\nconntrack host tcp src=bxo1 dst=internet reply-dst=nobody\nconntrack box1 reply-src=box2\nconntrack bxo2\n```\n')
  t.same(problemsOf(text), [
    'lab.md:9: unknown machine "bxo1" (did you mean "box1"?)',
    'lab.md:9: unknown machine "nobody"; this lab has host, box1, box2, internet (and any network namespace its steps make with ip netns add)',
    'lab.md:11: unknown machine "bxo2" (did you mean "box2"?)',
  ])
  const [d] = labDiagnostics(parseLab(text, 'lab.md').problems, () => text)
  t.match(d, { line: 9, column: 24, rule: 'machine', message: 'unknown machine "bxo1" (did you mean "box1"?)' })
  const wrong = lab('```check\nconntrack host tcp state=ESTABLISHD\n```\n')
  const [w] = labDiagnostics(parseLab(wrong, 'lab.md').problems, () => wrong)
  t.match(w, { line: 9, column: 26, rule: 'check', message: 'unknown state "ESTABLISHD" (did you mean "ESTABLISHED"?)' })
  t.same(problemsOf(lab('```sh step\nip netns add ns1\n```\n```check\nconntrack host src=ns1\n```\n')), [], 'a namespace a step makes is a machine')
})
