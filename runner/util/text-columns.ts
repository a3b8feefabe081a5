// Text as a terminal lays it out: Chinese (and other East Asian wide)
// characters take two columns, and a line may break between any two of them,
// since such text has no spaces between words. Wrapping by spaces and counting
// characters would leave a Chinese paragraph one overlong "word".
import { eastAsianWidth } from 'get-east-asian-width'

/** Columns the text takes in a terminal (East Asian wide characters take two). */
export function columns(text: string): number {
  let n = 0
  for (const ch of text) n += eastAsianWidth(ch.codePointAt(0)!)
  return n
}

/** Punctuation no line starts with: it stays with the character before it. */
const CLOSING = new Set([...'，。、；：！？）」』》〉】〕”’…%,.;:!?)]}'])
/** Punctuation no line ends with: it stays with the character after it. */
const OPENING = new Set([...'（「『《〈【〔“‘'])

function wide(ch: string): boolean {
  return eastAsianWidth(ch.codePointAt(0)!) === 2
}

/**
 * A word (text without spaces) cut where a line may break: before and after
 * each wide character, never before closing punctuation or after opening
 * punctuation. A word of narrow characters only comes back whole.
 */
export function breakUnits(word: string): string[] {
  const units: string[] = []
  let cur = ''
  let glueNext = false
  // The last character's width, kept rather than read back from cur: linear in the word.
  let prevWide = false
  for (const ch of word) {
    const isWide = wide(ch)
    const breakHere = cur !== '' && !glueNext && !CLOSING.has(ch) && (isWide || prevWide)
    if (breakHere) {
      units.push(cur)
      cur = ''
    }
    cur += ch
    glueNext = OPENING.has(ch)
    prevWide = isWide
  }
  if (cur) units.push(cur)
  return units
}

/** Whether a soft line break between these two characters reads as nothing (Chinese) rather than a space. */
export function joinsWithoutSpace(before: string | undefined, after: string | undefined): boolean {
  if (before === undefined || after === undefined) return false
  return wide(before) && wide(after)
}
