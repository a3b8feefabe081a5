// Suggestions for misspelt words: "pnig" → "ping". Optimal string alignment
// distance (Levenshtein plus swaps of neighbours), since swapped letters are
// the commonest typo and plain Levenshtein counts a swap as two edits.

/** Longest word worth comparing; longer input is not a typo of a keyword. */
const MAX_WORD = 64

function distance(a: string, b: string): number {
  const n = a.length
  const m = b.length
  // Three rolling rows: the swap rule looks two rows back.
  let prev2 = new Array<number>(m + 1).fill(0)
  let prev = Array.from({ length: m + 1 }, (_, j) => j)
  let cur = new Array<number>(m + 1).fill(0)
  for (let i = 1; i <= n; i++) {
    cur[0] = i
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1)
      cur[j] = d
    }
    ;[prev2, prev, cur] = [prev, cur, prev2]
  }
  return prev[m]!
}

/** The candidate `word` most likely stands for, if one is close enough. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (word.length === 0 || word.length > MAX_WORD) return undefined
  const lower = word.toLowerCase()
  const same = candidates.find((c) => c.toLowerCase() === lower)
  if (same !== undefined) return same === word ? undefined : same
  // One letter is no word to correct; short words allow one edit, longer ones two.
  const limit = lower.length <= 1 ? 0 : lower.length <= 4 ? 1 : 2
  let best: string | undefined
  let bestDistance = limit + 1
  let tie = false
  for (const c of candidates) {
    if (Math.abs(c.length - lower.length) > limit) continue
    const d = distance(lower, c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
      tie = false
    } else if (d === bestDistance && c !== best) tie = true
  }
  // "box3" is as near box1 as box2: a guess would mislead.
  return tie ? undefined : best
}

/** ` (did you mean "ping"?)`, or '' when nothing is close. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates)
  return s === undefined ? '' : ` (did you mean "${s}"?)`
}
