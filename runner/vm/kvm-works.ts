import { closeSync, constants, openSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../host/exec.js'

export interface KvmVerdict {
  ok: boolean
  /** The -cpu model that ran (a nested KVM may refuse the host's MSRs: then without arch-capabilities). */
  cpu?: string
  /** Why not, in a few words: "/dev/kvm is absent", "it hung", … */
  why?: string
  durationMs: number
}

/** How long the probe may take: a working KVM answers in a tenth of this. */
export const KVM_PROBE_TIMEOUT_MS = 1500

/** CPU models tried in turn; the first that runs is used for every VM. */
const CPUS = ['host', 'host,-arch-capabilities']

/** The exit status qemu's isa-debug-exit gives for the probe's byte 0x21: (0x21 << 1) | 1. */
const PROBE_EXIT = 67

let memo: Promise<KvmVerdict> | undefined

/**
 * Whether KVM really runs a guest here. /dev/kvm can exist and still not
 * work (nested virtualisation often hangs or fails, and some hosts run real
 * mode but hang as the guest enters long mode), so the proof is a tiny VM:
 * a 64 KiB firmware that goes from real mode through protected mode and
 * paging into 64-bit long mode, as a kernel's boot does, then writes one
 * byte to qemu's debug exit port. Only a CPU that really ran it makes qemu
 * exit with 67. Asked once per process.
 */
export function kvmWorks(qemu = 'qemu-system-x86_64'): Promise<KvmVerdict> {
  memo ??= probe(qemu)
  return memo
}

async function probe(qemu: string): Promise<KvmVerdict> {
  const t0 = performance.now()
  const verdict = (ok: boolean, why?: string, cpu?: string): KvmVerdict => ({
    ok,
    ...(cpu ? { cpu } : {}),
    ...(why ? { why } : {}),
    durationMs: Math.round(performance.now() - t0),
  })
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return verdict(false, code === 'ENOENT' ? '/dev/kvm is absent' : `/dev/kvm cannot be opened (${code})`)
  }
  const dir = await mkdtemp(join(tmpdir(), 'nslab-kvm-'))
  try {
    await writeFile(join(dir, 'probe.bin'), probeFirmware())
    let failure = ''
    for (const cpu of CPUS) {
      const r = await run({
        file: qemu,
        args: ['-accel', 'kvm', '-cpu', cpu, '-M', 'pc', '-nodefaults', '-no-user-config', '-display', 'none', '-m', '16', '-bios', join(dir, 'probe.bin'), '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
        timeoutMs: KVM_PROBE_TIMEOUT_MS,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
      })
      if (r.exitCode === PROBE_EXIT) return verdict(true, undefined, cpu)
      // A hang is the verdict at once; a refusal may pass with the next CPU model.
      if (r.timedOut) return verdict(false, `a KVM guest hung (no answer within ${KVM_PROBE_TIMEOUT_MS} ms)`)
      const said = r.output.trim().split('\n').filter((l) => !/warning:/i.test(l))[0]
      failure = `a KVM guest failed (exit ${r.exitCode ?? r.signal}${said ? `: ${said.replace(/^qemu-system-x86_64: /, '')}` : ''})`
    }
    return verdict(false, failure)
  } catch (e) {
    return verdict(false, `qemu could not run: ${(e as Error).message}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The probe's firmware. At 0xf0000 (the ROM's start), assembled from:
 *   .code16: cli; ds=0; identity-map the first 2 MiB (PML4 0x1000 → PDPT
 *            0x2000 → PD 0x3000, one 2 MiB page); lgdt; CR0.PE=1; ljmp 0x08:pm32
 *   .code32: ds=ss=0x10; CR4.PAE=1; CR3=0x1000; EFER.LME=1; CR0.PG=1; ljmp 0x18:lm64
 *   .code64: mov al,0x21; out 0xf4,al; hlt
 * then a GDT (null, 32-bit code, data, 64-bit code) and its descriptor.
 * The reset vector (0xffff0) jumps to F000:0000; every other byte is hlt.
 */
export function probeFirmware(): Buffer {
  const code = Buffer.from(
    'fa31c08ed866c70600100320000066c70600200330000066c7060030830000002e660f011698000f20c00c010f22c066ea37000f00080066b810008ed88ed00f' +
      '20e083c8200f22e0b8001000000f22d8b9800000c00f320d000100000f300f20c00d000000800f22c0ea70000f001800b021e6f4f4ebfd900000000000000000' +
      'ffff0000009acf00ffff00000092cf00ffff0000009aaf001f0078000f00',
    'hex',
  )
  const rom = Buffer.alloc(65536, 0xf4)
  code.copy(rom, 0)
  rom.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0xfff0)
  return rom
}
