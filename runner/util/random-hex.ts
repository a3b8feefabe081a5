// Random bytes as hex, from /dev/urandom. Written here rather than taken from
// node:crypto: loading that module costs every command 7–9 ms of its start on
// a small machine, and nslab needs only a few unguessable bytes at a time
// (the markers between batched looks, a run's trace id).
import { closeSync, openSync, readSync } from 'node:fs'

export function randomHex(bytes: number): string {
  const b = Buffer.alloc(bytes)
  const fd = openSync('/dev/urandom', 'r')
  try {
    let got = 0
    while (got < bytes) got += readSync(fd, b, got, bytes - got, null)
  } finally {
    closeSync(fd)
  }
  return b.toString('hex')
}
