import type { Lab } from './lab.js'
import { PACKAGE_OF } from './require-programs.js'

// Programs a check kind runs on the lab host.
const CHECK_PROGRAMS: Record<string, string[]> = {
  ping: ['ping'],
  http: ['curl'],
  rule: ['iptables-save', 'iptables'],
  policy: ['iptables-save'],
}

/**
 * The programs a lab will need that nslab knows a Debian package for: those
 * its scripts and container commands name as a command word, and those its
 * checks run. A missing one is named before the lab runs, with its package.
 */
export function programsOfLab(lab: Lab): string[] {
  const found = new Set<string>()
  const texts = [
    ...lab.blocks.flatMap((b) => (b.kind === 'script' ? [b.content] : [])),
    ...lab.topology.containers.flatMap((c) => (c.command ? [c.command] : [])),
  ]
  for (const text of texts) {
    // A command word: at the start of a line or after a shell operator.
    for (const m of text.matchAll(/(?<=^|[;&|({]|\bexec|\bthen|\bdo|\bnohup|\bnetns exec \S+)\s*([a-z][a-z0-9-]*)/gm)) {
      const word = m[1]!
      if (PACKAGE_OF[word] && word !== 'qemu') found.add(word)
    }
  }
  for (const b of lab.blocks) {
    if (b.kind !== 'check') continue
    for (const c of b.checks) for (const p of CHECK_PROGRAMS[c.verb] ?? []) found.add(p)
  }
  return [...found].sort()
}
