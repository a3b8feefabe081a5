import { readdirSync, readFileSync } from 'node:fs'

/** Live processes (not zombies, not this one) whose command line holds `word`: a test's marked sleepers. */
export function withWord(word: string): number[] {
  const found: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue
    try {
      if (/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))) continue
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(word)) found.push(Number(d))
    } catch {
      // gone meanwhile
    }
  }
  return found
}
