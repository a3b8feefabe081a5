/**
 * What a failing `nslab run` of many labs printed about its failures: each ✗
 * line with the lines that follow it (the evidence), not the tail of the
 * output, which is the labs that passed last. The tail when nothing failed.
 */
export function failedLines(stdout: string, max = 8000): string {
  const lines = stdout.split('\n')
  const kept: string[] = []
  lines.forEach((l, i) => {
    if (!l.includes('✗')) return
    kept.push(...lines.slice(i, i + 14), '…')
  })
  const text = kept.length ? kept.join('\n') : stdout.slice(-4000)
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text
}
