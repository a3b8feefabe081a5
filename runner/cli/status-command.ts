import { colorEnabled, createColors } from '../util/colors.js'
import { sessionState, type SessionState } from '../learn/learner-session.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { safeLine } from '../util/safe-text.js'
import { listSessions, type Session } from '../learn/session-store.js'

export const STATUS_HELP = `Usage: nslab status

Lists the labs that are up for you: name, lab, age, progress (tasks passed of
all, and how many with nslab solve), and state: up; starting (nslab up is
setting it up); gone or interrupted (left by a killed run: nslab gc removes it).

${COMMON_OPTIONS_HELP}`

export const STATUS_OPTIONS = {} as const

const STATE_TEXT: Record<SessionState, string> = { up: 'up', starting: 'starting', interrupted: 'interrupted (nslab gc)', gone: 'gone (nslab gc)' }

export async function statusCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab status', usage: 'nslab status', options: STATUS_OPTIONS })
  if (v.values.help) {
    process.stdout.write(STATUS_HELP)
    return 0
  }
  if (v.positionals.length) throw new UsageError('nslab status', `takes no arguments (nslab status lists every lab that is up)`)
  const c = createColors(colorEnabled(process.stdout))
  const sessions = listSessions()
  if (sessions.length === 0) {
    process.stdout.write('No labs are up. Start one: nslab up LAB\n')
    return 0
  }
  const now = Date.now()
  const rows = sessions.map((s) => {
    const state = sessionState(s)
    // A lab's title may hold anything: its controls and bidi formatting as escapes.
    return [safeLine(s.name), cut(safeLine(s.title ?? s.lab), 44), formatAge(now - s.createdAt), progress(s), state] as const
  })
  const head = ['NAME', 'LAB', 'AGE', 'PROGRESS', 'STATE'] as const
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...String(r[i])].length)))
  const pad = (t: string, i: number) => t + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...t].length))
  const lines = [c.dim(head.map(pad).join('  ').trimEnd())]
  for (const r of rows) {
    const state = STATE_TEXT[r[4]]
    const shown = r[4] === 'up' ? c.green(state) : r[4] === 'starting' ? c.yellow(state) : c.red(state)
    lines.push(`${[r[0], r[1], r[2], r[3]].map(pad).join('  ')}  ${shown}`)
  }
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}

function progress(s: Session): string {
  const total = s.checks
  const base = total === undefined ? `${s.passed.length} passed` : `${s.passed.length}/${total}`
  return s.solved.length ? `${base} (${s.solved.length} with help)` : base
}

function cut(text: string, max: number): string {
  const chars = [...text]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text
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
