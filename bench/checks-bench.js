#!/usr/bin/env node
// Time of each check kind when it passes at once, and of `no ping` both ways,
// in a real sandbox. Run after a build:  npx tsc -p tsconfig.json && node bench/checks-bench.js [runs] [nft|legacy]
// Prints a Markdown table (bench/README.md, section "Checks", keeps the last one).
import { createSandbox } from '../dist/runner/host/sandbox.js'
import { runCheck } from '../dist/checks/run-check.js'

const runs = Number(process.argv[2] ?? 20)
const backend = process.argv[3]
const topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [
    { name: 'box1', ip: '172.17.0.2', publish: [], line: 0 },
    { name: 'box2', ip: '172.17.0.3', publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }], line: 0 },
  ],
  internet: true,
}
const lab = { file: 'bench.md', title: 'bench', engine: 'netns', timeoutMs: 10000, topology, blocks: [], epilogue: '' }

function check(source) {
  const words = (source.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []).map((w) => w.replace(/"([^"]*)"/g, '$1'))
  const negated = words[0] === 'no'
  if (negated) words.shift()
  const verb = words.shift()
  const options = {}
  const args = []
  for (const w of words) {
    const m = /^(within|status|contains|min-packets)=(.*)$/.exec(w)
    if (m) options[m[1]] = m[2]
    else args.push(w)
  }
  return { verb, negated, args, options, withinMs: 2000, line: 1, source }
}

const sb = await createSandbox({ topology, name: 'checks-bench', ...(backend ? { iptables: backend } : {}) })
try {
  await sb.exec({ machine: 'host', script: 'mkdir -p /tmp/www && echo "Welcome to nginx!" > /tmp/www/index.html' })
  sb.spawn({ machine: 'box2', script: 'exec busybox httpd -f -p 80 -h /tmp/www' })
  await new Promise((r) => setTimeout(r, 300))
  const veth = JSON.parse((await sb.exec({ machine: 'host', script: 'ip -j link show master docker0' })).stdout)[0].ifname
  const previous = await sb.exec({ machine: 'host', script: 'echo hello' })
  const ctx = { lab, exec: (o) => sb.exec(o), addressOf: (n) => sb.addressOf(n), previous }
  const base = { ...ctx }
  const lines = [
    ['(sandbox exec of `true`, for reference)', null],
    ['ping box1 internet', true],
    ['http internet http://198.51.100.2:8080/ contains="Welcome"', true],
    ['rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', true],
    ['rule filter FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', true],
    // Written otherwise than iptables prints it: canonicalised in a scratch namespace.
    ['rule nat DOCKER ! -i docker0 -p tcp --dport 8080 -j DNAT --to 172.17.0.3:80', true],
    ['policy filter FORWARD DROP', true],
    ['addr box1 eth0 172.17.0.0/16', true],
    [`master ${veth} docker0`, true],
    ['route box1 default via 172.17.0.1', true],
    ['route box1 203.0.113.10 via 172.17.0.1', true],
    ['sysctl host net.ipv4.ip_forward 1', true],
    ['netns box1', true],
    ['exit 0', true],
    ['stdout "hello"', true],
    ['sh box1 "true"', true],
    ['no ping box1 box2', false],
    ['no ping box1 198.51.100.99', true],
  ]
  const rows = []
  for (const [line, want] of lines) {
    const times = []
    const n = line.startsWith('no ping box1 198') ? Math.min(runs, 5) : runs
    for (let i = 0; i <= n; i++) {
      const t0 = performance.now()
      if (want === null) await sb.exec({ machine: 'host', script: 'true' })
      else {
        const r = await runCheck(check(line), base)
        if (r.ok !== want) throw new Error(`${line}: expected ${want ? 'pass' : 'fail'}, got: ${r.sentence}`)
        if (r.attempts !== 1) throw new Error(`${line}: took ${r.attempts} attempts`)
      }
      if (i > 0) times.push(performance.now() - t0) // the first is a warm-up
    }
    times.sort((a, b) => a - b)
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0)
    rows.push(`| ${want === null ? line : `\`${line}\``} | ${want === null ? '' : want ? 'pass' : 'fail'} | ${q(0.5)} | ${q(0.9)} | ${times[times.length - 1].toFixed(0)} |`)
  }
  const load = (await import('node:os')).loadavg()[0].toFixed(1)
  console.log(`iptables: ${(await sb.exec({ machine: 'host', script: 'iptables --version' })).stdout.trim()}; ${runs} runs after a warm-up; load average ${load}\n`)
  console.log('| check | result | median ms | p90 ms | max ms |\n| --- | --- | ---: | ---: | ---: |')
  console.log(rows.join('\n'))
} finally {
  await sb.stop()
}
