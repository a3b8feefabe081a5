// Plain HTTP and WebSocket requests to a running nslab serve, as a script (or
// an attacker) would make them: the status, headers and body; a handshake's
// status; a socket's messages.
import { request, type IncomingHttpHeaders } from 'node:http'
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    r.on('error', reject)
    r.end()
  })
}

/** A WebSocket handshake by hand: the status the server answers (101 when it upgrades). */
export function upgrade(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        host: `127.0.0.1:${port}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    })
    r.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve(res.statusCode ?? 0)
    })
    r.on('response', (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    r.on('error', reject)
    r.end()
  })
}

/** The cookie a personal link sets (its first visit). */
export async function cookieOf(port: number, url: string): Promise<string> {
  const u = new URL(url)
  const a = await get(port, `${u.pathname}${u.search}`)
  if (a.status !== 303) throw new Error(`${u.pathname} with its token: ${a.status}, not 303`)
  return String(a.headers['set-cookie']).split(';')[0]!
}

export interface Socket {
  ws: WebSocket
  messages: unknown[]
  /** Wait for a message that fits. */
  until<T>(fits: (m: T) => boolean, timeoutMs?: number): Promise<T>
  send(m: unknown): void
  close(): void
}

/** A socket of the page's (JSON messages), with a cookie, from the page's own origin. */
export async function openSocket(port: number, path: string, cookie: string): Promise<Socket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { cookie, origin: `http://127.0.0.1:${port}` } })
  const messages: unknown[] = []
  const waiting = new Set<() => void>()
  ws.on('message', (d, binary) => {
    if (binary) return
    try {
      messages.push(JSON.parse(d.toString()))
    } catch {
      messages.push(d.toString())
    }
    for (const w of [...waiting]) w()
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    messages,
    until<T>(fits: (m: T) => boolean, timeoutMs = 30_000) {
      return new Promise<T>((resolve, reject) => {
        const look = () => {
          const m = [...messages].reverse().find((x) => fits(x as T))
          if (m === undefined) return false
          waiting.delete(look)
          clearTimeout(timer)
          resolve(m as T)
          return true
        }
        const timer = setTimeout(() => {
          waiting.delete(look)
          reject(new Error(`no fitting message within ${timeoutMs} ms; the last: ${JSON.stringify(messages.at(-1))?.slice(0, 2000)}`))
        }, timeoutMs)
        if (!look()) waiting.add(look)
      })
    },
    send: (m) => ws.send(JSON.stringify(m)),
    close: () => ws.close(),
  }
}
