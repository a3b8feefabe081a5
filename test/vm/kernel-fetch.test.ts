// A real Debian kernel, fetched with apt from this machine's own Debian
// mirror into ~/.cache/nslab/kernels (once per machine: later runs read the
// cache), and what nslab makes of it: a vmlinux that boots without
// decompression, the modules a VM loads and in which order, the initramfs.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BOOT_MODULES, buildInitramfs, LAB_MODULES, stripSignature } from '../../runner/vm/build-initramfs.js'
import { extractVmlinux, hasPvhEntry } from '../../runner/vm/extract-vmlinux.js'
import { fetchKernel, kernelCacheDir, type Kernel } from '../../runner/vm/fetch-kernel.js'
import { kvmWorks, probeFirmware } from '../../runner/vm/kvm-works.js'
import { moduleLoadOrder } from '../../runner/vm/module-load-order.js'
import { NslabError } from '../../runner/util/nslab-error.js'
import { parseKernelSpec } from '../../runner/vm/parse-kernel-spec.js'
import { writeCpio } from '../../runner/vm/write-cpio.js'

const dir = mkdtempSync(join(tmpdir(), 'nslab-kernel-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let kernel: Kernel

t.before(async () => {
  // The first run on a machine downloads ~70 MB; every later one reads the cache.
  kernel = await fetchKernel(parseKernelSpec('debian:bookworm'))
})

t.test('debian:bookworm: the newest kernel of the suite, unpacked in the cache, its modules indexed', async (t) => {
  t.equal(kernel.spec, 'debian:bookworm')
  t.match(kernel.release, /^6\.1\.\d+-\d+-amd64$/)
  t.match(kernel.package, new RegExp(`^linux-image-${kernel.release!.replace(/\./g, '\\.')} 6\\.1\\.`))
  t.equal(kernel.image.startsWith(join(kernelCacheDir(), 'kernels', 'bookworm')), true, `in the cache: ${kernel.image}`)
  t.ok(existsSync(join(kernel.modulesDir!, 'modules.dep')), 'modules.dep, as depmod would have made it')
  t.ok(existsSync(join(kernel.modulesDir!, 'modules.alias')), 'modules.alias, for the kernel to load modules on demand')
  const t0 = performance.now()
  const again = await fetchKernel(parseKernelSpec('debian:bookworm'))
  t.same(again, kernel, 'asked again: the same kernel')
  t.ok(performance.now() - t0 < 2000, `from the cache, at once (${Math.round(performance.now() - t0)} ms)`)
})

t.test('the image booted is the uncompressed vmlinux with its PVH entry; a cut one is not taken', async (t) => {
  t.match(kernel.image, /\/vmlinux-/)
  const elf = readFileSync(kernel.image)
  t.ok(hasPvhEntry(elf), 'an ELF with XEN_ELFNOTE_PHYS32_ENTRY')
  t.notOk(hasPvhEntry(elf.subarray(0, elf.length >> 1)), 'half of it is not a kernel')
  const bz = join(kernel.image.replace(/\/vmlinux-.*$/, ''), `vmlinuz-${kernel.release}`)
  t.ok(existsSync(bz), 'the bzImage is kept beside it')
  writeFileSync(join(dir, 'cut'), readFileSync(bz).subarray(0, 3_000_000))
  t.equal(await extractVmlinux(join(dir, 'cut'), join(dir, 'cut.elf')), false, 'a truncated bzImage yields nothing')
  t.notOk(existsSync(join(dir, 'cut.elf')))
  writeFileSync(join(dir, 'text'), 'not a kernel at all')
  t.equal(await extractVmlinux(join(dir, 'text'), join(dir, 'text.elf')), false)
})

t.test('modules load after what they need, as modules.dep says; built-in ones are left out', async (t) => {
  const plan = moduleLoadOrder(kernel.modulesDir!, [...BOOT_MODULES, ...LAB_MODULES.common, ...LAB_MODULES.nft, ...LAB_MODULES.legacy])
  t.same(plan.missing, [], 'every module nslab asks for is in the Debian kernel')
  const at = (name: string) => plan.files.findIndex((f) => f.endsWith(`/${name}.ko`))
  for (const [first, then] of [
    ['virtio', 'virtio_pci'],
    ['virtio_ring', '9pnet_virtio'],
    ['9pnet', '9p'],
    ['netfs', '9p'],
    ['nf_conntrack', 'nf_nat'],
    ['x_tables', 'nft_compat'],
    ['nf_tables', 'nft_compat'],
    ['ip_tables', 'iptable_nat'],
    ['bridge', 'br_netfilter'],
  ]) {
    t.ok(at(first!) >= 0 && at(first!) < at(then!), `${first} before ${then}`)
  }
  t.equal(new Set(plan.files).size, plan.files.length, 'each once')
  const fake = moduleLoadOrder(kernel.modulesDir!, ['no_such_module'])
  t.same(fake, { files: [], missing: ['no_such_module'] })
})

t.test('a module without its signature is the same ELF, shorter', async (t) => {
  const ko = readFileSync(join(kernel.modulesDir!, 'kernel/fs/9p/9p.ko'))
  t.equal(ko.subarray(-28).toString('latin1'), '~Module signature appended~\n', 'Debian signs its modules')
  const bare = stripSignature(ko)
  t.ok(bare.length < ko.length - 28, `${ko.length} → ${bare.length} bytes`)
  t.equal(bare.readUInt32BE(0), 0x7f454c46)
  t.equal(stripSignature(bare), bare, 'nothing to strip: unchanged')
})

t.test('the initramfs: busybox, init, and the modules in two lists (boot, then labs)', async (t) => {
  const ir = await buildInitramfs(kernel, { modules: [...LAB_MODULES.common, ...LAB_MODULES.nft] })
  t.same(ir.missing, [])
  writeFileSync(join(dir, 'initramfs'), ir.data)
  // busybox's own cpio reads it back: the archive is what the kernel unpacks.
  const list = spawnSync('busybox', ['cpio', '-t', '-F', join(dir, 'initramfs')], { encoding: 'utf8' })
  t.equal(list.status, 0, list.stderr)
  const names = list.stdout.split('\n')
  for (const n of ['init', 'stage2', 'bin/busybox', 'bin/sh', 'dev/console', 'modules/9p.ko', 'modules/overlay.ko', 'modules/nf_tables.ko', 'modules/boot', 'modules/lab']) {
    t.ok(names.includes(n), n)
  }
  t.notOk(names.includes('modules/ip_tables.ko'), 'the nft cell does not get the legacy tables')
  const x = mkdtempSync(join(dir, 'x-'))
  t.equal(spawnSync('busybox', ['cpio', '-i', '-d', '-F', join(dir, 'initramfs')], { cwd: x }).status, 0)
  const boot = readFileSync(join(x, 'modules/boot'), 'utf8').trim().split('\n')
  const lab = readFileSync(join(x, 'modules/lab'), 'utf8').trim().split('\n')
  t.ok(boot.includes('9p.ko') && boot.includes('virtio_pci.ko') && !boot.includes('nf_tables.ko'), `boot: ${boot.join(' ')}`)
  t.ok(lab.includes('nf_tables.ko') && lab.includes('xt_MASQUERADE.ko') && !lab.includes('9p.ko'), `lab: ${lab.join(' ')}`)
  t.ok(readFileSync(join(x, 'modules/9p.ko')).subarray(-28).toString('latin1') !== '~Module signature appended~\n', 'unsigned in the initramfs')
  t.equal(readFileSync(join(x, 'init'), 'utf8').split('\n')[0], '#!/bin/sh')
})

t.test('compressed modules (xz, gzip, zstd, as newer Debian kernels ship them) land in the initramfs as the same plain modules', async (t) => {
  // A modules folder like bookworm's, its modules compressed three ways, modules.dep naming the compressed files.
  const rel = kernel.release!
  const wanted = [...LAB_MODULES.common, ...LAB_MODULES.nft]
  const plain = await buildInitramfs(kernel, { modules: wanted })
  const plan = moduleLoadOrder(kernel.modulesDir!, BOOT_MODULES.concat(wanted))
  const mods = join(dir, 'compressed', 'lib', 'modules', rel)
  const exts = ['xz', 'gz', 'zst']
  const extOf = new Map(plan.files.map((f, i) => [f, exts[i % exts.length]!]))
  for (const f of plan.files) {
    const target = join(mods, `${f}.${extOf.get(f)!}`)
    mkdirSync(join(target, '..'), { recursive: true })
    const tool = { xz: ['xz', '-c'], gz: ['gzip', '-c'], zst: ['zstd', '-q', '-c'] }[extOf.get(f)!]!
    const r = spawnSync(tool[0]!, [...tool.slice(1), join(kernel.modulesDir!, f)], { maxBuffer: 64 << 20 })
    t.equal(r.status, 0, `${tool[0]} ${f}`)
    writeFileSync(target, r.stdout)
  }
  const dep = readFileSync(join(kernel.modulesDir!, 'modules.dep'), 'utf8').replace(/\S+\.ko\b/g, (m) => (extOf.has(m) ? `${m}.${extOf.get(m)!}` : m))
  writeFileSync(join(mods, 'modules.dep'), dep)
  writeFileSync(join(mods, 'modules.builtin'), readFileSync(join(kernel.modulesDir!, 'modules.builtin')))
  const t0 = performance.now()
  const packed = await buildInitramfs({ ...kernel, modulesDir: mods }, { modules: wanted })
  const ms = performance.now() - t0
  t.same(packed.missing, [])
  t.ok(packed.data.equals(plain.data), `the same initramfs, byte for byte (${plan.files.length} modules undone in ${Math.round(ms)} ms)`)
})

t.test('writeCpio: directories, files, links and device nodes, as cpio reads them', async (t) => {
  const data = writeCpio([
    { type: 'dir', name: 'a' },
    { type: 'file', name: 'a/f', data: 'hello\n', mode: 0o755 },
    { type: 'symlink', name: 'a/l', target: 'f' },
    { type: 'char', name: 'a/null', major: 1, minor: 3 },
  ])
  t.equal(data.length % 4, 0)
  writeFileSync(join(dir, 'small.cpio'), data)
  const v = spawnSync('busybox', ['cpio', '-t', '-v', '-F', join(dir, 'small.cpio')], { encoding: 'utf8' })
  t.equal(v.status, 0, v.stderr)
  t.match(v.stdout, /^drwxr-xr-x .* a$/m)
  t.match(v.stdout, /^-rwxr-xr-x .* 6 .* a\/f$/m)
  t.match(v.stdout, /^lrwxrwxrwx .* a\/l -> f$/m)
  t.match(v.stdout, /^crw------- .* a\/null$/m)
})

t.test('KVM is judged by a guest that reaches long mode, quickly', async (t) => {
  const fw = probeFirmware()
  t.equal(fw.length, 65536)
  t.same([...fw.subarray(0xfff0, 0xfff5)], [0xea, 0, 0, 0, 0xf0], 'the reset vector jumps to F000:0000')
  const v = await kvmWorks()
  t.type(v.ok, 'boolean')
  t.ok(v.durationMs < 5000, `answered in ${v.durationMs} ms`)
  if (!v.ok) t.match(v.why, /\/dev\/kvm|KVM guest|qemu/, `why: ${v.why}`)
  else t.match(v.cpu, /^host/)
  t.equal(await kvmWorks(), v, 'asked once per process')
})

t.test('a kernel that cannot be had is a reason, not a crash', async (t) => {
  await t.rejects(fetchKernel(parseKernelSpec('debian:nosuchsuite'), { cacheDir: dir }), {
    code: 'PREREQUISITE',
    message: /cannot fetch the kernel of debian:nosuchsuite: apt-get update for nosuchsuite failed/,
  })
  t.same(readdirSync(join(dir, 'kernels')).filter((f) => !f.startsWith('.')), [], 'nothing half-made is left in the cache')
  await t.rejects(fetchKernel(parseKernelSpec(join(dir, 'nope'))), { code: 'NOT_FOUND', message: /no kernel image at/ })
  mkdirSync(join(dir, 'mods'))
  await t.rejects(fetchKernel(parseKernelSpec(`${kernel.image}:${join(dir, 'mods')}`)), NslabError)
  const own = await fetchKernel(parseKernelSpec(`${kernel.image}:${join(kernel.modulesDir!, '..', '..', '..')}`))
  t.equal(own.modulesDir, kernel.modulesDir, 'a root holding lib/modules/RELEASE will do')
  t.equal(own.release, kernel.release)
})
