// What the instructor's page and the server say to each other on its socket
// (JSON). Types only: the page's script (web/) imports them too.

export type CellState = 'pending' | 'current' | 'done' | 'solved'

export interface WorkshopTableLab {
  id: string
  /** Where its lab host is: closed when the learner has not opened it since the server started. */
  status: 'closed' | 'starting' | 'up' | 'resetting' | 'gone' | 'error'
  /** One per task, in order. */
  cells: CellState[]
  done: number
  solved: number
  /** Tasks (1-based) whose hint the learner asked for. */
  hints: number[]
  /** A page of it is open. */
  online: boolean
}

export interface WorkshopTableLearner {
  name: string
  online: boolean
  labs: WorkshopTableLab[]
  /** The task the learner is on, and since when (ms since the epoch). */
  current?: { lab: string; task: number; since: number }
  /** Hints asked for, in every lab. */
  hints: number
  finished: boolean
  /** On the same task longer than anyone else. */
  stuck: boolean
}

export interface WorkshopTable {
  type: 'table'
  title: string
  /** The server's clock, to count time on a task from. */
  now: number
  limitsBy: string
  labs: { id: string; title: string; tasks: number; machines: string[] }[]
  learners: WorkshopTableLearner[]
}

/** What the instructor's page asks. */
export type InstructorMessage = { type: 'announce'; text: string } | { type: 'reset'; learner: string; lab: string }

/** What the server says besides the table. */
export type InstructorNotice = { type: 'notice'; level: 'info' | 'error'; text: string }
