// An `output` block: its lines must appear in order in what the step printed;
// a line `...` stands for any number of lines, `{*}` within a line for any text.

export interface OutputMatch {
  ok: boolean
  /** Why not, in one sentence, naming the first expected line not found. */
  message?: string
}

function linePattern(line: string): RegExp {
  const parts = line.trimEnd().split('{*}').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${parts.join('.*')}$`)
}

export function matchOutput(expected: string[], output: string): OutputMatch {
  const got = output.replace(/\r\n/g, '\n').split('\n').map((l) => l.trimEnd())
  if (got.length > 0 && got[got.length - 1] === '') got.pop()
  const want = expected.map((l) => l.trimEnd())
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
