/** iptables-save per table, without comments and counters: table name → its lines. */
export function saveTables(save: string): Map<string, string> {
  const m = new Map<string, string>()
  let name = ''
  let lines: string[] = []
  for (const raw of save.split('\n')) {
    const l = raw.replace(/ \[\d+:\d+\]$/, '').trimEnd()
    if (l.startsWith('#') || l === '') continue
    if (l.startsWith('*')) {
      name = l.slice(1)
      lines = []
    } else if (l === 'COMMIT') m.set(name, lines.join('\n'))
    else lines.push(l)
  }
  return m
}
