// Who may use a server that hands out shells: the person who started it, as
// Jupyter does. The token printed at start-up, compared in constant time,
// then a cookie; a Host header that names this server (DNS rebinding: a name
// of the attacker's that resolves to 127.0.0.1 is refused); and on a
// WebSocket, an Origin that is this server (a page elsewhere cannot open a
// shell with the learner's cookie). Everything else: 403 and nothing more.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingMessage } from 'node:http'

export interface ServeAuthOptions {
  token: string
  port: number
  /** The address or name served on (--host). */
  host: string
  /**
   * A workshop: each token and whom it opens (a learner's name, or
   * "instructor"). Without it, the one token opens everything, as "learner".
   */
  principals?: Map<string, string>
}

export type AuthVerdict =
  | { ok: true; /** Whom the token opens. */ who: string; /** Set this cookie (the token came in the URL). */ setCookie?: string; /** Where to send the browser without the token in its address. */ redirect?: string }
  | { ok: false; why: string }

export interface ServeAuth {
  readonly token: string
  readonly cookieName: string
  /** An HTTP request: Host, then the token (query or cookie). */
  request(req: IncomingMessage): AuthVerdict
  /** A WebSocket upgrade: Host, Origin, then the cookie (or the token). */
  upgrade(req: IncomingMessage): AuthVerdict
}

/** 32 random bytes, as hex: what the URL carries. */
export function newServeToken(): string {
  return randomBytes(32).toString('hex')
}

/** Whether given is the token, in time that does not depend on where they differ (or their lengths). */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

export function createServeAuth(opts: ServeAuthOptions): ServeAuth {
  // Cookies are per host, not per port: two servers on one machine keep theirs apart.
  const cookieName = `nslab-token-${opts.port}`
  const cookie = (token: string) => `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`
  const digest = (t: string) => createHash('sha256').update(t).digest()
  const known = [...(opts.principals ?? new Map([[opts.token, 'learner']]))].map(([token, who]) => ({ hash: digest(token), who }))
  /** Whom a token opens: every known token compared, in constant time each, with no early way out. */
  const identify = (given: string): string | undefined => {
    const h = digest(given)
    let who: string | undefined
    for (const k of known) if (timingSafeEqual(h, k.hash)) who ??= k.who
    return who
  }

  const hostOk = (req: IncomingMessage): boolean => {
    const host = req.headers.host
    if (!host) return false
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+)(?::(\d+))?$/.exec(host)
    if (!m) return false
    const name = m[1]!.replace(/^\[|\]$/g, '').toLowerCase()
    if (m[2] !== undefined && Number(m[2]) !== opts.port) return false
    // An address can be no attacker's name; a name must be this machine's or the one served on.
    return isIP(name) !== 0 || name === 'localhost' || name === opts.host.toLowerCase()
  }
  const cookieToken = (req: IncomingMessage): string | undefined => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=')
      if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim()
    }
    return undefined
  }
  const queryToken = (req: IncomingMessage): string | undefined => {
    const q = (req.url ?? '').indexOf('?')
    if (q < 0) return undefined
    return new URLSearchParams((req.url ?? '').slice(q + 1)).get('token') ?? undefined
  }

  return {
    token: opts.token,
    cookieName,
    request(req) {
      if (!hostOk(req)) return { ok: false, why: 'host' }
      const fromCookie = cookieToken(req)
      const fromQuery = queryToken(req)
      if (fromQuery !== undefined) {
        const who = identify(fromQuery)
        if (who === undefined) return { ok: false, why: 'token' }
        // The token leaves the address bar (and the history) for a cookie.
        const url = new URL(req.url ?? '/', 'http://x')
        url.searchParams.delete('token')
        return { ok: true, who, setCookie: cookie(fromQuery), redirect: `${url.pathname}${url.search}` }
      }
      const who = fromCookie === undefined ? undefined : identify(fromCookie)
      if (who !== undefined) return { ok: true, who }
      return { ok: false, why: 'token' }
    },
    upgrade(req) {
      if (!hostOk(req)) return { ok: false, why: 'host' }
      // Same origin only: the Origin must be this very Host, over http.
      const origin = req.headers.origin
      if (!origin || origin !== `http://${req.headers.host}`) return { ok: false, why: 'origin' }
      const given = cookieToken(req) ?? queryToken(req)
      const who = given === undefined ? undefined : identify(given)
      if (who === undefined) return { ok: false, why: 'token' }
      return { ok: true, who }
    },
  }
}
