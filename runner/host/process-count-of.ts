import { readdirSync, readFileSync, statSync } from 'node:fs'

/** How many processes a user has now (the base of RLIMIT_NPROC, which counts them all). */
export function processCountOf(uid: number): number {
  let n = 0
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (statSync(`/proc/${d}`).uid === uid) {
        // Threads count against RLIMIT_NPROC too.
        const m = /^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))
        n += m ? Number(m[1]) : 1
      }
    } catch {
      // gone
    }
  }
  return n
}
