#!/usr/bin/env node
// Kernel matrix timings: per kernel, how long from the start of a cell
// (initramfs, qemu, boot, the guest's nslab) until the guest says it is up,
// how long its first lab host takes to build, and when the first block and
// the first step (a script block) of a lab begin inside it (medians of
// RUNS boots, the VM stopped at the first step); then the whole matrix
// of the labs in labs/ on two kernels, one cell after the other, as
// `nslab run labs --kernel A --kernel B --iptables nft` runs it.
// Software emulation (TCG) always; KVM too where it works.
//   npm run build && node bench/vm-bench.js [runs] [--kernel SPEC …] [--no-matrix]
import { fetchKernel } from '../dist/runner/vm/fetch-kernel.js'
import { kvmWorks } from '../dist/runner/vm/kvm-works.js'
import { loadValidLabs } from '../dist/runner/lab/load-labs.js'
import { parseKernelSpec } from '../dist/runner/vm/parse-kernel-spec.js'
import { runVmCell } from '../dist/runner/vm/run-vm-cell.js'

const args = process.argv.slice(2)
const RUNS = Number(args.find((a) => /^\d+$/.test(a)) ?? 3)
const specs = args.flatMap((a, i) => (args[i - 1] === '--kernel' ? [a] : []))
if (specs.length === 0) specs.push('debian:bookworm', 'debian:trixie')
const matrix = !args.includes('--no-matrix')

const labs = loadValidLabs(['labs'])
const first = labs[0]
const kvm = await kvmWorks()
const accels = kvm.ok ? ['tcg', 'kvm'] : ['tcg']
console.error(`KVM: ${kvm.ok ? `works (-cpu ${kvm.cpu})` : `no (${kvm.why})`}; probe ${kvm.durationMs} ms`)

const s = (ms) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)}`)
const median = (xs) => {
  const v = xs.filter((x) => x !== undefined).sort((a, b) => a - b)
  return v.length ? v[Math.floor((v.length - 1) / 2)] : undefined
}
const noop = () => {}

console.log(`| kernel | accel | guest up (s) | lab host up (s) | first block (s) | first step (s) | first step, each run (s) |`)
console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |')
const kernels = []
for (const spec of specs) {
  const kernel = await fetchKernel(parseKernelSpec(spec), { log: (l) => console.error(l) })
  kernels.push(kernel)
  for (const accel of accels) {
    const up = []
    const firstStep = []
    const sandboxUp = []
    const firstBlock = []
    for (let i = 0; i < RUNS; i++) {
      // Once the first step has begun there is nothing more to time: the VM is stopped there.
      const stop = new AbortController()
      const t0 = performance.now()
      let sandbox
      let block
      const r = await runVmCell({
        kernel,
        backend: 'nft',
        labs: [first],
        accel,
        ...(accel === 'kvm' ? { cpu: kvm.cpu } : {}),
        timeoutMs: 300_000,
        labTimeoutMs: 300_000,
        emit: (e) => {
          if (e.type === 'sandbox-up') sandbox ??= e.durationMs
          if (e.type === 'block-start') block ??= performance.now() - t0
          if (e.type === 'block-start' && e.block.kind === 'script') stop.abort()
        },
        signal: stop.signal,
      })
      if (r.firstStepMs === undefined) console.error(`${spec} ${accel}: ${r.failure}\n${r.consoleTail}`)
      up.push(r.upMs)
      firstStep.push(r.firstStepMs)
      sandboxUp.push(sandbox)
      firstBlock.push(block)
    }
    console.log(`| ${spec} (${kernel.release}) | ${accel.toUpperCase()} | ${s(median(up))} | ${s(median(sandboxUp))} | ${s(median(firstBlock))} | ${s(median(firstStep))} | ${firstStep.map(s).join(', ')} |`)
  }
}

if (matrix) {
  const pair = kernels.slice(0, 2)
  console.log('')
  console.log(`| matrix | accel | cells | labs passed | wall time (s) |`)
  console.log('| --- | --- | ---: | ---: | ---: |')
  for (const accel of accels) {
    const t0 = performance.now()
    let passed = 0
    let total = 0
    for (const kernel of pair) {
      const r = await runVmCell({ kernel, backend: 'nft', labs, accel, ...(accel === 'kvm' ? { cpu: kvm.cpu } : {}), timeoutMs: 900_000, labTimeoutMs: 600_000, emit: noop })
      passed += r.results.filter((x) => x.status === 'pass').length
      total += r.results.length
    }
    console.log(`| ${labs.length} labs × ${pair.map((k) => k.spec).join(', ')} (nft) | ${accel.toUpperCase()} | ${pair.length} | ${passed}/${total} | ${s(performance.now() - t0)} |`)
  }
}
