#!/usr/bin/env node
// `nslab prove` against `nslab run` of the same lab: a generated lab of 100
// blocks shaped like a build-it-yourself tutorial (a bridge, then per
// namespace: make it, wire it, address it, look at it, ping across), whose
// checks are written in the forms every version of nslab reads (`netns`,
// `master`, `sh host "ip netns exec …"`), so the same lab times old and new.
// Also the shipped labs/ and, when given, any lab files named after the rounds.
//   npm run build && node bench/prove-bench.js [rounds] [-j N] [more labs…]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'

const args = process.argv.slice(2)
const jIndex = args.indexOf('-j')
const jobs = jIndex >= 0 ? args.splice(jIndex, 2)[1] : undefined
const ROUNDS = Number(args.shift() ?? 1)
const ROOT = new URL('..', import.meta.url).pathname
const CLI = process.env.NSLAB_CLI ?? join(ROOT, 'dist/bin/nslab.cjs')
const dir = mkdtempSync(join(tmpdir(), 'nslab-prove-bench-'))

/** A tutorial-like lab of 10 blocks per namespace (the first step also makes the bridge). */
export function tutorialLab(namespaces = 10) {
  const b = ['---', 'title: Namespaces on a bridge, by hand (bench)', '---', '']
  const block = (info, body) => b.push('```' + info, body, '```', '')
  for (let i = 1; i <= namespaces; i++) {
    const ip = `10.0.0.${i + 1}`
    const bridge = i === 1 ? 'ip link add br0 type bridge\nip addr add 10.0.0.1/24 dev br0\nip link set br0 up\n' : ''
    block('sh step', `${bridge}ip netns add ns${i}`)
    block('check', `netns ns${i}`)
    block('sh step', `ip link add veth${i} type veth peer name ceth${i}\nip link set ceth${i} netns ns${i}\nip link set veth${i} master br0 up`)
    block('check', `master veth${i} br0`)
    block('sh step', `ip netns exec ns${i} ip link set lo up\nip netns exec ns${i} ip link set ceth${i} up\nip netns exec ns${i} ip addr add ${ip}/24 dev ceth${i}`)
    block('check', `sh host "ip -n ns${i} -4 -o addr show ceth${i} | grep -q ${ip}/24"`)
    block('sh step', `ip -n ns${i} -br addr show ceth${i}`)
    block('output', `ceth${i}{*}UP{*}${ip}/24{*}`)
    block('sh step', `ip netns exec ns${i} ping -c 1 -W 1 10.0.0.1`)
    block('output', '...\n1 packets transmitted, 1 received, 0% packet loss{*}')
  }
  return b.join('\n')
}

function timed(argv) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 })
  return { s: (performance.now() - t0) / 1000, r }
}

const generated = join(dir, 'tutorial-100.md')
const text = tutorialLab(10)
writeFileSync(generated, text)
const count = (text.match(/^```(sh step|check|output)/gm) ?? []).length
const labs = [generated, join(ROOT, 'labs'), ...args]
console.log(`${availableParallelism()} CPUs, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}; generated lab: ${count} blocks; ${CLI}`)
for (const lab of labs) {
  for (let round = 0; round < ROUNDS; round++) {
    const run = timed(['run', lab])
    const prove = timed(['prove', lab, ...(jobs ? ['-j', jobs] : [])])
    const tail = prove.r.stdout.trim().split('\n').pop()
    console.log(`${lab.replace(dir + '/', '')}: run ${run.s.toFixed(1)} s (exit ${run.r.status}), prove ${prove.s.toFixed(1)} s (exit ${prove.r.status}) = ${(prove.s / run.s).toFixed(1)}× — ${tail}`)
    if (run.r.status !== 0) console.log(run.r.stdout.slice(-2000))
  }
}
