// A lab open in the page: its learner session (the same as nslab up's: the
// session store, so that `nslab check NAME` in a terminal agrees with the
// page, and the reverse), its lab host, a terminal per machine, and its
// current task re-checked while a page watches. It runs the lab the way
// learner mode does (runner/learn): bringUpLab, judgeTask, latchTask; the
// page only shows what happens (PageState) and asks (ClientMessage).
import { statSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { machinesOf, type Block, type Lab, type ScriptBlock } from '../lab/lab.js'
import { labTasks, type Task } from '../lab/lab-tasks.js'
import { sandboxEnv, type Sandbox } from '../host/sandbox.js'
import { bringUpLab } from '../learn/bring-up-lab.js'
import { judgeTask } from '../learn/judge-task.js'
import { attachSession, latchTask, sessionState, writeInside, writeProgress } from '../learn/learner-session.js'
import { listSessions, loadSession, saveSession, sessionPath, type Session } from '../learn/session-store.js'
import { takeDownLab } from '../learn/take-down-lab.js'
import { runLearnerStep } from '../learn/run-learner-step.js'
import type { LabLimits } from '../host/lab-limits.js'
import { startMachineTerminal, type MachineTerminal, type PromptEvent } from './machine-terminal.js'
import type { ClientMessage, PageState, ServerMessage, TaskState, TaskView, VerdictView } from './page-state.js'
import { fileStamp, type ServedLab } from './served-labs.js'
import { startTaskPoller, type TaskPoller } from './task-poller.js'
import type { CheckScheduler } from './check-scheduler.js'
import { TERMINAL_CLOSE } from './page-state.js'
import { terminalRc, TERMINAL_RC } from './terminal-rc.js'
import { verdictView } from './verdict-view.js'

export interface LiveLab {
  readonly id: string
  readonly served: ServedLab
  state(): PageState
  /** A page's control socket: it gets the state now and at every change. The task is re-checked while one listens. */
  subscribe(fn: (m: ServerMessage) => void): () => void
  /** Start its lab host (or find the one already up for this lab). */
  ensureUp(): Promise<void>
  /** The terminal of a machine, started when first asked for; undefined while the lab host is not up. */
  terminal(machine: string): Promise<MachineTerminal | undefined>
  act(m: ClientMessage): Promise<void>
  /** What the learner has done here, for a workshop's instructor and its store. */
  activity(): LabActivity
  /** Whether a page is open on it now. */
  watched(): boolean
  /** The terminal of a machine if it is running (a watcher never starts one). */
  runningTerminal(machine: string): Promise<MachineTerminal | undefined>
  /** A notice on every page open on it (the instructor's message). */
  announce(level: 'info' | 'error', text: string): void
  /** End its terminals, and its lab host when this server started it. */
  close(): Promise<void>
}

export interface LabActivity {
  status: PageState['status']
  /** Indexes of the tasks done, and of those done with Solve's help. */
  passed: number[]
  solved: number[]
  /** Tasks whose hint the learner asked for (Hint). */
  hints: number[]
  /** The task the learner is on (undefined: every task done, or no lab host). */
  current?: number
}

export interface LiveLabOptions {
  served: ServedLab
  /** Said on the server's terminal (a setup that failed, a lab host that ended). */
  log?: (line: string) => void
  /** Its session's name (default: the lab's id, or id-2 … when taken). A workshop gives each learner theirs. */
  sessionName?: string
  /** Use a lab host found up for this lab file (nslab up's); a workshop's learners never share one. Default true. */
  adopt?: boolean
  /** As root: the uid its lab hosts run as (a workshop's learner's own). */
  owner?: number
  /** Limits of its lab hosts. */
  limits?: LabLimits
  /** Its shells' argv, wrapped (a workshop puts them under the learner's limits). */
  wrapShell?: (argv: string[]) => string[]
  /**
   * Progress kept by a workshop: restored on each new lab host (its done tasks'
   * own commands run again, so that the lab host is where the learner left it),
   * and kept across Reset.
   */
  progress?: { passed: number[]; solved: number[]; hints: number[] }
  /** Re-check the current task this often while a page is open (default 1 s); a command that ends in a terminal still has it judged at once. */
  pollEveryMs?: number
  /**
   * The server's queue of checks, shared by its labs (a workshop's): a
   * judgement waits for a slot, one asked for by the learner first.
   */
  checks?: CheckScheduler
  /**
   * A page where nothing was done since its task was last judged (no command
   * ended, no Run or Check, no command running in a terminal) is judged again
   * only this often, not every round: the lab host changes through the
   * learner's own commands, and this catches what runs in the background.
   * Default: every round.
   */
  idleRecheckMs?: number
}

interface Host {
  session: Session
  sandbox: Sandbox
  /** Started by this server: it ends it. (One found up, from nslab up, it leaves up.) */
  owned: boolean
  id: string
  rc: Promise<void>
  /** The session file as last read: read again when it changes. */
  fileStamp: string
}

/** Between a queued check's attempts within its window (run-check's own attempts are 75 ms apart, in one slot). */
const RETRY_MS = 250

/** How long Solve waits for a terminal's prompt before it says the terminal is busy. */
const PROMPT_WAIT_MS = 3000

export function openLiveLab(opts: LiveLabOptions): LiveLab {
  const { served } = opts
  const lab = served.lab
  const tasks = labTasks(lab)
  // The poller's own rounds try each check once: the poller tries again
  // about once a second. Each check's window (2 s of attempts 75 ms apart, a
  // process or two each) in every round made 20 open pages start some 250
  // processes a second, and the server's event loop waited in spawn(). A
  // round nudged by a command that ended (or Check now) keeps the windows, as
  // nslab check does: what the command started may take a moment to show.
  const polled: Lab = { ...lab, blocks: lab.blocks.map((b) => (b.kind === 'check' ? { ...b, checks: b.checks.map((c) => ({ ...c, withinMs: 0 })) } : b)) }
  const machines = machinesOf(lab.topology)
  const log = opts.log ?? (() => {})
  const listeners = new Set<(m: ServerMessage) => void>()
  const terminals = new Map<string, Promise<MachineTerminal>>()

  let status: PageState['status'] = 'starting'
  let message: string | undefined
  let busy: string | undefined
  let host: Host | undefined
  let upping: Promise<void> | undefined
  let closed = false
  const upAbort = new AbortController()
  let poller: TaskPoller | undefined
  let queue: Promise<unknown> = Promise.resolve()
  // The current task, as the page sees it.
  let current: { index: number; since: number; tried: boolean; hint: boolean; verdict?: VerdictView; judgedAt?: number } | undefined
  let lastSent = ''
  // The next round was asked for (a command ended, Check now): judged with the checks' windows.
  let nudged = false
  // Something was done in the lab since its task was last judged (see idleRecheckMs).
  let stirred = true
  const terminalsUp = new Map<string, MachineTerminal>()
  const hinted = new Set<number>(opts.progress?.hints ?? [])
  const adopt = opts.adopt ?? true
  const upOptions = { ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.owner !== undefined ? { owner: opts.owner } : {}) }

  const passed = () => host?.session.passed ?? []
  const solved = () => host?.session.solved ?? []
  const currentTask = (): Task | undefined => tasks.tasks.find((t) => !passed().includes(t.index))

  const state = (): PageState => {
    const now = currentTask()
    const views = tasks.tasks.map((t): TaskView => {
      const check = lab.blocks[t.checkBlock]
      const hint = check?.kind === 'check' ? (check.hint ?? null) : null
      const view: TaskView = { n: t.index + 1, title: t.title, state: 'pending', solvable: t.blocks.some((i) => isRunnable(lab.blocks[i])) }
      let s: TaskState = 'pending'
      if (status !== 'up' && status !== 'resetting') s = passed().includes(t.index) ? 'done' : 'pending'
      else if (passed().includes(t.index)) s = solved().includes(t.index) ? 'solved' : 'done'
      else if (t === now) {
        const c = current?.index === t.index ? current : undefined
        s = c?.tried && c.verdict ? 'failed' : 'current'
        if (s === 'failed' && c?.verdict) view.verdict = c.verdict
        if (c && (c.tried || c.hint)) view.hint = hint
      }
      view.state = s
      return view
    })
    const done = passed().length
    return {
      ...(host ? { name: host.session.name, hostId: host.id, owned: host.owned } : {}),
      status,
      ...(message ? { message } : {}),
      machines,
      tasks: views,
      done: Math.min(done, tasks.tasks.length),
      total: tasks.tasks.length,
      solved: solved().length,
      finished: status === 'up' && tasks.tasks.length > 0 && tasks.tasks.every((t) => passed().includes(t.index)),
      ...(busy ? { busy } : {}),
    }
  }

  const send = (m: ServerMessage) => {
    for (const fn of [...listeners]) fn(m)
  }
  const emit = () => {
    const s = state()
    const text = JSON.stringify(s)
    if (text === lastSent) return
    lastSent = text
    send({ type: 'state', ...s })
  }
  const notice = (level: 'info' | 'error', text: string) => send({ type: 'notice', level, text })
  /** One thing at a time: start, reset and solve never overlap. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn, fn)
    queue = p.catch(() => undefined)
    return p
  }

  const stampOf = (name: string): string => {
    try {
      const st = statSync(sessionPath(name))
      return `${st.ino}:${st.mtimeMs}:${st.size}`
    } catch {
      return 'none'
    }
  }

  /** End the terminals; resolves once their shells have exited. */
  const closeTerminals = (code: number, reason: string): Promise<unknown> => {
    const all = [...terminals.values()].map((t) => t.then((x) => x.close(code, reason), () => undefined))
    terminals.clear()
    terminalsUp.clear()
    return Promise.all(all)
  }

  const setHost = (session: Session, sandbox: Sandbox, owned: boolean) => {
    void closeTerminals(TERMINAL_CLOSE.hostChanged, 'a new lab host')
    const rc = writeInside(session, sandbox, TERMINAL_RC, terminalRc(session.name, session.sandbox.topology))
    rc.catch(() => undefined)
    host = { session, sandbox, owned, id: `${sandbox.pid}-${session.createdAt}`, rc, fileStamp: stampOf(session.name) }
    status = 'up'
    message = undefined
    current = undefined
    // The host's shell starts with the lab host: its prompt is there when the page asks for it.
    void terminalOn(host, 'host').catch((e: unknown) => log(`${served.id}: the host's terminal: ${(e as Error).message}`))
    startPolling()
    emit()
  }

  const hostGone = (why: string) => {
    const h = host
    host = undefined
    status = 'gone'
    message = why
    current = undefined
    void closeTerminals(TERMINAL_CLOSE.hostChanged, 'the lab host has ended')
    // What is left of it (a session file naming a dead host): cleaned, as nslab gc would.
    if (h?.owned) void takeDownLab(h.session, h.sandbox).catch(() => undefined)
    log(`${served.id}: ${why}`)
    emit()
  }

  /** The session as the store has it now: another nslab (check, reset, down) may have changed it. */
  const sync = () => {
    const h = host
    if (!h) return
    const stamp = stampOf(h.session.name)
    if (stamp !== h.fileStamp) {
      h.fileStamp = stamp
      const now = loadSession(h.session.name)
      if (!now) return hostGone(`the lab host of ${h.session.name} was taken down (nslab down)`)
      if (now.createdAt !== h.session.createdAt || now.sandbox.pid !== h.session.sandbox.pid) {
        // nslab reset in a terminal: a new lab host, not this server's.
        if (sessionState(now) !== 'up') return
        const sandbox = attachSession(now)
        return setHost(now, sandbox, false)
      }
      h.session = { ...h.session, passed: union(h.session.passed, now.passed), solved: union(h.session.solved, now.solved) }
    }
    if (!h.sandbox.alive()) hostGone(`the lab host of ${h.session.name} has ended`)
  }

  /** The current task, as the page knows it; a new one starts untried. */
  const track = (t: Task) => {
    if (current?.index !== t.index) current = { index: t.index, since: performance.now(), tried: false, hint: false }
    return current
  }

  const latch = async (t: Task, withHelp: boolean) => {
    const h = host
    if (!h) return
    h.session = latchTask(h.session, t.index, withHelp)
    h.fileStamp = stampOf(h.session.name)
    if (opts.progress) opts.progress = { passed: [...h.session.passed], solved: [...h.session.solved], hints: [...hinted] }
    await writeProgress(h.session, h.sandbox).catch(() => undefined)
  }

  /** A command is running in one of the lab's terminals (or its shell is not at a prompt): the lab host may be changing now. */
  const running = () => [...terminalsUp.values()].some((term) => !term.atPrompt())

  /**
   * Judged in the server's queue, one attempt per turn: a check's window
   * (what a command started may take a moment to show) is waited out between
   * turns, not in a slot, so that a learner's failing check does not hold up
   * the others' for its 2 s.
   */
  const judgeQueued = async (checks: CheckScheduler, t: Task, sandbox: Sandbox, windowed: boolean, signal: AbortSignal) => {
    const block = lab.blocks[t.checkBlock]
    const windowMs = windowed && block?.kind === 'check' ? Math.max(0, ...block.checks.map((c) => c.withinMs)) : 0
    const end = performance.now() + windowMs
    for (;;) {
      const v = await checks.run(windowed, signal, () => judgeTask(polled, t, sandbox, signal))
      if (v.ok || signal.aborted || performance.now() + RETRY_MS > end) return v
      await delay(RETRY_MS, undefined, { signal }).catch(() => undefined)
    }
  }

  const round = async (signal: AbortSignal): Promise<'again' | 'wait'> => {
    const windowed = nudged
    // Judged before the routine checks waiting: the learner just did something here. (The next task after one
    // passed is not: that queued each pass's follow-up ahead of other learners' commands, and ticks waited.)
    const urgent = nudged
    nudged = false
    sync()
    const h = host
    if (!h || status !== 'up' || busy) {
      emit()
      return 'wait'
    }
    const t = currentTask()
    if (!t) {
      emit()
      return 'wait'
    }
    const c = track(t)
    emit()
    const idle = opts.idleRecheckMs !== undefined && !urgent && !stirred && c.judgedAt !== undefined && !running()
    if (idle && performance.now() - c.judgedAt! < opts.idleRecheckMs!) return 'wait'
    stirred = false
    c.judgedAt = performance.now()
    const v = opts.checks ? await judgeQueued(opts.checks, t, h.sandbox, windowed, signal) : await judgeTask(windowed ? lab : polled, t, h.sandbox, signal)
    if (signal.aborted || host !== h || current !== c) return 'wait'
    if (v.ok) {
      await latch(t, false)
      emit()
      return 'again'
    }
    c.verdict = verdictView(v)
    emit()
    return 'wait'
  }

  const startPolling = () => {
    if (poller || listeners.size === 0 || closed) return
    poller = startTaskPoller({ round, ...(opts.pollEveryMs ? { everyMs: opts.pollEveryMs } : {}), onError: (e) => log(`${served.id}: checking failed: ${(e as Error).message}`) })
  }
  const stopPolling = () => {
    const p = poller
    poller = undefined
    void p?.stop()
  }

  /** A command ended in one of the lab's terminals: the learner has tried, and the task is judged now. */
  const commandEnded = (e: PromptEvent) => {
    if (current && e.startedAt >= current.since) current.tried = true
    emit()
    nudged = true
    stirred = true
    poller?.nudge()
  }

  /** The lab as served, while its file is unchanged: not parsed and lexed again for each lab host. */
  const parsed = async () => (fileStamp(served.file) === served.stamp ? { parsed: { lab, prose: await served.prose() } } : {})

  const freeName = (): string => {
    if (opts.sessionName) return opts.sessionName
    for (let n = 1; ; n++) {
      const name = n === 1 ? served.id : `${served.id}-${n}`
      const s = loadSession(name)
      if (!s) return name
      const st = sessionState(s)
      // Left by a killed run: bringUpLab cleans it away and takes the name.
      if (st === 'gone' || st === 'interrupted') return name
    }
  }

  const ensureUp = (): Promise<void> => {
    if (closed) return Promise.resolve()
    sync()
    if (host && status === 'up') return Promise.resolve()
    upping ??= serial(async () => {
      if (host && status === 'up') return
      status = 'starting'
      message = undefined
      emit()
      try {
        // A lab already up for this lab file (nslab up, or this lab in another server): the same session.
        const found = listSessions().find((s) => (adopt ? s.lab === served.file : s.name === opts.sessionName && s.lab === served.file && s.sandbox.uid === upOptions.owner) && sessionState(s) === 'up')
        if (found && adopt) {
          setHost(found, attachSession(found), false)
          return
        }
        const up = await bringUpLab({ file: served.file, name: freeName(), persistent: false, signal: upAbort.signal, ...upOptions, ...(await parsed()) })
        if (closed) {
          if (up.ok) await takeDownLab(up.session, up.sandbox)
          return
        }
        if (up.ok) await restore(up.session, up.sandbox)
        if (!up.ok) {
          status = 'error'
          message = `${up.message}${up.output ? `\n${up.output}` : ''}`
          log(`${served.id}: ${up.message}`)
          return
        }
        log(`${served.id}: up as ${up.session.name} (lab host ${Math.round(up.timing.hostMs)} ms, setup ${Math.round(up.timing.setupMs)} ms)`)
        setHost(up.session, up.sandbox, true)
      } catch (e) {
        status = 'error'
        message = (e as Error).message
        log(`${served.id}: ${message}`)
      } finally {
        upping = undefined
        emit()
      }
    })
    return upping
  }

  /**
   * A workshop's kept progress on a new lab host: the done tasks' own commands
   * run (as Solve would, unseen), then the tasks latched as they were.
   */
  const restore = async (session: Session, sandbox: Sandbox) => {
    const p = opts.progress
    if (!p || p.passed.length === 0) return
    for (const t of tasks.tasks) {
      if (!p.passed.includes(t.index)) break
      for (const i of t.blocks) {
        const b = lab.blocks[i]
        if (!isRunnable(b)) continue
        const r = await runLearnerStep(sandbox, b, upAbort.signal).catch(() => undefined)
        if (!r?.ok) log(`${served.id}: restoring ${session.name}: the lab's own command at line ${b.line} failed`)
      }
    }
    session.passed = [...p.passed]
    session.solved = [...p.solved]
    saveSession(session)
    await writeProgress(session, sandbox).catch(() => undefined)
  }

  /** A machine's terminal on this lab host, started now if it is not running. */
  const terminalOn = (h: Host, machine: string): Promise<MachineTerminal> => {
    let t = terminals.get(machine)
    if (!t) {
      t = (async () => {
        await h.rc
        const s = h.session
        const term = startMachineTerminal({
          machine,
          argv: (opts.wrapShell ?? ((a: string[]) => a))(h.sandbox.enterArgv(machine, ['bash', '--rcfile', TERMINAL_RC, '-i'])),
          env: sandboxEnv(machine, s.sandbox.iptables, { NSLAB_LAB: s.name, TERM: 'xterm-256color', COLORTERM: 'truecolor' }, s.sandbox.engine),
        })
        term.onPrompt(commandEnded)
        if (terminals.get(machine) === t) terminalsUp.set(machine, term)
        return term
      })()
      terminals.set(machine, t)
    }
    return t
  }

  const terminal = async (machine: string): Promise<MachineTerminal | undefined> => {
    if (!machines.includes(machine)) return undefined
    await ensureUp()
    const h = host
    if (!h || status !== 'up') return undefined
    return await terminalOn(h, machine)
  }

  const run = async (index: number) => {
    const b = lab.blocks[index]
    if (!b || b.kind !== 'script' || b.role !== 'step') return notice('error', 'There is no such step to run.')
    const term = await terminal(b.on)
    if (!term) return notice('error', 'The lab host is not up.')
    send({ type: 'ran', machine: b.on })
    stirred = true
    term.type(typed(b))
  }

  const solve = () =>
    serial(async () => {
      sync()
      const h = host
      const t = currentTask()
      if (!h || status !== 'up') return notice('error', 'The lab host is not up.')
      if (!t) return notice('info', 'Every task is done: nothing to solve.')
      await poller?.pause()
      busy = `Solving task ${t.index + 1}…`
      emit()
      try {
        // The lab's own commands for the task (its steps and its solution), as nslab solve runs them, typed where the learner sees them.
        for (const i of t.blocks) {
          const b = lab.blocks[i]
          if (!isRunnable(b)) continue
          const term = await terminal(b.on)
          if (!term || host !== h) return notice('error', 'The lab host is not up.')
          if (!term.atPrompt() && !(await term.whenAtPrompt(PROMPT_WAIT_MS))) {
            return notice('error', `The ${b.on} terminal is busy (a command is running in it). Stop it (Ctrl-C) and Solve again.`)
          }
          const ended = term.nextPrompt(b.timeoutMs + 5000)
          term.type(typed(b))
          send({ type: 'ran', machine: b.on })
          const e = await ended
          if (!e) return notice('error', `The lab's own command on ${b.on} did not finish within ${Math.round(b.timeoutMs / 1000)} s.`)
          if (!b.background && b.exit !== 'any' && e.status !== b.exit) {
            return notice('error', `The lab's own command on ${b.on} failed (exit ${e.status}${b.exit ? `, expected ${b.exit}` : ''}). The lab host may be in a state the lab did not expect: Reset starts afresh.`)
          }
        }
        const v = await judgeTask(lab, t, h.sandbox)
        if (host !== h) return
        if (v.ok) {
          await latch(t, true)
        } else {
          const c = track(t)
          c.tried = true
          c.verdict = verdictView(v)
          notice('error', 'The solution ran, yet the check fails: something else on the lab host is in the way (Reset starts afresh).')
        }
      } finally {
        busy = undefined
        poller?.resume()
        emit()
      }
    })

  const reset = () =>
    serial(async () => {
      const h = host
      if (!h) return
      await poller?.pause()
      status = 'resetting'
      busy = 'Resetting the lab host…'
      emit()
      try {
        await closeTerminals(TERMINAL_CLOSE.hostChanged, 'reset')
        host = undefined
        await takeDownLab(h.session, h.sandbox)
        // One found up (nslab up) stays the learner's: its new host outlives this server too.
        const up = await bringUpLab({ file: served.file, name: h.session.name, persistent: !h.owned, signal: upAbort.signal, ...upOptions, ...(await parsed()) })
        if (up.ok && opts.progress) {
          // A workshop keeps what was done: Reset gives a fresh lab host at the same task.
          opts.progress = { passed: h.session.passed, solved: h.session.solved, hints: [...hinted] }
          await restore(up.session, up.sandbox)
        }
        if (!up.ok) {
          status = 'error'
          message = `${up.message}${up.output ? `\n${up.output}` : ''}`
          return
        }
        if (closed) return void (await takeDownLab(up.session, up.sandbox))
        busy = undefined
        setHost(up.session, up.sandbox, h.owned)
      } catch (e) {
        status = 'error'
        message = (e as Error).message
      } finally {
        busy = undefined
        poller?.resume()
        emit()
      }
    })

  return {
    id: served.id,
    served,
    state,
    subscribe(fn) {
      listeners.add(fn)
      fn({ type: 'state', ...state() })
      startPolling()
      return () => {
        listeners.delete(fn)
        if (listeners.size === 0) stopPolling()
      }
    },
    ensureUp,
    terminal,
    async act(m) {
      if (closed) return
      switch (m.type) {
        case 'run':
          return await run(m.block)
        case 'check':
          if (current) current.tried = true
          emit()
          nudged = true
          stirred = true
          poller?.nudge()
          return
        case 'hint':
          if (current) current.hint = true
          if (current) hinted.add(current.index)
          emit()
          return
        case 'solve':
          return await solve()
        case 'reset':
          // Nothing up to reset (it ended, or never started): start it.
          return host ? await reset() : await ensureUp()
        case 'start':
          if (status === 'gone' || status === 'error') return await ensureUp()
          return
      }
    },
    activity() {
      const now = host && status === 'up' ? currentTask() : undefined
      return { status, passed: [...passed()], solved: [...solved()], hints: [...hinted].sort((a, b) => a - b), ...(now ? { current: now.index } : {}) }
    },
    watched: () => listeners.size > 0,
    async runningTerminal(machine) {
      const t = terminals.get(machine)
      return t ? await t.catch(() => undefined) : undefined
    },
    announce: (level, text) => notice(level, text),
    async close() {
      if (closed) return
      closed = true
      upAbort.abort()
      stopPolling()
      const shells = closeTerminals(TERMINAL_CLOSE.serverStopping, 'nslab serve is stopping')
      await queue
      await shells
      const h = host
      host = undefined
      if (h?.owned) await takeDownLab(h.session, h.sandbox)
    },
  }
}

/** A block the learner could run: a step or a solution (not the setup, which ran before they came). */
function isRunnable(b: Block | undefined): b is ScriptBlock {
  return b?.kind === 'script' && b.role !== 'setup'
}

/** A block as typed at the prompt: a background one ends with & (as the lab's text says to do). */
function typed(b: ScriptBlock): string {
  const body = b.content.replace(/\n+$/, '')
  if (!b.background) return body
  return body.includes('\n') ? `{\n${body}\n} &` : `${body} &`
}

function union(a: number[], b: number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y)
}
