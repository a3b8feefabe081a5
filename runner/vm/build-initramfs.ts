import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../host/exec.js'
import type { Kernel } from './fetch-kernel.js'
import { moduleLoadOrder } from './module-load-order.js'
import { NslabError } from '../util/nslab-error.js'
import { findProgram } from '../host/require-programs.js'
import { LAB_MODULES_DONE } from './vm-guest.js'
import { writeCpio, type CpioEntry } from './write-cpio.js'

/** What the initramfs loads before it can reach the host's files: virtio, 9p, overlay, the events port, entropy. */
export const BOOT_MODULES = ['virtio_pci', 'virtio_console', 'virtio_rng', '9pnet_virtio', '9p', 'overlay']



/**
 * The first program of the VM, run by busybox sh from the initramfs. It
 * loads the boot modules, mounts the host's root read-only (9p) under a
 * tmpfs layer (overlay), hands the lab modules on to the second stage, then
 * switch_root into the host's files and runs the second stage there.
 */
const INIT = `#!/bin/sh
export PATH=/bin
say() { echo "nslab-vm: $*"; }
die() { say "$*"; say "powering off"; poweroff -f; sleep 5; exit 1; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /modules/boot); do insmod "/modules/$m" || say "could not load $m"; done
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=524288,cache=loose,access=any nslabroot /lower || die "cannot mount the host's files (9p)"
mount -t tmpfs -o mode=755 nslabrw /rw || die "cannot mount a tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work nslabroot /newroot || die "cannot mount the overlay on the host's files"
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
mount -t tmpfs -o mode=755 run /newroot/run
mkdir -p /newroot/run/nslab-vm/modules
cp /bin/busybox /newroot/run/nslab-vm/busybox
ln -s busybox /newroot/run/nslab-vm/modprobe
# One cp for all: a process per module costs some 0.3 s under emulation.
(cd /modules && cp $(cat lab) /newroot/run/nslab-vm/modules/)
cp /modules/lab /newroot/run/nslab-vm/modules.order
cp /stage2 /newroot/run/nslab-vm/stage2
exec switch_root /newroot /run/nslab-vm/busybox sh /run/nslab-vm/stage2
`

/**
 * The second stage, pid 1 inside the host's files: the lab modules load in
 * the background while the run starts (the run waits for LAB_MODULES_DONE
 * before its first lab), the kernel's own modules folder where modprobe
 * looks, then the run script, then power off. Its arguments come on the
 * kernel command line: nslab.run (the host's script to run), nslab.modules
 * (the kernel's modules folder, a host path) and nslab.release.
 */
const STAGE2 = `B=/run/nslab-vm/busybox
say() { echo "nslab-vm: $*"; }
for a in $($B cat /proc/cmdline); do
  case $a in
    nslab.run=*) RUN=\${a#nslab.run=} ;;
    nslab.modules=*) MODS=\${a#nslab.modules=} ;;
    nslab.release=*) REL=\${a#nslab.release=} ;;
  esac
done
(
  cd /run/nslab-vm/modules && for m in $($B cat ../modules.order); do $B insmod "./$m" 2>/dev/null || say "could not load $m"; done
  $B rm -rf /run/nslab-vm/modules
  : > ${LAB_MODULES_DONE}
) &
if [ -n "$MODS" ] && [ -n "$REL" ]; then
  # The kernel's own modules where modprobe looks (a link, not a mount: a mount under /usr would keep
  # a lab host from laying its own layer over /usr), and busybox's modprobe for the kernel to call.
  $B mkdir -p /lib/modules && $B ln -sfn "$MODS" "/lib/modules/$REL" || say "cannot link the modules of $REL"
  echo /run/nslab-vm/modprobe > /proc/sys/kernel/modprobe
fi
$B hostname nslab-vm
/bin/sh "$RUN"
say "run script ended ($?); powering off"
$B poweroff -f
`

export interface Initramfs {
  /** The archive (uncompressed newc cpio). */
  data: Buffer
  /** Modules the kernel has neither as a file nor built in. */
  missing: string[]
}

/**
 * What the labs need of netfilter and links, loaded at boot from the
 * initramfs: the kernel would load most on demand, but not for a process in
 * a user namespace (the sandbox), and a module from the initramfs loads
 * without its signature check, which costs seconds under emulation.
 */
export const LAB_MODULES = {
  common: [
    // libcrc32c (nf_conntrack's) asks the crypto API for crc32c: a soft dependency modules.dep does not list.
    'crc32c_generic',
    'veth', 'bridge', 'br_netfilter', 'nf_conntrack', 'nf_nat', 'nf_defrag_ipv4', 'nf_reject_ipv4', 'x_tables',
    'xt_addrtype', 'xt_conntrack', 'xt_state', 'xt_MASQUERADE', 'xt_nat', 'xt_tcpudp', 'xt_comment', 'xt_multiport',
    'xt_mark', 'xt_REDIRECT', 'xt_LOG', 'xt_limit', 'xt_physdev',
    // the catalogue: kube-proxy's statistic match, the conntrack tool's netlink
    'xt_statistic', 'nf_conntrack_netlink',
    // two-hosts: its VXLAN overlay
    'vxlan',
    // netem: the network emulator qdisc (modules.dep lists no dependency of it on bookworm or trixie)
    'sch_netem',
  ],
  nft: ['nf_tables', 'nft_compat', 'nft_chain_nat', 'nft_ct', 'nft_nat', 'nft_masq', 'nft_redir', 'nft_reject_ipv4', 'nft_limit', 'nft_log'],
  legacy: ['ip_tables', 'iptable_filter', 'iptable_nat', 'iptable_mangle', 'iptable_raw', 'ipt_REJECT'],
}

export interface InitramfsOptions {
  /** Modules loaded at boot besides BOOT_MODULES (with what they need). */
  modules?: string[]
  busybox?: string
}

/** The initramfs of a kernel: busybox, the init, and the boot modules from the kernel's own modules folder. */
export async function buildInitramfs(kernel: Kernel, opts: InitramfsOptions = {}): Promise<Initramfs> {
  const busybox = opts.busybox ?? findProgram('busybox')
  if (!busybox) {
    throw new NslabError({ code: 'PREREQUISITE', message: 'this machine lacks a static busybox for the VM', fix: 'apt-get install busybox-static' })
  }
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'lower', 'rw', 'newroot', 'modules'].map((name): CpioEntry => ({ type: 'dir', name })),
    { type: 'char', name: 'dev/console', major: 5, minor: 1 },
    { type: 'char', name: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'file', name: 'bin/busybox', data: await readFile(busybox), mode: 0o755 },
    ...['sh', 'mount', 'mkdir', 'insmod', 'cat', 'cp', 'ln', 'switch_root', 'poweroff', 'sleep'].map(
      (name): CpioEntry => ({ type: 'symlink', name: `bin/${name}`, target: 'busybox' }),
    ),
    { type: 'file', name: 'init', data: INIT, mode: 0o755 },
    { type: 'file', name: 'stage2', data: STAGE2, mode: 0o644 },
  ]
  const lists = { boot: [] as string[], lab: [] as string[] }
  let missing: string[] = []
  // Only a kernel whose config is known not to enforce signatures gets its modules unsigned.
  const config = kernel.config ? await readFile(kernel.config, 'utf8').catch(() => '') : ''
  const strip = /^# CONFIG_MODULE_SIG_FORCE is not set$/m.test(config)
  if (kernel.modulesDir) {
    const boot = moduleLoadOrder(kernel.modulesDir, BOOT_MODULES)
    const all = moduleLoadOrder(kernel.modulesDir, BOOT_MODULES.concat(opts.modules ?? []))
    missing = all.missing
    const kos = await readModules(all.files.map((f) => join(kernel.modulesDir!, f)))
    all.files.forEach((file, i) => {
      const name = file.split('/').pop()!.replace(/\.(xz|zst|gz)$/, '')
      const ko = kos[i]!
      entries.push({ type: 'file', name: `modules/${name}`, data: strip ? stripSignature(ko) : ko })
      lists[boot.files.includes(file) ? 'boot' : 'lab'].push(name)
    })
  }
  entries.push({ type: 'file', name: 'modules/boot', data: lists.boot.map((n) => `${n}\n`).join('') })
  entries.push({ type: 'file', name: 'modules/lab', data: lists.lab.map((n) => `${n}\n`).join('') })
  return { data: writeCpio(entries), missing }
}

/** How each compression is undone, many files by one process, each in place (.ko.xz → .ko). */
const DECOMPRESS: Record<string, { tool: string[]; fix?: string }> = {
  xz: { tool: ['busybox', 'unxz'] },
  gz: { tool: ['busybox', 'gunzip'] },
  zst: { tool: ['zstd', '-dq', '--rm'], fix: 'apt-get install zstd' },
}

/**
 * Module files as insmod takes them: busybox's insmod reads no compressed
 * modules, so undo xz, gzip or zstd here, with one process per kind for all
 * the files (a process per module made a trixie initramfs take 0.5 s).
 */
async function readModules(paths: string[]): Promise<Buffer[]> {
  const out: (Buffer | undefined)[] = await Promise.all(paths.map((p) => (/\.(xz|zst|gz)$/.test(p) ? undefined : readFile(p))))
  if (out.every((b) => b !== undefined)) return out as Buffer[]
  const dir = await mkdtemp(join(tmpdir(), 'nslab-ko-'))
  try {
    for (const [ext, how] of Object.entries(DECOMPRESS)) {
      const mine = paths.flatMap((p, i) => (p.endsWith(`.${ext}`) ? [i] : []))
      if (mine.length === 0) continue
      // Copies under names of their own: two modules of the same name may sit in different folders.
      const copies = mine.map((i) => join(dir, `${i}.ko.${ext}`))
      await Promise.all(mine.map((i, k) => copyFile(paths[i]!, copies[k]!)))
      const r = await run({ file: how.tool[0]!, args: [...how.tool.slice(1), ...copies], timeoutMs: 120_000 })
      if (r.exitCode !== 0) {
        throw new NslabError({
          code: 'PREREQUISITE',
          message: `cannot decompress the kernel's modules (${how.tool.join(' ')}): ${r.output.trim()}`,
          ...(how.fix ? { fix: how.fix } : {}),
        })
      }
      await Promise.all(mine.map(async (i, k) => (out[i] = await readFile(copies[k]!.replace(/\.\w+$/, '')))))
    }
    return out as Buffer[]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const SIGNATURE_MAGIC = Buffer.from('~Module signature appended~\n', 'latin1')

/**
 * A module without its appended signature. Checking one costs a second or
 * more under software emulation, and a throwaway VM gains nothing by it: the
 * kernel loads an unsigned module (when signatures are not enforced) and
 * only notes a taint.
 */
export function stripSignature(ko: Buffer): Buffer {
  const end = ko.length - SIGNATURE_MAGIC.length
  if (end < 12 || !ko.subarray(end).equals(SIGNATURE_MAGIC)) return ko
  // struct module_signature: 12 bytes before the magic, ending with the signature's length (big-endian).
  const sigLen = ko.readUInt32BE(end - 4)
  const cut = end - 12 - sigLen
  return cut > 0 ? ko.subarray(0, cut) : ko
}
