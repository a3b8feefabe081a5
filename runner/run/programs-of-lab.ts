import type { Lab } from '../lab/lab.js'
import { PACKAGE_OF } from '../host/require-programs.js'

// Programs a check kind runs on the lab host.
const CHECK_PROGRAMS: Record<string, string[]> = {
  ping: ['ping'],
  http: ['curl'],
  rule: ['iptables-save', 'iptables'],
  policy: ['iptables-save'],
  conntrack: ['conntrack'],
  nft: ['nft'],
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
    for (const word of commandWords(text)) {
      if (PACKAGE_OF[word] && word !== 'qemu') found.add(word)
    }
  }
  for (const b of lab.blocks) {
    if (b.kind !== 'check') continue
    for (const c of b.checks) for (const p of CHECK_PROGRAMS[c.verb] ?? []) found.add(p)
  }
  return [...found].sort()
}

// A command word is a word [a-z][a-z0-9-]* after optional blanks that follow
// the start of a line, a shell operator (; & | ( {), one of the words exec,
// then, do, nohup, or `netns exec NAME`. This was the regex
//   /(?<=^|[;&|({]|\bexec|\bthen|\bdo|\bnohup|\bnetns exec \S+)\s*([a-z][a-z0-9-]*)/gm
// which V8 runs in time quadratic in the length of a line (its \s* and its
// lookbehind's \S+ are re-scanned from every position: a 10 MB line took 15
// minutes). The scan below finds the same words, in one pass.

const isSpace = (c: number) =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95
const isLower = (c: number) => c >= 97 && c <= 122
const isNameChar = (c: number) => isLower(c) || (c >= 48 && c <= 57) || c === 45
const KEYWORDS = ['exec', 'then', 'do', 'nohup']
const NETNS_EXEC = 'netns exec '

/** The command words of a script, in order (a word as often as it is used). */
export function commandWords(text: string): string[] {
  const words: string[] = []
  const n = text.length
  // Start of the run of non-blanks that ends just before p (p itself when text[p-1] is blank).
  let runStart = 0
  // First index >= p that is not a blank (n when none).
  let nonBlank = 0
  let p = 0
  while (p <= n) {
    if (nonBlank < p) nonBlank = p
    while (nonBlank < n && isSpace(text.charCodeAt(nonBlank))) nonBlank++
    if (nonBlank < n && isLower(text.charCodeAt(nonBlank)) && commandWordMayFollow(text, p, runStart)) {
      let end = nonBlank + 1
      while (end < n && isNameChar(text.charCodeAt(end))) end++
      words.push(text.slice(nonBlank, end))
      // The regex went on from the end of the match: no new match starts inside it.
      for (; p < end; p++) if (isSpace(text.charCodeAt(p))) runStart = p + 1
      continue
    }
    if (p < n && isSpace(text.charCodeAt(p))) runStart = p + 1
    p++
  }
  return words
}

/** Whether the regex's lookbehind holds at p; `runStart` is where the non-blanks before p start. */
function commandWordMayFollow(text: string, p: number, runStart: number): boolean {
  if (p === 0) return true
  const before = text.charCodeAt(p - 1)
  // ^ with the m flag: after \n, \r, U+2028, U+2029.
  if (before === 10 || before === 13 || before === 0x2028 || before === 0x2029) return true
  if (before === 59 || before === 38 || before === 124 || before === 40 || before === 123) return true
  for (const k of KEYWORDS) {
    const at = p - k.length
    if (at >= 0 && text.startsWith(k, at) && (at === 0 || !isWordChar(text.charCodeAt(at - 1)))) return true
  }
  // \bnetns exec \S+: the non-blanks before p (all of them: a blank must come before them) follow "netns exec ".
  if (runStart < p) {
    const at = runStart - NETNS_EXEC.length
    if (at >= 0 && text.startsWith(NETNS_EXEC, at) && (at === 0 || !isWordChar(text.charCodeAt(at - 1)))) return true
  }
  return false
}
