// One terminal tab: xterm.js on a WebSocket to the shell of one machine.
// The shell lives on the server; this view attaches to it (and gets what the
// screen had), and attaches again after a reset, a lost connection or a
// reload.
import { Terminal, type ITheme } from '@xterm/xterm'
import { FitAddon } from '@xterm/addon-fit'
import { TERMINAL_CLOSE, TERMINAL_INPUT, TERMINAL_RESIZE } from '../runner/serve/page-state.js'

const LIGHT: ITheme = { background: '#fbfbfa', foreground: '#1f2328', cursor: '#1f2328', selectionBackground: '#b6d6fd' }
const DARK: ITheme = { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3', selectionBackground: '#264f78' }
const dark = window.matchMedia('(prefers-color-scheme: dark)')

export interface TerminalView {
  readonly machine: string
  /** Connect (again): after a new lab host, or to start. */
  connect(): void
  /** Fit to its box (when shown) and give it the keyboard. */
  show(focus?: boolean): void
  focus(): void
  /** Whether a socket is open. */
  connected(): boolean
  /** Close its socket and the terminal, for good. */
  dispose(): void
}

export function createTerminalView(machine: string, el: HTMLElement, opts: { labId: string; onLeave: () => void; onNoHost: () => void; /** Another socket (the instructor's read-only view of a learner's terminal). */ path?: string; readOnly?: boolean }): TerminalView {
  const term = new Terminal({
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    // Room below the baseline: underscores stay visible.
    lineHeight: 1.2,
    cursorBlink: !opts.readOnly,
    disableStdin: opts.readOnly === true,
    scrollback: 5000,
    theme: dark.matches ? DARK : LIGHT,
  })
  const fit = new FitAddon()
  term.loadAddon(fit)
  term.open(el)
  dark.addEventListener('change', () => (term.options.theme = dark.matches ? DARK : LIGHT))
  // F6 leaves the terminal for the text, as it moves between a browser's panes.
  term.attachCustomKeyEventHandler((e) => {
    if (e.key === 'F6') {
      if (e.type === 'keydown') opts.onLeave()
      return false
    }
    return true
  })

  let ws: WebSocket | undefined
  let retry = 0
  let timer: number | undefined
  let fresh = true

  const sendSize = () => {
    // A watcher's size is its own: the learner's terminal keeps theirs.
    if (!opts.readOnly && ws?.readyState === WebSocket.OPEN) ws.send(`${TERMINAL_RESIZE}${term.cols} ${term.rows}`)
  }
  term.onData((d) => {
    if (!opts.readOnly && ws?.readyState === WebSocket.OPEN) ws.send(`${TERMINAL_INPUT}${d}`)
  })
  term.onResize(sendSize)
  new ResizeObserver(() => {
    if (el.offsetParent !== null) fit.fit()
  }).observe(el)

  const connect = () => {
    window.clearTimeout(timer)
    const old = ws
    ws = undefined
    if (old && old.readyState <= WebSocket.OPEN) old.close()
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const socket = new WebSocket(`${scheme}://${location.host}${opts.path ?? `/ws/term/${encodeURIComponent(opts.labId)}/${encodeURIComponent(machine)}`}`)
    ws = socket
    fresh = true
    socket.onopen = () => {
      retry = 0
      if (el.offsetParent !== null) fit.fit()
      sendSize()
    }
    socket.onmessage = (e) => {
      if (fresh) {
        // What the screen had comes first: on a clean terminal.
        term.reset()
        fresh = false
        el.dataset.connected = 'true'
      }
      term.write(typeof e.data === 'string' ? e.data : '')
    }
    socket.onclose = (e) => {
      if (ws !== socket) return
      ws = undefined
      delete el.dataset.connected
      if (e.code === TERMINAL_CLOSE.hostChanged || e.code === TERMINAL_CLOSE.unavailable) {
        // The page connects again when the state names the new lab host.
        opts.onNoHost()
        return
      }
      if (e.code === TERMINAL_CLOSE.serverStopping) {
        term.write('\r\n\x1b[2m[nslab serve has stopped]\x1b[0m\r\n')
        return
      }
      retry = Math.min(retry + 1, 6)
      timer = window.setTimeout(connect, 250 * 2 ** retry)
    }
  }

  return {
    machine,
    connect,
    show(focus = false) {
      fit.fit()
      sendSize()
      if (focus) term.focus()
    },
    focus: () => term.focus(),
    connected: () => ws !== undefined,
    dispose() {
      window.clearTimeout(timer)
      const old = ws
      ws = undefined
      old?.close()
      term.dispose()
    },
  }
}
