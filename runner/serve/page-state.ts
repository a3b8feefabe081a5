// What the server and a lab's page say to each other on the lab's control
// socket (JSON), and on a terminal's socket. Types only: the page's script
// (web/) imports them too.

/** A task as the page shows it: data-state of its element. */
export type TaskState = 'pending' | 'current' | 'done' | 'solved' | 'failed'

/** Where the lab host is. */
export type LabStatus = 'starting' | 'up' | 'resetting' | 'gone' | 'error'

/** One check of a failing task, in plain words. */
export interface CheckView {
  ok: boolean
  sentence: string
  expected?: string
  got?: string
  /** The first command the check ran to see it, where, its status and the end of its output. */
  command?: { machine: string; text: string; status: string; output: string[]; before: number }
}

export interface VerdictView {
  checks: CheckView[]
  /** Checks about nslab run's own run of a step: not judged for a learner. */
  notJudged: string[]
}

export interface TaskView {
  /** 1-based. */
  n: number
  title: string
  state: TaskState
  /** While failed: why. */
  verdict?: VerdictView
  /** The hint, once the learner has tried (or asked). null: the task has none. */
  hint?: string | null
  /** Whether Solve can do it (it has steps or a solution). */
  solvable: boolean
}

export interface PageState {
  /** The session's name: `nslab check NAME` in a terminal is the same lab. */
  name?: string
  status: LabStatus
  /** Why it is gone or failed to start, in plain words. */
  message?: string
  /** Changes when the lab host changes (reset): terminals connect again. */
  hostId?: string
  /** Machines of the lab, in tab order. */
  machines: string[]
  tasks: TaskView[]
  done: number
  total: number
  solved: number
  finished: boolean
  /** Whether this server started the lab host (and ends it when it stops). */
  owned?: boolean
  /** What Solve is doing, while it does. */
  busy?: string
}

/** Server → page on the control socket. */
export type ServerMessage =
  | ({ type: 'state' } & PageState)
  /** Something to tell the learner once (Solve failed, a terminal is busy…). */
  | { type: 'notice'; level: 'info' | 'error'; text: string }
  /** A Run was typed into a terminal: the page shows that tab. */
  | { type: 'ran'; machine: string }

/** Page → server on the control socket. */
export type ClientMessage =
  | { type: 'run'; block: number }
  | { type: 'check' }
  | { type: 'hint' }
  | { type: 'solve' }
  | { type: 'reset' }
  | { type: 'start' }

/**
 * Terminal socket, page → server: text frames whose first character says
 * what follows (a frame a keystroke: no JSON to parse on the hot path).
 */
export const TERMINAL_INPUT = 'i'
/** "r" + "COLS ROWS". */
export const TERMINAL_RESIZE = 'r'
/** Close codes of a terminal socket the page should understand. */
export const TERMINAL_CLOSE = { hostChanged: 4000, unavailable: 4001, serverStopping: 4002 } as const
