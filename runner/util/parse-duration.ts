// Durations as a lab writes them: 10s, 500ms, 1.5s, 2m, 1h.

const UNITS = new Map<string, number>([['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]])

/** Spellings people reach for, and the unit they mean. */
const ALIASES = new Map<string, string>(
  Object.entries({
    sec: 's', secs: 's', second: 's', seconds: 's',
    min: 'm', mins: 'm', minute: 'm', minutes: 'm',
    msec: 'ms', msecs: 'ms', millis: 'ms', milliseconds: 'ms',
    hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  }),
)

/** At most a day: longer is a typo, and setTimeout cannot wait much longer anyway. */
const MAX_MS = 24 * 3_600_000

export type DurationResult = { ms: number } | { error: string }

/**
 * Reads a duration. The error is a phrase about the text, e.g.
 * `"10" has no unit: write 10s or 10ms`; the caller says what it was for.
 */
export function parseDuration(text: string): DurationResult {
  const m = /^(\d+(?:\.\d+)?|\.\d+)([a-zA-Z]*)$/.exec(text)
  if (!m) return { error: `"${text}" is not a duration: write a number and a unit, such as 10s, 500ms, 1.5s or 2m` }
  const value = Number(m[1])
  const unit = m[2]!
  if (unit === '') return { error: `"${text}" has no unit: write ${m[1]}s or ${m[1]}ms` }
  const factor = UNITS.get(unit)
  if (factor === undefined) {
    const meant = ALIASES.get(unit.toLowerCase()) ?? (UNITS.has(unit.toLowerCase()) ? unit.toLowerCase() : undefined)
    const hint = meant === undefined ? 'the units are ms, s, m and h' : `write ${m[1]}${meant}`
    return { error: `"${text}" has an unknown unit "${unit}": ${hint}` }
  }
  const ms = Math.round(value * factor)
  if (ms > MAX_MS) return { error: `"${text}" is too long: at most 24h` }
  return { ms }
}
