import { readFile, rm, writeFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { run } from '../host/exec.js'
import { findProgram } from '../host/require-programs.js'

/**
 * The uncompressed kernel (vmlinux) inside a bzImage, written to `out`, when
 * it can boot straight into 64-bit code (it has a PVH entry point): qemu then
 * loads it without firmware real-mode setup or decompression, which under
 * software emulation saves most of the time before the kernel's first line.
 * Returns false (and writes nothing) when the image is no bzImage, its
 * payload cannot be decompressed here, or the kernel has no PVH entry.
 */
export async function extractVmlinux(image: string, out: string): Promise<boolean> {
  const bz = await readFile(image)
  if (bz.length < 0x260 || bz.toString('latin1', 0x202, 0x206) !== 'HdrS') return false
  // The setup header says where the compressed kernel is (Documentation/arch/x86/boot.rst).
  const setupSects = bz[0x1f1] || 4
  const start = (setupSects + 1) * 512 + bz.readUInt32LE(0x248)
  const payload = bz.subarray(start, start + bz.readUInt32LE(0x24c))
  const elf = await decompress(payload, out)
  if (!elf || !hasPvhEntry(elf)) {
    await rm(out, { force: true })
    return false
  }
  await writeFile(out, elf)
  return true
}

async function decompress(payload: Buffer, scratch: string): Promise<Buffer | undefined> {
  const magic = payload.subarray(0, 6).toString('hex')
  try {
    if (magic.startsWith('1f8b')) return gunzipSync(payload)
    // busybox's xzcat lacks the x86 filter kernels are packed with; xz itself has it.
    const tool = magic === 'fd377a585a00' ? ['xz', '-dcq'] : magic.startsWith('28b52ffd') ? ['zstd', '-dcq'] : undefined
    if (!tool || !findProgram(tool[0]!)) return undefined
    const packed = `${scratch}.payload`
    await writeFile(packed, payload)
    try {
      // Binary output goes to a file: exec's results are text.
      // The kernel's payload ends with its size after the stream, which xz calls an error: the ELF's own
      // check below (every segment inside the file) judges the output instead.
      await run({ file: 'sh', args: ['-c', '"$@" < "$0" > "$0.out"', packed, ...tool], timeoutMs: 120_000 })
      return await readFile(`${packed}.out`)
    } finally {
      await rm(packed, { force: true })
      await rm(`${packed}.out`, { force: true })
    }
  } catch {
    return undefined
  }
}

/** An ELF64 with a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, type 18), which qemu boots directly. */
export function hasPvhEntry(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false
  const phoff = Number(elf.readBigUInt64LE(0x20))
  const phentsize = elf.readUInt16LE(0x36)
  const phnum = elf.readUInt16LE(0x38)
  if (phnum === 0 || phoff + phnum * phentsize > elf.length) return false
  // A whole kernel: every segment's bytes are in the file (a cut one is not booted).
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize
    if (Number(elf.readBigUInt64LE(ph + 8)) + Number(elf.readBigUInt64LE(ph + 32)) > elf.length) return false
  }
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize
    if (elf.readUInt32LE(ph) !== 4 /* PT_NOTE */) continue
    let at = Number(elf.readBigUInt64LE(ph + 8))
    const end = at + Number(elf.readBigUInt64LE(ph + 32))
    while (at + 12 <= end && end <= elf.length) {
      const namesz = elf.readUInt32LE(at)
      const descsz = elf.readUInt32LE(at + 4)
      const type = elf.readUInt32LE(at + 8)
      const name = elf.toString('latin1', at + 12, at + 12 + Math.max(namesz - 1, 0))
      if (name === 'Xen' && type === 18) return true
      at += 12 + align4(namesz) + align4(descsz)
    }
  }
  return false
}

function align4(n: number): number {
  return (n + 3) & ~3
}
