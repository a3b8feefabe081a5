/**
 * Cut long text to about maxChars, keeping its start and (the larger part)
 * its end, where the error usually is. Returns the text and whether it was cut.
 */
export function truncateOutput(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false }
  const head = Math.floor(maxChars / 4)
  const tail = maxChars - head
  const cut = text.length - head - tail
  return {
    text: `${text.slice(0, head)}\n… [${cut} characters cut] …\n${text.slice(text.length - tail)}`,
    truncated: true,
  }
}
