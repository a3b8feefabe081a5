// The "newc" cpio format that the kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst). Written here
// rather than with cpio(1), which most machines lack and which needs the
// files laid out on disk first.

export type CpioEntry =
  | { type: 'dir'; name: string; mode?: number }
  | { type: 'file'; name: string; data: Buffer | string; mode?: number }
  | { type: 'symlink'; name: string; target: string }
  | { type: 'char'; name: string; major: number; minor: number; mode?: number }

const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const S_IFLNK = 0o120000
const S_IFCHR = 0o020000

/** One uncompressed newc archive of the entries, in order, with its trailer. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  let ino = 1
  const push = (b: Buffer) => {
    parts.push(b)
    offset += b.length
  }
  const pad = () => {
    const n = (4 - (offset % 4)) % 4
    if (n) push(Buffer.alloc(n))
  }
  const entry = (name: string, mode: number, data: Buffer, nlink: number, rdev: [number, number] = [0, 0]) => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8')
    const fields = [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0]
    push(Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'ascii'))
    push(nameBytes)
    pad()
    if (data.length) push(data)
    pad()
  }
  for (const e of entries) {
    const name = e.name.replace(/^\/+/, '')
    switch (e.type) {
      case 'dir':
        entry(name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), 2)
        break
      case 'file':
        entry(name, S_IFREG | (e.mode ?? 0o644), typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data, 1)
        break
      case 'symlink':
        entry(name, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'), 1)
        break
      case 'char':
        entry(name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), 1, [e.major, e.minor])
        break
    }
  }
  ino = 0
  entry('TRAILER!!!', 0, Buffer.alloc(0), 1)
  return Buffer.concat(parts)
}
