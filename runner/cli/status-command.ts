import { colorEnabled, createColors } from '../util/colors.js'
import { sessionState } from '../learn/learner-session.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { safeLine } from '../util/safe-text.js'
import { listSessions, type Session } from '../learn/session-store.js'
import { learnerWords, type LearnerWords } from '../learn/learner-words.js'
import { columns } from '../util/text-columns.js'

export const STATUS_HELP = `Usage: nslab status

Lists the labs that are up for you: name, lab, age, progress (tasks passed of
all, and how many with nslab solve), and state: up; starting (nslab up is
setting it up); gone or interrupted (left by a killed run: nslab gc removes it).

${COMMON_OPTIONS_HELP}`

export const STATUS_OPTIONS = {} as const

export async function statusCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab status', usage: 'nslab status', options: STATUS_OPTIONS })
  if (v.values.help) {
    process.stdout.write(STATUS_HELP)
    return 0
  }
  if (v.positionals.length) throw new UsageError('nslab status', `takes no arguments (nslab status lists every lab that is up)`)
  const c = createColors(colorEnabled(process.stdout))
  const sessions = listSessions()
  // The labs' language when all that are up share one.
  const langs = new Set(sessions.map((s) => s.lang ?? 'en'))
  const w = learnerWords(langs.size === 1 ? [...langs][0] : 'en')
  if (sessions.length === 0) {
    process.stdout.write(`${w.noLabsUp}\n`)
    return 0
  }
  const now = Date.now()
  const rows = sessions.map((s) => {
    const state = sessionState(s)
    // A lab's title may hold anything: its controls and bidi formatting as escapes.
    return [safeLine(s.name), cut(safeLine(s.title ?? s.lab), 44), formatAge(now - s.createdAt), progress(s, w), state] as const
  })
  const head = w.statusHead
  const widths = head.map((h, i) => Math.max(columns(h), ...rows.map((r) => columns(String(r[i])))))
  const pad = (t: string, i: number) => t + ' '.repeat(Math.max(0, (widths[i] ?? 0) - columns(t)))
  const lines = [c.dim(head.map(pad).join('  ').trimEnd())]
  for (const r of rows) {
    const state = w.states[r[4]]
    const shown = r[4] === 'up' ? c.green(state) : r[4] === 'starting' ? c.yellow(state) : c.red(state)
    lines.push(`${[r[0], r[1], r[2], r[3]].map(pad).join('  ')}  ${shown}`)
  }
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}

function progress(s: Session, w: LearnerWords): string {
  const total = s.checks
  const base = total === undefined ? w.passedCount(s.passed.length) : `${s.passed.length}/${total}`
  return s.solved.length ? `${base} ${w.withHelp(s.solved.length)}` : base
}

/** At most `max` columns. */
function cut(text: string, max: number): string {
  if (columns(text) <= max) return text
  let out = ''
  for (const ch of text) {
    if (columns(out + ch) > max - 1) break
    out += ch
  }
  return `${out}…`
}

/** An age as a person reads it: 40 s, 12 min, 3 h 5 min, 2 d. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${m % 60} min`
  return `${Math.floor(h / 24)} d`
}
