/** Quote one word for bash: safe words stay as they are, others in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_\/.:=,+@%-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}
