// The HTTP and WebSocket server of nslab serve: pages, the page's own files,
// a control socket per open lab page and a socket per terminal. Every request
// passes serve-auth first. Built on node:http and ws (loaded when the server
// starts, so that no other command pays for them).
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import type { WebSocket, WebSocketServer } from 'ws'
import { loadPackage } from '../util/load-package.js'
import { packageRoot } from '../util/package-root.js'
import { NslabError } from '../util/nslab-error.js'
import { labPageHtml } from './lab-page-html.js'
import { labsPageHtml } from './labs-page-html.js'
import type { LearnerSpace } from './learner-space.js'
import type { ServedLab } from './served-labs.js'
import { contentSecurityPolicy } from './page-html.js'
import { TERMINAL_CLOSE, TERMINAL_INPUT, TERMINAL_RESIZE, type ClientMessage } from './page-state.js'
import { createServeAuth, newServeToken, type ServeAuth } from './serve-auth.js'
import { INSTRUCTOR, type Workshop } from './workshop.js'
import { instructorPageHtml } from './instructor-page-html.js'
import { GRADEBOOK_TYPES, type GradebookFormat } from './workshop-gradebook.js'
import type { InstructorMessage, WorkshopTable } from './workshop-table.js'
import type { MachineTerminal } from './machine-terminal.js'

export interface ServeServerOptions {
  /** The learner's labs (one learner); a workshop has a space per learner instead. */
  space?: LearnerSpace
  /** A workshop: a token per learner and one for the instructor (serve --workshop). */
  workshop?: Workshop
  /** Address to listen on (default 127.0.0.1). */
  host?: string
  /** Port (default 4300; 0: any free one). */
  port?: number
  token?: string
  /** The page's built files (default: dist/web of nslab). */
  assetsDir?: string
  log?: (line: string) => void
}

export interface ServeServer {
  /** The address to open, with the token. */
  url: string
  port: number
  host: string
  auth: ServeAuth
  /** A workshop's personal links: the instructor's first, then each learner's. */
  links?: { name: string; url: string }[]
  /** Stop listening, close every socket. (The labs are the space's to close.) */
  close(): Promise<void>
}

/** The page's own files: nothing else is served from disk. */
const ASSET_TYPES: Record<string, string> = {
  'page.js': 'text/javascript; charset=utf-8',
  'page.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
}

/** A page's message on its control socket: at most this long. */
const MAX_CONTROL_MESSAGE = 4096
/** A terminal socket's frame (a paste): at most this long. */
const MAX_TERMINAL_MESSAGE = 1024 * 1024

const CONTROL_TYPES = new Set<ClientMessage['type']>(['run', 'check', 'hint', 'solve', 'reset', 'start'])

export async function startServeServer(opts: ServeServerOptions): Promise<ServeServer> {
  const { WebSocketServer: WSS } = loadPackage<typeof import('ws')>('ws')
  const host = opts.host ?? '127.0.0.1'
  const log = opts.log ?? (() => {})
  const workshop = opts.workshop
  if (!opts.space && !workshop) throw new Error('startServeServer: a space or a workshop')
  /** The labs a principal may open: the one learner's, a workshop learner's own; the instructor has none. */
  const spaceOf = (who: string): LearnerSpace | undefined => (workshop ? (who === INSTRUCTOR ? undefined : workshop.learner(who)?.space) : opts.space)
  /** Every lab served (the same for every learner). */
  const served = workshop ? workshop.served : opts.space!.served
  const assetsDir = opts.assetsDir ?? join(packageRoot(), 'dist', 'web')
  const assets = new Map<string, { body: Buffer; etag: string }>()
  const asset = (name: string): { body: Buffer; etag: string } | undefined => {
    if (!(name in ASSET_TYPES)) return undefined
    let a = assets.get(name)
    if (!a) {
      try {
        const body = readFileSync(join(assetsDir, name))
        a = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }
      } catch {
        return undefined
      }
      assets.set(name, a)
    }
    return a
  }
  if (!asset('page.js')) {
    throw new NslabError({ code: 'PREREQUISITE', message: `the page's script is missing: ${join(assetsDir, 'page.js')}`, fix: 'npm run build' })
  }

  // A lab's page is the same for every visit but its nonce: made once, the nonce put in its slot.
  const NONCE_SLOT = `nonce-slot-${randomBytes(12).toString('hex')}`
  const labPages = new Map<string, Promise<string>>()
  const labPage = (s: ServedLab): Promise<string> => {
    let p = labPages.get(s.id)
    if (!p) {
      p = s.prose().then((prose) => labPageHtml({ id: s.id, lab: s.lab, prose, nonce: NONCE_SLOT, localLink: (href) => localLink(served.labs, href) }))
      labPages.set(s.id, p)
    }
    return p
  }

  const token = workshop ? workshop.instructorToken : (opts.token ?? newServeToken())
  let auth: ServeAuth | undefined
  const sockets = new Set<Socket>()
  const wss: WebSocketServer = new WSS({ noServer: true, maxPayload: MAX_TERMINAL_MESSAGE, perMessageDeflate: false })

  const server = createServer((req, res) => {
    try {
      handle(req, res)
    } catch (e) {
      log(`nslab serve: ${(e as Error).message}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('500 Internal Server Error\n')
    }
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  const forbidden = (res: ServerResponse) => {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    res.end('403 Forbidden\n')
  }
  const headers = (type: string, extra: Record<string, string> = {}) => ({
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...extra,
  })
  const page = (res: ServerResponse, html: string, nonce: string) => {
    res.writeHead(200, headers('text/html; charset=utf-8', { 'content-security-policy': contentSecurityPolicy(nonce), 'cache-control': 'no-store' }))
    res.end(html)
  }
  const notFound = (res: ServerResponse) => {
    res.writeHead(404, headers('text/plain; charset=utf-8', { 'cache-control': 'no-store' }))
    res.end('404 Not Found\n')
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const verdict = auth!.request(req)
    if (!verdict.ok) return forbidden(res)
    if (verdict.redirect !== undefined) {
      res.writeHead(303, { location: verdict.redirect, 'set-cookie': verdict.setCookie ?? '', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
      res.end()
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' })
      res.end()
      return
    }
    const url = new URL(req.url ?? '/', 'http://x')
    const path = url.pathname
    const nonce = randomBytes(16).toString('base64')
    const file = /^\/assets\/([a-z.]+)$/.exec(path)?.[1]
    const space = spaceOf(verdict.who)
    if (workshop && verdict.who === INSTRUCTOR && !file) return instructorRequest(res, path, nonce)
    // The instructor's pages are not a learner's: 403, as for no token at all.
    if (!file && (!space || path === '/instructor' || path.startsWith('/instructor/'))) return forbidden(res)
    if (path === '/' && space) return page(res, labsPageHtml(space.cards(), { nonce, problems: served.problems, ...(workshop ? { learner: verdict.who, title: workshop.classFile.title } : {}) }), nonce)
    const lab = /^\/lab\/([A-Za-z0-9_.-]+)\/?$/.exec(path)
    if (lab && space) {
      const live = space.live(lab[1]!)
      if (!live) return notFound(res)
      // The lab host starts now, while the page loads.
      void live.ensureUp()
      void labPage(live.served).then(
        (html) => page(res, html.replace(NONCE_SLOT, nonce), nonce),
        (e: unknown) => {
          log(`nslab serve: ${(e as Error).message}`)
          res.writeHead(500).end()
        },
      )
      return
    }
    const a = file ? asset(file) : undefined
    if (file && a) {
      // Asked again on each page, answered "not modified" while it is the same (a browser's cache, checked).
      if (req.headers['if-none-match'] === a.etag) {
        res.writeHead(304, { etag: a.etag, 'cache-control': 'no-cache' })
        res.end()
        return
      }
      res.writeHead(200, headers(ASSET_TYPES[file]!, { 'cache-control': 'no-cache', etag: a.etag }))
      res.end(req.method === 'HEAD' ? undefined : a.body)
      return
    }
    return notFound(res)
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${status}\n`)
      socket.destroy()
    }
    const verdict = auth!.upgrade(req)
    if (!verdict.ok) return refuse('403 Forbidden')
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (workshop && verdict.who === INSTRUCTOR) {
      const watch = /^\/ws\/watch\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(path)
      if (path === '/ws/instructor') return wss.handleUpgrade(req, socket, head, (ws) => instructorSocket(ws, workshop))
      if (watch) return wss.handleUpgrade(req, socket, head, (ws) => watchSocket(ws, workshop.watch(watch[1]!, watch[2]!, watch[3]!)))
      return refuse('403 Forbidden')
    }
    const space = spaceOf(verdict.who)
    if (!space) return refuse('403 Forbidden')
    const control = /^\/ws\/lab\/([A-Za-z0-9_.-]+)$/.exec(path)
    const term = /^\/ws\/term\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(path)
    if (!control && !term) return refuse(workshop && path.startsWith('/ws/') ? '403 Forbidden' : '404 Not Found')
    const live = space.live((control ?? term)?.[1] ?? '')
    if (!live) return refuse('404 Not Found')
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (control) controlSocket(ws, live)
      else terminalSocket(ws, live, term![2]!)
    })
  })

  function controlSocket(ws: WebSocket, live: NonNullable<ReturnType<LearnerSpace['live']>>): void {
    const off = live.subscribe((m) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
    })
    ws.on('close', off)
    ws.on('error', () => off())
    ws.on('message', (data, binary) => {
      if (binary) return
      const text = data.toString()
      if (text.length > MAX_CONTROL_MESSAGE) return
      let m: ClientMessage
      try {
        m = JSON.parse(text) as ClientMessage
      } catch {
        return
      }
      if (!m || typeof m !== 'object' || !CONTROL_TYPES.has(m.type)) return
      if (m.type === 'run' && !Number.isInteger(m.block)) return
      live.act(m).catch((e: unknown) => log(`nslab serve: ${live.id}: ${(e as Error).message}`))
    })
    void live.ensureUp()
  }

  function terminalSocket(ws: WebSocket, live: NonNullable<ReturnType<LearnerSpace['live']>>, machine: string): void {
    // Keys typed before the shell is there wait for it.
    const early: string[] = []
    let deliver = (text: string) => void early.push(text)
    ws.on('message', (data, binary) => {
      if (!binary) deliver(data.toString())
    })
    ws.on('error', () => undefined)
    void live.terminal(machine).then(
      (t) => {
        if (ws.readyState !== ws.OPEN) return
        if (!t) return ws.close(TERMINAL_CLOSE.unavailable, 'the lab host is not up')
        showTerminal(ws, t)
        deliver = (text) => {
          const kind = text[0]
          if (kind === TERMINAL_INPUT) t.input(text.slice(1))
          else if (kind === TERMINAL_RESIZE) {
            const [c, r] = text.slice(1).split(' ').map(Number)
            t.resize(c ?? 0, r ?? 0)
          }
        }
        for (const x of early.splice(0)) deliver(x)
      },
      (e: unknown) => {
        log(`nslab serve: ${live.id}: ${(e as Error).message}`)
        ws.close(TERMINAL_CLOSE.unavailable, 'no terminal')
      },
    )
  }

  /** The instructor's pages: the live table, and the gradebook of each lab. */
  function instructorRequest(res: ServerResponse, path: string, nonce: string): void {
    const w = workshop!
    if (path === '/') {
      res.writeHead(303, { location: '/instructor', 'cache-control': 'no-store' })
      res.end()
      return
    }
    if (path === '/instructor' || path === '/instructor/') {
      return page(res, instructorPageHtml({ title: w.classFile.title, labs: w.served.labs.map((l) => ({ id: l.id, title: l.lab.title })), learners: w.learners.map((l) => l.name), nonce }), nonce)
    }
    const g = /^\/instructor\/gradebook\/([A-Za-z0-9_.-]+?)\.(csv|json|junit|html|run\.json)$/.exec(path)
    if (g) {
      const format = g[2] as GradebookFormat
      const body = w.gradebook(g[1]!, format)
      if (body === undefined) return notFound(res)
      const t = GRADEBOOK_TYPES[format]
      res.writeHead(200, headers(t.type, { 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${g[1]}-gradebook.${t.ext}"`, 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" }))
      res.end(body)
      return
    }
    // A learner's pages are not the instructor's.
    return path.startsWith('/instructor/') ? notFound(res) : forbidden(res)
  }

  /** The instructor's socket: the table, sent when it changes; messages and resets asked. */
  function instructorSocket(ws: WebSocket, w: Workshop): void {
    let last = ''
    const push = () => {
      const t: WorkshopTable = w.table()
      const text = JSON.stringify({ ...t, now: 0 })
      if (text === last || ws.readyState !== ws.OPEN) return
      last = text
      ws.send(JSON.stringify(t))
    }
    push()
    const timer = setInterval(push, 1000)
    ws.on('close', () => clearInterval(timer))
    ws.on('error', () => clearInterval(timer))
    ws.on('message', (data, binary) => {
      if (binary) return
      const text = data.toString()
      if (text.length > MAX_CONTROL_MESSAGE) return
      let m: InstructorMessage
      try {
        m = JSON.parse(text) as InstructorMessage
      } catch {
        return
      }
      const say = (level: 'info' | 'error', t: string) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'notice', level, text: t }))
      if (m?.type === 'announce' && typeof m.text === 'string' && m.text.trim()) {
        const n = w.announce(m.text.trim().slice(0, 500))
        say('info', `Message shown on ${n} open page${n === 1 ? '' : 's'}.`)
      } else if (m?.type === 'reset' && typeof m.learner === 'string' && typeof m.lab === 'string') {
        say('info', `Resetting ${m.learner}'s ${m.lab}…`)
        void w.reset(m.learner, m.lab).then(
          (ok) => say(ok ? 'info' : 'error', ok ? `${m.learner}'s ${m.lab} was reset.` : `${m.learner} has not opened ${m.lab}: nothing to reset.`),
          (e: unknown) => say('error', (e as Error).message),
        )
        push()
      }
    })
  }

  /** A learner's terminal, read-only: what it shows, never a key. */
  function watchSocket(ws: WebSocket, found: Promise<MachineTerminal | undefined>): void {
    ws.on('error', () => undefined)
    ws.on('message', () => undefined)
    void found.then((t) => {
      if (ws.readyState !== ws.OPEN) return
      if (!t) return ws.close(TERMINAL_CLOSE.unavailable, 'that terminal is not open')
      showTerminal(ws, t)
    })
  }

  /** A terminal's output to a socket while it is open (a learner's own, or an instructor's view of it). */
  function showTerminal(ws: WebSocket, t: MachineTerminal): void {
    const detach = t.attach({
      send: (d) => {
        if (ws.readyState === ws.OPEN) ws.send(d)
      },
      backlog: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, reason),
    })
    ws.on('close', detach)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(new NslabError({ code: 'USAGE', message: `port ${opts.port ?? 4300} on ${host} is in use`, fix: 'nslab serve --port N (or --port 0 for any free port)' }))
      } else if (e.code === 'EADDRNOTAVAIL') {
        reject(new NslabError({ code: 'USAGE', message: `${host} is not an address of this machine` }))
      } else reject(e)
    })
    server.listen(opts.port ?? 4300, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  // Made while nobody waits: the first visit of a lab gets its page at once.
  void (async () => {
    for (const l of served.labs) await labPage(l).catch(() => undefined)
  })()
  auth = createServeAuth({ token, port, host, ...(workshop ? { principals: workshop.principals() } : {}) })
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const base = `http://${shown}:${port}`
  return {
    url: workshop ? `${base}/instructor?token=${token}` : `${base}/?token=${token}`,
    ...(workshop ? { links: [{ name: INSTRUCTOR, url: `${base}/instructor?token=${token}` }, ...workshop.learners.map((l) => ({ name: l.name, url: `${base}/?token=${l.token}` }))] } : {}),
    port,
    host,
    auth,
    async close() {
      for (const ws of wss.clients) ws.close(TERMINAL_CLOSE.serverStopping, 'nslab serve is stopping')
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive connections would hold close() open.
        for (const s of sockets) s.destroy()
      })
      for (const ws of wss.clients) ws.terminate()
    },
  }
}

/** A relative link in a lab's prose to another lab's file, as that lab's page here. */
function localLink(labs: ServedLab[], href: string): string | undefined {
  const m = /^(?:\.\/)?([A-Za-z0-9_.-]+)\.md(#[A-Za-z0-9_-]*)?$/.exec(href)
  if (!m) return undefined
  const target = labs.find((l) => l.file.endsWith(`/${m[1]}.md`))
  return target ? `/lab/${target.id}` : undefined
}
