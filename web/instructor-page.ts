// The instructor's page of a workshop (nslab serve --workshop): the live
// table from the instructor's socket, a message to everyone, a learner's
// terminals read-only, Reset. Every name and title is set as text, never
// markup: learners' names come from the class file, but labs' titles from labs.
import type { InstructorNotice, WorkshopTable, WorkshopTableLearner } from '../runner/serve/workshop-table.js'
import { createTerminalView, type TerminalView } from './terminal-view.js'

export function instructorPage(): void {
  const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)
  let table: WorkshopTable | undefined
  let ws: WebSocket | undefined
  let retry = 0
  let skew = 0
  let watching: { learner: string; lab: string; machine: string; view: TerminalView } | undefined

  const el = (tag: string, text?: string, attrs: Record<string, string> = {}): HTMLElement => {
    const e = document.createElement(tag)
    if (text !== undefined) e.textContent = text
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
    return e
  }
  const setStatus = (text: string, kind: 'ok' | 'busy' | 'error') => {
    const s = $('[data-status]')
    if (s) {
      s.textContent = text
      s.dataset.kind = kind
    }
  }
  let noticeTimer: number | undefined
  const notice = (text: string, level: 'info' | 'error') => {
    const n = $('[data-notice]')
    if (!n) return
    n.textContent = text
    n.dataset.level = level
    n.hidden = false
    window.clearTimeout(noticeTimer)
    noticeTimer = window.setTimeout(() => (n.hidden = true), 6000)
  }
  const send = (m: unknown) => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m))
  }

  const connect = () => {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/instructor`)
    ws = socket
    socket.onopen = () => {
      retry = 0
      setStatus('live', 'ok')
    }
    socket.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as WorkshopTable | InstructorNotice
      if (m.type === 'table') {
        table = m
        skew = Date.now() - m.now
        render()
      } else if (m.type === 'notice') notice(m.text, m.level)
    }
    socket.onclose = () => {
      if (ws !== socket) return
      setStatus('disconnected: trying again…', 'error')
      retry = Math.min(retry + 1, 5)
      window.setTimeout(connect, 300 * 2 ** retry)
    }
  }

  const minutes = (ms: number) => {
    const s = Math.max(0, Math.round(ms / 1000))
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  }

  function render(): void {
    const t = table
    if (!t) return
    const head = $('[data-table] thead')
    const body = $('[data-table] tbody')
    if (!head || !body) return
    const top = el('tr')
    top.append(el('th', 'Learner', { scope: 'col', rowspan: '2' }))
    for (const lab of t.labs) top.append(el('th', lab.title, { scope: 'colgroup', colspan: String(lab.tasks), 'data-lab-head': lab.id }))
    for (const h of ['On task', 'Time on it', 'Hints']) top.append(el('th', h, { scope: 'col', rowspan: '2' }))
    const second = el('tr')
    for (const lab of t.labs) for (let i = 1; i <= lab.tasks; i++) second.append(el('th', String(i), { scope: 'col', class: 'task-n' }))
    head.replaceChildren(top, second)
    body.replaceChildren(...t.learners.map((l) => row(t, l)))
    const on = t.learners.filter((l) => l.online).length
    const done = t.learners.filter((l) => l.finished).length
    const summary = $('[data-summary]')
    if (summary) summary.textContent = `${t.learners.length} learners · ${on} online · ${done} finished · limits: ${t.limitsBy}`
    tick()
  }

  function row(t: WorkshopTable, l: WorkshopTableLearner): HTMLElement {
    const tr = el('tr', undefined, { 'data-learner': l.name, 'data-online': String(l.online), 'data-finished': String(l.finished) })
    if (l.stuck) tr.dataset.stuck = 'true'
    const name = el('th', undefined, { scope: 'row' })
    const b = el('button', l.name, { type: 'button', 'data-watch-learner': l.name, title: `watch ${l.name}'s terminal` })
    name.append(b)
    if (l.stuck) name.append(el('span', 'stuck longest', { class: 'badge stuck' }))
    tr.append(name)
    for (const [i, lab] of l.labs.entries()) {
      lab.cells.forEach((c, j) => {
        const td = el('td', c === 'done' ? '✓' : c === 'solved' ? '✓?' : c === 'current' ? '●' : '', { 'data-cell': c, 'data-lab': lab.id, 'data-task': String(j + 1), title: `${t.labs[i]?.title ?? lab.id}, task ${j + 1}: ${c}${lab.hints.includes(j + 1) ? ' (hint asked)' : ''}` })
        if (lab.hints.includes(j + 1)) td.dataset.hint = 'true'
        tr.append(td)
      })
    }
    tr.append(el('td', l.current ? `${l.current.lab} · ${l.current.task}` : l.finished ? 'finished' : '—', { 'data-on-task': '' }))
    tr.append(el('td', '', l.current ? { 'data-since': String(l.current.since) } : {}))
    tr.append(el('td', String(l.hints), { 'data-hints': String(l.hints) }))
    return tr
  }

  /** Time on the current task, counted here between the server's updates. */
  function tick(): void {
    for (const td of document.querySelectorAll<HTMLElement>('[data-since]')) td.textContent = minutes(Date.now() - skew - Number(td.dataset.since))
  }
  window.setInterval(tick, 1000)

  // ── a learner's terminal, read-only ───────────────────────────────────────
  function watch(learner: string, lab: string, machine: string): void {
    watching?.view.dispose()
    const box = $('[data-watch]')
    const termBox = $('[data-watch-term]')
    if (!box || !termBox) return
    box.hidden = false
    const title = $('[data-watch-title]')
    if (title) title.textContent = `${learner} · ${lab} · ${machine}`
    box.dataset.learner = learner
    box.dataset.lab = lab
    const fresh = el('div', undefined, { class: 'term watch-term', 'data-watch-term': '', 'data-machine': machine })
    termBox.replaceWith(fresh)
    const tabs = $('[data-watch-tabs]')
    const machines = table?.labs.find((l) => l.id === lab)?.machines ?? [machine]
    tabs?.replaceChildren(
      ...machines.map((m) => {
        const b = el('button', m, { type: 'button', 'data-watch-machine': m, 'aria-pressed': String(m === machine) })
        b.addEventListener('click', () => watch(learner, lab, m))
        return b
      }),
    )
    const view = createTerminalView(machine, fresh, {
      labId: lab,
      path: `/ws/watch/${encodeURIComponent(learner)}/${encodeURIComponent(lab)}/${encodeURIComponent(machine)}`,
      readOnly: true,
      onLeave: () => undefined,
      onNoHost: () => {
        fresh.dataset.closed = 'true'
      },
    })
    watching = { learner, lab, machine, view }
    view.connect()
    view.show(false)
  }

  document.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button')
    if (!b) return
    const who = b.dataset.watchLearner
    if (who) {
      const l = table?.learners.find((x) => x.name === who)
      const lab = l?.current?.lab ?? l?.labs.find((x) => x.status === 'up')?.id ?? table?.labs[0]?.id
      if (lab) watch(who, lab, 'host')
    } else if (b.dataset.watchClose !== undefined) {
      watching?.view.dispose()
      watching = undefined
      const box = $('[data-watch]')
      if (box) box.hidden = true
    } else if (b.dataset.watchReset !== undefined && watching) {
      if (window.confirm(`Reset ${watching.learner}'s ${watching.lab}? Their lab host starts afresh at the task they are on.`)) send({ type: 'reset', learner: watching.learner, lab: watching.lab })
    }
  })
  $('[data-announce]')?.addEventListener('submit', (e) => {
    e.preventDefault()
    const input = $<HTMLInputElement>('#announce-text')
    const text = input?.value.trim()
    if (!text) return
    send({ type: 'announce', text })
    if (input) input.value = ''
  })

  connect()
}
