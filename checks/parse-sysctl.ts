/**
 * The value `sysctl -n KEY` printed (or "KEY = VALUE" from `sysctl KEY`),
 * with runs of blanks made one space: ip_local_port_range prints "32768\t60999".
 * undefined when it printed no value (an unknown key prints only to stderr).
 */
export function parseSysctl(stdout: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.trim() !== '')
  if (line === undefined) return undefined
  const named = /^\s*[\w.\/-]+ = (.*)$/.exec(line)
  return normalizeSysctlValue(named ? named[1]! : line)
}

/** How a value is compared: trimmed, blanks made one space. */
export function normalizeSysctlValue(v: string): string {
  return v.trim().replace(/\s+/g, ' ')
}
