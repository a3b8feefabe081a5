#!/usr/bin/env node
// engine: docker beside engine: netns: time to bring the same lab host up
// (for docker: dockerd ready and the topology's containers running) and down,
// alternating in the same run; and, on the docker engine's own dockerd (a plain
// Docker host), what `docker run -d` and `docker rm -f` of one container take,
// which is what a lab host's containers cost. The image build is timed once,
// when the cache is built (images.json says how long it took).
// Root only (engine: docker is); nothing runs outside the lab hosts' namespaces.
//   npm run build && sudo node bench/docker-bench.js [runs]
import { createSandbox, sandboxOwner } from '../dist/runner/host/sandbox.js'
import { createDockerLabHost } from '../dist/runner/host/docker/docker-engine.js'
import { readImageCache } from '../dist/runner/host/docker/image-cache.js'

const RUNS = Number(process.argv[2] ?? 10)
const docker0 = { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' }
const topology = {
  docker: true,
  bridge: docker0,
  containers: [
    { name: 'box1', ip: '172.17.0.2', publish: [], line: 0 },
    { name: 'box2', ip: '172.17.0.3', publish: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', spec: '8080:80' }], line: 0 },
  ],
  internet: true,
}

const owner = sandboxOwner()
if (owner === undefined || process.getuid() !== 0) {
  console.error('engine: docker runs as root only: sudo node bench/docker-bench.js')
  process.exit(3)
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return `${q(0.5).toFixed(0)} ms / ${q(0.9).toFixed(0)} ms`
}

async function once(engine, rec) {
  const t0 = performance.now()
  const sb = engine === 'docker' ? await createDockerLabHost({ topology, name: 'bench' }) : await createSandbox({ topology, name: 'bench' })
  const up = performance.now() - t0
  if (engine === 'docker' && rec.run) {
    // A container on a plain Docker host: the lab host's own dockerd, already up.
    const r = await sb.exec({
      machine: 'host',
      script: 's=$(date +%s%N); docker run -d --name b3 busybox sleep 3600 >/dev/null; m=$(date +%s%N); docker rm -f b3 >/dev/null; e=$(date +%s%N); echo $(( (m-s)/1000 )) $(( (e-m)/1000 ))',
      timeoutMs: 60_000,
    })
    const [run, rm] = r.stdout.trim().split(' ').map((n) => Number(n) / 1000)
    if (r.exitCode === 0) {
      rec.run.push(run)
      rec.rm.push(rm)
    } else console.error(r.output)
  }
  const t1 = performance.now()
  await sb.stop()
  rec.up.push(up)
  rec.down.push(performance.now() - t1)
}

const rec = { netns: { up: [], down: [] }, docker: { up: [], down: [], run: [], rm: [] } }
// A first docker lab host builds the images when the cache has none: not counted.
const cold = performance.now()
await once('docker', { up: [], down: [] })
const info = readImageCache(owner)
console.log(`images: ${info ? `built ${info.builtAt} in ${(info.buildMs / 1000).toFixed(0)} s (${info.images.map((i) => i.repo).join(', ')})` : 'none'}; first docker lab host ${(performance.now() - cold).toFixed(0)} ms`)
await once('netns', { up: [], down: [] })
let failed = 0
for (let i = 0; i < RUNS; i++) {
  for (const engine of ['netns', 'docker']) {
    try {
      await once(engine, rec[engine])
    } catch (e) {
      // A lab host that did not come up (a machine far too busy): said, not counted.
      failed++
      console.error(`${engine}: ${e.message}`)
    }
  }
}
if (failed) console.log(`${failed} lab hosts did not come up`)
console.log(`${RUNS} runs each, alternating; median / p90`)
console.log(`engine: netns   up ${stats(rec.netns.up)}   down ${stats(rec.netns.down)}`)
console.log(`engine: docker  up ${stats(rec.docker.up)}   down ${stats(rec.docker.down)}`)
if (rec.docker.run.length) console.log(`docker run -d busybox on the lab's dockerd ${stats(rec.docker.run)}   docker rm -f ${stats(rec.docker.rm)}`)
