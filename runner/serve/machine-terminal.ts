// A terminal of the page: a real shell on one machine of the lab host, in a
// pty (node-pty), so that ping, less, vim, top and Ctrl-C behave as in any
// terminal. It outlives the pages that show it: a page that reloads (or a
// second tab on the same lab) attaches again and gets what the screen had.
// It knows when the shell is at its prompt (terminal-rc.ts marks each one),
// which is how Run types into it and Solve waits for each of its commands.
import type { IPty } from '@lydell/node-pty'
import { loadPackage } from '../util/load-package.js'
import { PROMPT_MARK } from './terminal-rc.js'

/** A page's view of a terminal (a WebSocket). */
export interface TerminalClient {
  send(data: string): void
  /** Bytes queued and not yet sent: past a limit, the shell's output waits. */
  backlog(): number
  close(code: number, reason: string): void
}

export interface MachineTerminalOptions {
  machine: string
  /** argv that starts the shell (Sandbox.enterArgv). */
  argv: string[]
  env: NodeJS.ProcessEnv
  cols?: number
  rows?: number
}

export interface PromptEvent {
  /** The status of the command that ended. */
  status: number
  /** When Enter was last pressed before it (performance.now()), i.e. about when the command started. */
  startedAt: number
}

export interface MachineTerminal {
  readonly machine: string
  /** The shell's pid (setpriv/nsenter as started), while it runs. */
  pid(): number | undefined
  /** Show it to a page: what the screen had first, then everything. Returns detach. */
  attach(client: TerminalClient): () => void
  /** Keys from a page. A shell that has ended starts again on the next key. */
  input(data: string): void
  /** Type a command line (several lines as one paste) and press Enter. */
  type(text: string): void
  resize(cols: number, rows: number): void
  /** Whether the shell shows its prompt (no command running). */
  atPrompt(): boolean
  /** Called at each prompt after a command (not the first prompt of a shell). */
  onPrompt(fn: (e: PromptEvent) => void): () => void
  /** The next prompt's event, or undefined after timeoutMs (or when the shell ends). */
  nextPrompt(timeoutMs: number): Promise<PromptEvent | undefined>
  /** true once the shell shows a prompt (a new shell's first counts), false after timeoutMs. */
  whenAtPrompt(timeoutMs: number): Promise<boolean>
  /** End it (and close the pages' views of it with this code); resolves once its shell has exited. */
  close(code: number, reason: string): Promise<void>
}

/** What a page that attaches is sent of the past: enough for a screen and some scrollback. */
const SCROLLBACK_CHARS = 256 * 1024
/** A page that has this much unsent makes the shell's output wait. */
const BACKLOG_LIMIT = 1024 * 1024

type PtyModule = typeof import('@lydell/node-pty')

export function startMachineTerminal(opts: MachineTerminalOptions): MachineTerminal {
  const ptyModule = loadPackage<PtyModule>('@lydell/node-pty')
  const clients = new Set<TerminalClient>()
  const promptListeners = new Set<(e: PromptEvent) => void>()
  /** Told of every prompt, a new shell's first one too. */
  const anyPrompt = new Set<() => void>()
  let cols = opts.cols ?? 80
  let rows = opts.rows ?? 24
  let pty: IPty | undefined
  let closed = false
  let history: string[] = []
  let historyChars = 0
  // The end of the last chunk, for a prompt mark cut in two.
  let tail = ''
  let prompts = 0
  let atPrompt = false
  let lastEnter = performance.now()
  let paused = false
  let drainTimer: NodeJS.Timeout | undefined
  let ended: Promise<void> = Promise.resolve()

  const broadcast = (data: string) => {
    history.push(data)
    historyChars += data.length
    while (historyChars > SCROLLBACK_CHARS && history.length > 1) historyChars -= history.shift()!.length
    for (const c of clients) c.send(data)
    if (!paused && [...clients].some((c) => c.backlog() > BACKLOG_LIMIT)) {
      paused = true
      pty?.pause()
      drainTimer = setInterval(() => {
        if ([...clients].every((c) => c.backlog() < BACKLOG_LIMIT / 4)) {
          paused = false
          clearInterval(drainTimer)
          pty?.resume()
        }
      }, 20)
    }
  }

  const scan = (data: string) => {
    const text = tail + data
    PROMPT_MARK.lastIndex = 0
    let m: RegExpExecArray | null
    let end = 0
    while ((m = PROMPT_MARK.exec(text))) {
      end = m.index + m[0].length
      prompts++
      atPrompt = true
      for (const fn of [...anyPrompt]) fn()
      // The first prompt of a shell follows no command.
      if (prompts > 1) {
        const e = { status: Number(m[1]), startedAt: lastEnter }
        for (const fn of [...promptListeners]) fn(e)
      }
    }
    // Keep what could be the start of a mark cut at the chunk's end.
    const rest = text.slice(end)
    const esc = rest.lastIndexOf('\x1b')
    tail = esc >= 0 && rest.length - esc < 24 ? rest.slice(esc) : ''
  }

  const spawn = () => {
    prompts = 0
    atPrompt = false
    tail = ''
    const p = ptyModule.spawn(opts.argv[0]!, opts.argv.slice(1), {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: '/',
      env: opts.env as Record<string, string>,
    })
    pty = p
    p.onData((d) => {
      if (pty !== p) return
      broadcast(d)
      scan(d)
    })
    p.onExit(() => {
      if (pty !== p) return
      pty = undefined
      atPrompt = false
      if (!closed) broadcast(`\r\n\x1b[2m[the shell on ${opts.machine} ended; press Enter for a new one]\x1b[0m\r\n`)
      for (const fn of [...promptListeners]) fn({ status: -1, startedAt: lastEnter })
    })
  }

  const write = (data: string) => {
    if (closed) return
    if (!pty) {
      history = []
      historyChars = 0
      spawn()
      return
    }
    if (/[\r\n]/.test(data)) {
      lastEnter = performance.now()
      atPrompt = false
    }
    pty.write(data)
  }

  spawn()

  return {
    machine: opts.machine,
    pid: () => pty?.pid,
    attach(client) {
      if (closed) {
        client.close(4001, 'closed')
        return () => {}
      }
      const past = history.join('')
      // Start at a line: half an escape sequence would show as garbage.
      const cut = past.length >= SCROLLBACK_CHARS ? past.indexOf('\n') + 1 : 0
      if (past.length > cut) client.send(past.slice(cut))
      clients.add(client)
      return () => {
        clients.delete(client)
      }
    },
    input: write,
    type(text) {
      const body = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '')
      // Ctrl-E Ctrl-U: what was half typed at the prompt goes (Ctrl-Y brings it back).
      const clear = atPrompt ? '\x05\x15' : ''
      // A bracketed paste: readline takes every line as one command line, run when Enter comes.
      const paste = body.includes('\n') ? `\x1b[200~${body}\x1b[201~` : body
      write(`${clear}${paste}\r`)
    },
    resize(c, r) {
      if (!Number.isInteger(c) || !Number.isInteger(r) || c < 2 || r < 1 || c > 1000 || r > 500) return
      cols = c
      rows = r
      try {
        pty?.resize(c, r)
      } catch {
        // the shell has just ended
      }
    },
    atPrompt: () => atPrompt && pty !== undefined,
    whenAtPrompt(timeoutMs) {
      if (atPrompt && pty) return Promise.resolve(true)
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          anyPrompt.delete(once)
          resolve(false)
        }, timeoutMs)
        const once = () => {
          clearTimeout(timer)
          anyPrompt.delete(once)
          resolve(true)
        }
        anyPrompt.add(once)
      })
    },
    onPrompt(fn) {
      promptListeners.add(fn)
      return () => promptListeners.delete(fn)
    },
    nextPrompt(timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          promptListeners.delete(once)
          resolve(undefined)
        }, timeoutMs)
        const once = (e: PromptEvent) => {
          clearTimeout(timer)
          promptListeners.delete(once)
          resolve(e.status < 0 ? undefined : e)
        }
        promptListeners.add(once)
      })
    },
    close(code, reason) {
      if (closed) return ended
      closed = true
      clearInterval(drainTimer)
      const p = pty
      pty = undefined
      if (p) {
        const kill = (signal: string) => {
          try {
            p.kill(signal)
          } catch {
            // gone already
          }
        }
        // A hangup, as when a terminal's window closes; what ignores it is killed a moment later.
        kill('SIGHUP')
        const hard = setTimeout(() => kill('SIGKILL'), 1000)
        hard.unref()
        ended = new Promise<void>((resolve) => {
          const giveUp = setTimeout(resolve, 3000)
          p.onExit(() => {
            clearTimeout(hard)
            clearTimeout(giveUp)
            resolve()
          })
        })
      }
      for (const c of clients) c.close(code, reason)
      clients.clear()
      for (const fn of [...promptListeners]) fn({ status: -1, startedAt: lastEnter })
      promptListeners.clear()
      return ended
    },
  }
}
