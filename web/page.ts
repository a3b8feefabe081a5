// The script of nslab serve's pages. The server renders the page (the lab's
// text, its tasks, a tab per machine); this brings the live parts: the
// terminals, the task states as the server judges them, and the buttons. No
// framework: the page is small, and every lab text in it is the server's
// escaped HTML; what comes from the lab host here is set as text, never markup.
import '@xterm/xterm/css/xterm.css'
import './page.css'
import type { ClientMessage, PageState, ServerMessage, TaskView } from '../runner/serve/page-state.js'
import { createTerminalView, type TerminalView } from './terminal-view.js'
import { instructorPage } from './instructor-page.js'

allowOwnStyles()
if (document.body.classList.contains('lab-page')) labPage()
else if (document.body.classList.contains('instructor-page')) instructorPage()

/**
 * The page's Content-Security-Policy admits style elements only with its
 * nonce; xterm.js makes some (a terminal's colours and cell size). The nonce
 * comes in a meta element, which is removed once read.
 */
function allowOwnStyles(): void {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="nslab-style-nonce"]')
  const nonce = meta?.content
  meta?.remove()
  if (!nonce) return
  const create = Document.prototype.createElement
  Document.prototype.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    const el = create.call(this, tag, options)
    if (tag.toLowerCase() === 'style') el.setAttribute('nonce', nonce)
    return el
  } as typeof Document.prototype.createElement
}

function labPage(): void {
  const labId = document.body.dataset.lab ?? ''
  const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document) => root.querySelector<T & Element>(sel)
  const $$ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document) => [...root.querySelectorAll<T & Element>(sel)]
  const views = new Map<string, TerminalView>()
  let state: PageState | undefined
  let hostId: string | undefined
  let control: WebSocket | undefined
  let retry = 0

  // ── control socket ────────────────────────────────────────────────────────
  const send = (m: ClientMessage) => {
    if (control?.readyState === WebSocket.OPEN) control.send(JSON.stringify(m))
  }
  const connectControl = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const ws = new WebSocket(`${scheme}://${location.host}/ws/lab/${encodeURIComponent(labId)}`)
    control = ws
    ws.onopen = () => (retry = 0)
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage
      if (m.type === 'state') applyState(m)
      else if (m.type === 'notice') showNotice(m.text, m.level)
      else if (m.type === 'ran') selectTab(m.machine, false)
    }
    ws.onclose = () => {
      if (control !== ws) return
      setStatus('disconnected: trying again…', 'error')
      retry = Math.min(retry + 1, 5)
      window.setTimeout(connectControl, 300 * 2 ** retry)
    }
  }

  // ── terminals ─────────────────────────────────────────────────────────────
  const tabs = $$<HTMLButtonElement>('[role="tab"][data-tab]')
  const panel = (machine: string) => $$('.term[data-machine]').find((el) => el.dataset.machine === machine)
  const view = (machine: string): TerminalView | undefined => {
    let v = views.get(machine)
    const el = panel(machine)
    if (!v && el) {
      v = createTerminalView(machine, el, {
        labId,
        onLeave: () => $('#prose')?.focus(),
        onNoHost: () => {
          // Connect again once the server names a lab host that is up.
          if (state?.status === 'up' && state.hostId === hostId) window.setTimeout(() => v?.connect(), 500)
        },
      })
      views.set(machine, v)
      // At once: the server answers once the lab host is up.
      v.connect()
    }
    return v
  }
  const current = () => tabs.find((t) => t.getAttribute('aria-selected') === 'true')?.dataset.tab ?? tabs[0]?.dataset.tab ?? 'host'
  function selectTab(machine: string, focus: boolean): void {
    for (const t of tabs) {
      const on = t.dataset.tab === machine
      t.setAttribute('aria-selected', String(on))
      t.tabIndex = on ? 0 : -1
    }
    for (const el of $$('.term[data-machine]')) el.hidden = el.dataset.machine !== machine
    view(machine)?.show(focus)
  }
  for (const t of tabs) {
    t.addEventListener('click', () => selectTab(t.dataset.tab!, true))
    t.addEventListener('keydown', (e) => {
      const i = tabs.indexOf(t)
      const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : undefined
      if (next) {
        next.focus()
        selectTab(next.dataset.tab!, false)
        e.preventDefault()
      }
    })
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'F6' && !(e.target instanceof HTMLElement && e.target.closest('.term'))) {
      e.preventDefault()
      view(current())?.focus()
    }
  })

  // ── buttons ───────────────────────────────────────────────────────────────
  document.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button')
    if (!b || b.disabled) return
    if (b.dataset.run !== undefined) {
      const on = b.dataset.on ?? 'host'
      selectTab(on, false)
      send({ type: 'run', block: Number(b.dataset.run) })
      view(on)?.focus()
    } else if (b.dataset.copy !== undefined) {
      void copy(b.closest('.step')?.querySelector('code')?.textContent ?? '', b)
    } else if (b.dataset.action) {
      const a = b.dataset.action
      const confirm = $('[data-confirm]')
      if (a === 'reset-ask' && confirm) {
        confirm.hidden = false
        $<HTMLButtonElement>('[data-action="reset-cancel"]')?.focus()
      } else if (a === 'reset-cancel' && confirm) confirm.hidden = true
      else if (a === 'reset') {
        if (confirm) confirm.hidden = true
        send({ type: 'reset' })
      } else if (a === 'check' || a === 'hint' || a === 'solve' || a === 'start') send({ type: a })
    }
  })
  $('[data-notice]')?.addEventListener('click', () => ($('[data-notice]')!.hidden = true))

  // ── state ─────────────────────────────────────────────────────────────────
  function setStatus(text: string, kind: 'ok' | 'busy' | 'error'): void {
    const el = $('[data-status]')
    if (!el) return
    el.textContent = text
    el.dataset.kind = kind
  }

  function applyState(s: PageState): void {
    state = s
    document.body.dataset.labStatus = s.status
    if (s.busy) setStatus(s.busy, 'busy')
    else if (s.status === 'starting') setStatus('starting the lab host…', 'busy')
    else if (s.status === 'resetting') setStatus('resetting…', 'busy')
    else if (s.status === 'up') setStatus(s.owned ? 'lab host up' : `lab host up (nslab up ${s.name ?? ''})`, 'ok')
    else setStatus(s.status === 'gone' ? 'the lab host has ended' : 'the lab host could not start', 'error')
    if ((s.status === 'gone' || s.status === 'error') && s.message) showNotice(`${s.message}`, 'error', true)

    const bar = $<HTMLProgressElement>('[data-progress-bar]')
    if (bar) {
      bar.max = s.total
      bar.value = s.done
    }
    const progress = $('[data-progress]')
    if (progress) progress.textContent = `${s.done} of ${s.total} task${s.total === 1 ? '' : 's'}${s.solved ? ` (${s.solved} with help)` : ''}`
    for (const t of s.tasks) applyTask(t, s)
    const finish = $('[data-finish]')
    if (finish) {
      const was = !finish.hidden
      finish.hidden = !s.finished
      const text = $('[data-finish-text]')
      if (text) text.textContent = `All ${s.total} tasks done.${s.solved ? ` (${s.solved} solved with help)` : ''}`
      if (s.finished && !was) finish.scrollIntoView({ block: 'nearest' })
    }
    for (const b of $$<HTMLButtonElement>('[data-action="solve"], [data-action="reset-ask"], [data-action="reset"], [data-run]')) b.disabled = s.status !== 'up' || s.busy !== undefined
    const note = $('[data-cli-note]')
    if (note) note.textContent = s.name ? `The same lab from a terminal of your machine: nslab check ${s.name} · nslab hint ${s.name} · nslab status` : ''
    const start = $('[data-start]')
    if (s.status === 'gone' || s.status === 'error') {
      if (!start) {
        const b = document.createElement('button')
        b.type = 'button'
        b.dataset.action = 'start'
        b.dataset.start = ''
        b.textContent = s.status === 'gone' ? 'Start it again' : 'Try again'
        $('[data-status]')?.after(b)
      }
    } else start?.remove()

    if (s.status === 'up' && s.hostId !== hostId) {
      const before = hostId
      hostId = s.hostId
      // A new lab host: the terminals attach to its shells. (The first one they reached by themselves.)
      for (const v of views.values()) if (before !== undefined || !v.connected()) v.connect()
    }
  }

  const WORDS: Record<TaskView['state'], string> = {
    pending: 'not yet',
    current: 'your turn',
    failed: 'not done yet',
    done: 'done',
    solved: 'done (solved with help)',
  }
  function applyTask(t: TaskView, s: PageState): void {
    const section = $(`[data-task="${t.n}"]`)
    const nav = $(`[data-nav-task="${t.n}"]`)
    if (nav) nav.dataset.state = t.state
    if (!section) return
    section.dataset.state = t.state
    const word = $('[data-task-word]', section)
    if (word) word.textContent = WORDS[t.state]
    const verdict = $('[data-verdict]', section)
    if (verdict) {
      verdict.hidden = !t.verdict
      verdict.replaceChildren(...(t.verdict ? verdictNodes(t.verdict) : []))
    }
    const hint = $('[data-hint]', section)
    if (hint) {
      hint.hidden = t.hint === undefined
      if (t.hint !== undefined) {
        const label = document.createElement('strong')
        label.textContent = 'Hint: '
        hint.replaceChildren(label, t.hint ?? `This task has no hint of its own.${t.solvable ? ' Solve does it for you (counted as solved with help).' : ''}`)
      }
    }
    void s
  }

  function verdictNodes(v: NonNullable<TaskView['verdict']>): Node[] {
    const list = document.createElement('ul')
    for (const c of v.checks) {
      const li = document.createElement('li')
      li.className = c.ok ? 'ok' : 'bad'
      const p = document.createElement('p')
      p.textContent = `${c.ok ? '✓' : '✗'} ${c.sentence}`
      li.append(p)
      if (c.expected !== undefined && c.got !== undefined) {
        const dl = document.createElement('p')
        dl.className = 'expected'
        dl.textContent = `expected: ${c.expected} · got: ${c.got}`
        li.append(dl)
      }
      if (c.command) {
        const pre = document.createElement('pre')
        const head = `${c.command.machine === 'host' ? '' : `(on ${c.command.machine}) `}$ ${c.command.text}   → ${c.command.status}`
        pre.textContent = [head, ...(c.command.before ? [`… ${c.command.before} lines before`] : []), ...c.command.output].join('\n')
        li.append(pre)
      }
      list.append(li)
    }
    const out: Node[] = [list]
    if (v.notJudged.length) {
      const p = document.createElement('p')
      p.className = 'not-judged'
      p.textContent = `Not judged here (about nslab run's own run of a step): ${v.notJudged.join('; ')}`
      out.push(p)
    }
    return out
  }

  let noticeTimer: number | undefined
  function showNotice(text: string, level: 'info' | 'error', sticky = false): void {
    const el = $('[data-notice]')
    if (!el) return
    el.textContent = text
    el.dataset.level = level
    el.hidden = false
    window.clearTimeout(noticeTimer)
    if (!sticky) noticeTimer = window.setTimeout(() => (el.hidden = true), level === 'error' ? 15000 : 6000)
  }

  async function copy(text: string, button: HTMLButtonElement): Promise<void> {
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      // Not a secure context (another machine's address): the old way.
      const ta = document.createElement('textarea')
      ta.value = text
      document.body.append(ta)
      ta.select()
      document.execCommand('copy')
      ta.remove()
    }
    const was = button.textContent
    button.textContent = 'Copied'
    window.setTimeout(() => (button.textContent = was), 1200)
  }

  connectControl()
  selectTab(current(), false)
}
