/** Arguments as a person would type them again: words with blanks or quotes in double quotes. */
export function specText(args: string[]): string {
  return args.map((a) => (a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(' ')
}
