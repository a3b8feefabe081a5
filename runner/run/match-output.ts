// An `output` block: its lines must appear in order in what the step printed;
// a line `...` stands for any number of lines, `{*}` within a line for any text.

export interface OutputMatch {
  ok: boolean
  /** Why not, in one sentence, naming the first expected line not found. */
  message?: string
}

/**
 * One expected line as a test of a printed line: literal text with `{*}`
 * for any run of characters. Not a regex (^a.*b.*c$ backtracks: with a few
 * {*} a long line takes time of a power of its length); the parts are found
 * in order, each at its first place after the one before, which is where a
 * match would put them. As `.` in the regex this replaces, {*} spans no line
 * terminator (\r, U+2028, U+2029) that may be left inside a line.
 */
function linePattern(line: string): { test(got: string): boolean } {
  const parts = line.trimEnd().split('{*}')
  const literal = parts.reduce((n, p) => n + p.length, 0)
  if (parts.length === 1) return { test: (got) => got === parts[0] }
  const first = parts[0]!
  const last = parts[parts.length - 1]!
  return {
    test(got: string): boolean {
      if (got.length < literal || !got.startsWith(first) || !got.endsWith(last)) return false
      let pos = first.length
      let stop = nextTerminator(got, pos)
      for (let i = 1; i < parts.length - 1; i++) {
        const p = parts[i]!
        const at = got.indexOf(p, pos)
        // A later place would take a longer run, through the same terminator.
        if (at < 0 || at > stop) return false
        pos = at + p.length
        if (stop < pos) stop = nextTerminator(got, pos)
      }
      const end = got.length - last.length
      return end >= pos && end <= stop
    },
  }
}

/** Index of the first \r, U+2028 or U+2029 at or after `from` (the length when none). */
function nextTerminator(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 13 || c === 0x2028 || c === 0x2029) return i
  }
  return s.length
}

/** A progress meter's row: curl's (% Total … Current) and curl -#'s bar. Short lines only: a meter is short. */
const TIME = '(?:--:--:--|\\d+:\\d\\d:\\d\\d|\\d+[dh] \\d\\d[hm])'
const SIZE = '[\\d.]+[kMGTP]?'
const METER_ROW = [
  // curl: % Total, % Received, % Xferd, the speeds, the three times, the current speed.
  new RegExp(`^ *\\d+ +${SIZE} +\\d+ +${SIZE} +\\d+ +${SIZE} +${SIZE} +${SIZE} +${TIME} +${TIME} +${TIME} +${SIZE} *$`),
  // curl -#
  /^#* *\d{1,3}\.\d%$/,
]
/** curl's two heading lines above its meter. */
const METER_HEADING = [/^ *% Total +% Received % Xferd +Average Speed +Time +Time +Time +Current$/, /^ +Dload +Upload +Total +Spent +Left +Speed$/]

const isMeterRow = (s: string) => s.length < 200 && METER_ROW.some((r) => r.test(s))
/** A meter's row that the program's own output was written right after (no line end between). */
const METER_PREFIX = new RegExp(`^ *\\d+ +${SIZE} +\\d+ +${SIZE} +\\d+ +${SIZE} +${SIZE} +${SIZE} +${TIME} +${TIME} +${TIME} +${SIZE}`)

/**
 * The lines as a terminal leaves them, progress meters gone: a line that a
 * program rewrote with carriage returns shows its last text; rows of a
 * progress meter (curl's, without -s) and curl's heading over it are
 * dropped, so that an output block matches whether or not the command was
 * quiet, and whether or not the block shows the meter.
 */
export function withoutProgress(lines: string[]): string[] {
  const out: string[] = []
  for (const line of lines) {
    let shown = line
    if (line.includes('\r')) {
      const parts = line
        .split('\r')
        .map((p) => (p.length < 400 ? p.replace(METER_PREFIX, '') : p))
        .filter((p) => p.trim() !== '' && !isMeterRow(p.trimEnd()))
      if (parts.length === 0) continue
      shown = parts[parts.length - 1]!
    } else if (isMeterRow(line.trimEnd())) continue
    if (shown.length < 200 && METER_HEADING.some((r) => r.test(shown.trimEnd()))) continue
    out.push(shown)
  }
  return out
}

export function matchOutput(expected: string[], output: string): OutputMatch {
  const got = withoutProgress(output.replace(/\r\n/g, '\n').split('\n')).map((l) => l.trimEnd())
  if (got.length > 0 && got[got.length - 1] === '') got.pop()
  const want = withoutProgress(expected).map((l) => l.trimEnd())
  while (want.length > 0 && want[want.length - 1] === '') want.pop()

  // Without a leading/trailing `...` the lines must still appear in order,
  // so an implicit `...` stands at both ends; `...` inside allows gaps, and
  // lines between two `...` must follow each other directly.
  let pos = 0
  let gapAllowed = true
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    if (w === '...') {
      gapAllowed = true
      continue
    }
    const re = linePattern(w)
    let found = -1
    if (gapAllowed) {
      for (let j = pos; j < got.length; j++) {
        if (re.test(got[j]!)) {
          found = j
          break
        }
      }
    } else if (pos < got.length && re.test(got[pos]!)) {
      found = pos
    }
    if (found < 0) {
      const where = gapAllowed ? 'in the output' : 'right after the line before it'
      return { ok: false, message: `expected line ${i + 1} "${w}" was not found ${where}` }
    }
    pos = found + 1
    gapAllowed = false
  }
  return { ok: true }
}
