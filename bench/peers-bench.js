#!/usr/bin/env node
// A small bridge lab as whole processes (start to exit), side by side in one
// hyperfine run: nslab, the same commands as a plain bash script, and the same
// commands as a cram test, a bats test and a txm-tested README. Every peer
// builds the same lab host by hand (a bridge, two containers, an uplink,
// Docker's rules) and runs the same steps and checks, inside namespaces of its
// own (`unshare`, a private /run); the plain script refuses to run outside them.
// Also: node's own start (and, where this machine sets NODE_EXTRA_CA_CERTS, node's
// start without it, as nslab's launcher starts node), `nslab --version`, `nslab lint`, `nslab check` of a
// learner session whose tasks pass at once.
//   npm run build && node bench/peers-bench.js [runs] [--before DIR] [--nslab-only]
// Needs hyperfine, bats, python3-cram (cram3) from Debian and txm from npm
// (NSLAB_TXM=path/to/txm, e.g. `npm install --prefix /tmp/txm txm`).
// --before DIR: also time the nslab of another checkout (an earlier version).
// --nslab-only: node, nslab and the plain bash script only (no cram, bats, txm).
// --interleave: instead of hyperfine (each command's runs in a row), rounds of
// one run of each command in a shuffled order: on a shared machine whose load
// swings, every command then sees the same load. Wall and CPU (user + sys,
// from /usr/bin/time) medians.
// Each `nslab check` run starts from the session's first task not passed, so
// that it judges the task's checks (a session whose tasks are all done runs none).
// Every nslab runs as a person types it: the launcher as a program (package.json's
// bin; `#!/bin/sh` since the session agent, `#!/usr/bin/env node` before). `nslab
// check` is then answered by the session agent that nslab up started; it runs
// again as a node process of its own (NSLAB_AGENT=0), as every check ran before.
// Also `nslab check` typed in the lab shell (`nslab shell`), where a learner
// types it: the shell's own nslab serves it (no node start), timed by bash's
// `time` in that shell, the same number of rounds.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const args = process.argv.slice(2)
const RUNS = Number(args.find((a) => /^\d+$/.test(a)) ?? 10)
const beforeAt = args.indexOf('--before')
const BEFORE = beforeAt >= 0 ? args[beforeAt + 1] : undefined
const NSLAB_ONLY = args.includes('--nslab-only')
const INTERLEAVE = args.includes('--interleave')
const ROOT = new URL('..', import.meta.url).pathname
// The command as npm installs it (package.json's bin).
const NSLAB = join(ROOT, 'dist/bin/nslab.cjs')
const dir = mkdtempSync(join(tmpdir(), 'nslab-peers-'))

// The lab host by hand: what `topology: docker: true, containers: [box1, box2], internet: true` is.
const SETUP = [
  'mount -t tmpfs t /run',
  'mkdir -p /run/netns /run/h',
  'ip link set lo up',
  'ip link add docker0 type bridge',
  'ip addr add 172.17.0.1/16 dev docker0',
  'ip link set docker0 up',
  ...[1, 2].flatMap((n) => [
    `ip netns add box${n}`,
    `ip link add veth${n} type veth peer name eth0 netns box${n}`,
    `ip link set veth${n} master docker0 up`,
    `ip -n box${n} link set lo up`,
    `ip -n box${n} addr add 172.17.0.${n + 1}/16 dev eth0`,
    `ip -n box${n} link set eth0 up`,
    `ip -n box${n} route add default via 172.17.0.1`,
  ]),
  'touch /run/h/inet; unshare --net=/run/h/inet true',
  'ip link add eth0 type veth peer name eth0 netns /run/h/inet',
  'nsenter --net=/run/h/inet ip link set lo up',
  'nsenter --net=/run/h/inet ip addr add 198.51.100.1/24 dev eth0',
  'nsenter --net=/run/h/inet ip addr add 203.0.113.10/32 dev lo',
  'nsenter --net=/run/h/inet ip link set eth0 up',
  'ip addr add 198.51.100.2/24 dev eth0',
  'ip link set eth0 up',
  'ip route add default via 198.51.100.1',
  'echo 1 > /proc/sys/net/ipv4/ip_forward',
  'iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
  'iptables -P FORWARD DROP',
  'iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  'iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
  'iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT',
]
// The lab's steps and checks, as plain commands that succeed.
const STEPS = ['ip netns exec box1 ping -c 1 -W 1 172.17.0.3 >/dev/null']
const CHECKS = [
  'ip netns exec box1 ping -c 1 -W 1 172.17.0.3 >/dev/null',
  'ip netns exec box2 ping -c 1 -W 1 172.17.0.2 >/dev/null',
  'ip netns exec box1 ping -c 1 -W 1 203.0.113.10 >/dev/null',
  'ip -n box1 route show default | grep -q "via 172.17.0.1"',
  'ip -n box1 addr show dev eth0 | grep -q "inet 172.17.0.2/16"',
  'iptables -t nat -C POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
  'iptables -S FORWARD | grep -q -- "-P FORWARD DROP"',
  '[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ]',
]
const GUARD = 'read -r a b c </proc/self/uid_map; [ "$c" != 4294967295 ] || { echo "refusing: not in a lab host" >&2; exit 1; }'
const INSIDE = 'unshare --user --map-root-user --mount --net --pid --fork --mount-proc --'

const lab = `---
title: small bridge
topology:
  docker: true
  containers: [box1, box2]
  internet: true
---

\`\`\`sh step
${STEPS.join('\n')}
\`\`\`

\`\`\`check
ping box1 box2
ping box2 box1
ping box1 internet
route box1 default via 172.17.0.1
addr box1 eth0 172.17.0.2/16
rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
policy filter FORWARD DROP
sysctl host net.ipv4.ip_forward 1
\`\`\`
`
writeFileSync(join(dir, 'small-bridge.md'), lab)
writeFileSync(join(dir, 'plain.sh'), [GUARD, 'set -e', ...SETUP, ...STEPS, ...CHECKS, ''].join('\n'))
// cram: the setup and each command in one file, each expected to print nothing and succeed.
writeFileSync(join(dir, 'cram.t'), ['Small bridge:', '', ...[...SETUP, ...STEPS, ...CHECKS].map((c) => `  $ ${c}`), ''].join('\n'))
// bats: the setup once, then one test per check, as a bats user writes it.
writeFileSync(
  join(dir, 'lab.bats'),
  [`setup_file() {\n${SETUP.map((c) => `  ${c}`).join('\n')}\n${STEPS.map((c) => `  ${c}`).join('\n')}\n}`, ...CHECKS.map((c, i) => `@test "check ${i + 1}" {\n  ${c}\n}`), ''].join('\n\n'),
)
// txm: a README whose shell blocks are run in order (one program, every block a test).
writeFileSync(
  join(dir, 'README.md'),
  ['# Small bridge', '', '<!-- !test program bash -e -->', '', ...[SETUP.join('\n'), ...STEPS, ...CHECKS].flatMap((c, i) => [`<!-- !test check step ${i + 1} -->`, '', '```sh', `${c}\necho ok`, '```', '', '```', 'ok', '```', '']), ''].join('\n'),
)

// A learner session whose tasks pass at once: `nslab check` is then one round of checks.
const state = join(dir, 'state')
const env = { ...process.env, NO_COLOR: '1', NSLAB_STATE_DIR: state }
execFileSync('install', ['-d', '-m', '0700', state])
execFileSync(process.execPath, [NSLAB, 'up', join(dir, 'small-bridge.md'), '--name', 'peers'], { env, stdio: 'ignore' })
// The session down first, then its state folder (down reads it).
process.on('exit', () => {
  spawnSync(process.execPath, [NSLAB, 'down', 'peers'], { env })
  if (!process.env.NSLAB_BENCH_KEEP) rmSync(dir, { recursive: true, force: true })
})

const txm = process.env.NSLAB_TXM ?? 'txm'
// Before each `nslab check`: the session's task not passed yet (a check that passes marks it passed).
const session = join(state, 'peers.json')
const unpass = `${process.execPath} -e ${JSON.stringify(`const f=${JSON.stringify(session)},fs=require('fs'),s=JSON.parse(fs.readFileSync(f,'utf8'));s.passed=[];fs.writeFileSync(f,JSON.stringify(s))`)}`
let peers = [
  ['node -e 0', 'node -e 0'],
  // Node as nslab's launcher starts it, where this machine sets NODE_EXTRA_CA_CERTS (scripts/build-bin.mjs).
  ...(process.env.NODE_EXTRA_CA_CERTS !== undefined ? [['node -e 0 (without NODE_EXTRA_CA_CERTS)', 'env -u NODE_EXTRA_CA_CERTS node -e 0']] : []),
  ['nslab --version', `${NSLAB} --version`],
  ['nslab lint', `${NSLAB} lint ${join(dir, 'small-bridge.md')}`],
  // As a learner types it: the launcher run as a program (its check client asks the session agent).
  ['nslab check (learner)', `env NSLAB_STATE_DIR=${state} ${NSLAB} check peers`],
  ['nslab check (learner, node: NSLAB_AGENT=0)', `env NSLAB_STATE_DIR=${state} NSLAB_AGENT=0 ${NSLAB} check peers`],
  ['bash', `${INSIDE} bash ${join(dir, 'plain.sh')}`],
  ['cram', `${INSIDE} sh -c 'cd ${dir} && cram3 -q cram.t'`],
  ['bats', `${INSIDE} bats ${join(dir, 'lab.bats')}`],
  ['txm', `${INSIDE} ${txm} --jobs 1 ${join(dir, 'README.md')}`],
  ['nslab run', `${NSLAB} run ${join(dir, 'small-bridge.md')}`],
]
if (NSLAB_ONLY) peers = peers.filter(([name]) => !['cram', 'bats', 'txm'].includes(name))
if (BEFORE) {
  const old = ['dist/bin/nslab.cjs', 'dist/bin/nslab.js', 'dist/runner/cli.js'].map((p) => join(BEFORE, p)).find((p) => existsSync(p))
  peers.push(
    ['nslab run (before)', `${old} run ${join(dir, 'small-bridge.md')}`],
    ['nslab lint (before)', `${old} lint ${join(dir, 'small-bridge.md')}`],
    // In a node of its own: an agent of another build is ended by the other's client (each would end the other's).
    ['nslab check (learner, before, NSLAB_AGENT=0)', `env NSLAB_STATE_DIR=${state} NSLAB_AGENT=0 ${old} check peers`],
  )
}
/** Median ms of `nslab check` typed in the lab shell of the session, each round judging the task again. */
async function checkInShell(rounds) {
  const sh = spawn(process.execPath, [NSLAB, 'shell', 'peers'], { env, stdio: ['pipe', 'ignore', 'pipe'] })
  let err = ''
  sh.stderr.on('data', (d) => (err += d))
  const count = () => (err.match(/@@T /g) ?? []).length
  const times = []
  for (let i = 0; i < rounds + 2; i++) {
    execFileSync('sh', ['-c', unpass])
    const seen = count()
    sh.stdin.write(`TIMEFORMAT='@@T %3R'; time nslab check >/dev/null\n`)
    for (const end = Date.now() + 30_000; count() === seen; await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > end) throw new Error(`nslab check in the lab shell did not answer:\n${err}`)
    }
    // The first two warm up.
    if (i >= 2) times.push(Number([...err.matchAll(/@@T ([\d.]+)/g)].at(-1)[1]) * 1000)
  }
  sh.stdin.end('exit\n')
  await new Promise((r) => sh.on('exit', r))
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]
}
const inShell = await checkInShell(RUNS)
const inShellRow = `| nslab check, typed in the lab shell (8 checks judged each run) | ${inShell.toFixed(0)} ms | |`

/**
 * CPU (ms) the session agent of this bench's state folder and the processes under it have used so far
 * (utime, stime, and those of children waited for: the forker waits for the checks' processes). A check
 * answered by the agent spends its CPU there, not in the process /usr/bin/time sees.
 */
function agentCpuMs() {
  // The fields after the name (which may hold spaces): state, ppid, … utime is the 12th of them.
  const stat = (pid) => {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  }
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  const agent = all.find((d) => {
    try {
      return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes('__agent') && readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`NSLAB_STATE_DIR=${state}`)
    } catch {
      return false
    }
  })
  if (!agent) return 0
  const tree = new Set([agent])
  for (let grew = true; grew; ) {
    grew = false
    for (const d of all) {
      try {
        if (!tree.has(d) && tree.has(stat(d)[1])) (tree.add(d), (grew = true))
      } catch {
        // gone
      }
    }
  }
  let ticks = 0
  for (const d of tree) {
    try {
      const f = stat(d)
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
    } catch {
      // gone
    }
  }
  return ticks * 10
}

const prepare = peers.flatMap(([name]) => ['--prepare', name.startsWith('nslab check') ? unpass : 'true'])
const load = () => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')
console.log(`load average before: ${load()}`)
console.log(`NODE_EXTRA_CA_CERTS: ${process.env.NODE_EXTRA_CA_CERTS ?? '(not set)'}`)
if (INTERLEAVE) {
  const argvOf = (cmd) => (/['"]/.test(cmd) ? ['sh', '-c', cmd] : cmd.split(' '))
  const times = new Map(peers.map(([name]) => [name, { wall: [], cpu: [] }]))
  for (let round = 0; round < RUNS + 2; round++) {
    const order = [...peers].sort(() => Math.random() - 0.5)
    for (const [name, cmd] of order) {
      if (name.startsWith('nslab check')) execFileSync('sh', ['-c', unpass])
      const agentBefore = name === 'nslab check (learner)' ? agentCpuMs() : 0
      const t0 = performance.now()
      const r = spawnSync('/usr/bin/time', ['-f', '@@time %U %S', ...argvOf(cmd)], { env, encoding: 'utf8' })
      const wall = performance.now() - t0
      const agent = name === 'nslab check (learner)' ? agentCpuMs() - agentBefore : 0
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}\n${r.stderr}`)
      const c = /@@time ([\d.]+) ([\d.]+)/.exec(r.stderr)
      // The first two rounds warm up.
      if (round >= 2) {
        times.get(name).wall.push(wall)
        times.get(name).cpu.push(c ? (Number(c[1]) + Number(c[2])) * 1000 + agent : NaN)
      }
    }
  }
  console.log(`load average after: ${load()}`)
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const base = med(times.get('bash').wall)
  console.log(`\n${RUNS} rounds, interleaved\n\n| what | median | vs bash | CPU (user + sys, median; nslab check: with the agent's) |\n| --- | ---: | ---: | ---: |`)
  for (const [name] of peers) {
    const t = times.get(name)
    console.log(`| ${name} | ${med(t.wall).toFixed(0)} ms | ${(med(t.wall) / base).toFixed(2)}× | ${med(t.cpu).toFixed(0)} ms |`)
  }
  console.log(`${inShellRow} |`)
  process.exit(0)
}
const json = join(dir, 'hyperfine.json')
const hf = spawnSync('hyperfine', ['-N', '--warmup', '2', '--runs', String(RUNS), '--export-json', json, ...prepare, ...peers.flatMap(([name, cmd]) => ['-n', name, cmd])], { env, stdio: ['ignore', 'inherit', 'inherit'] })
if (hf.status !== 0) process.exit(hf.status ?? 1)
console.log(`load average after: ${load()}`)
const results = JSON.parse(execFileSync('cat', [json], { encoding: 'utf8' })).results
const median = (name) => results.find((r) => r.command === name)?.median
const base = median('bash')
console.log('\n| what | median | vs bash |\n| --- | ---: | ---: |')
for (const r of results) console.log(`| ${r.command} | ${(r.median * 1000).toFixed(0)} ms | ${(r.median / base).toFixed(2)}× |`)
console.log(inShellRow)
