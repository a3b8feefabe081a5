// Who may use nslab serve, which hands out shells: the token (compared in
// constant time, then a cookie), a Host header that names the server (DNS
// rebinding), an Origin that is the server on every WebSocket (cross-site
// WebSocket hijacking). Everything else gets 403 and nothing more. Unit
// checks of serve-auth.ts, then the same rules against a running server.
import t from 'tap'
import { request, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import type { IncomingMessage } from 'node:http'
import { createServeAuth, newServeToken, tokenMatches } from '../../runner/serve/serve-auth.js'
import { exposureWarning } from '../../runner/cli/serve-command.js'
import { FIXTURES, requireBuild } from '../helpers/learner-cli.js'
import { startServe } from './serve-process.js'
import { get, upgrade } from './http-probe.js'

const TINY = join(FIXTURES, 'tiny.md')

t.test('the token: random, compared whole', async (t) => {
  const a = newServeToken()
  t.match(a, /^[0-9a-f]{64}$/, '32 random bytes, as hex')
  t.not(a, newServeToken(), 'a new one each time')
  t.ok(tokenMatches(a, a))
  t.notOk(tokenMatches(a.slice(0, -1), a), 'a prefix is not the token')
  t.notOk(tokenMatches(`${a}0`, a), 'nor a longer one')
  t.notOk(tokenMatches('', a))
  t.notOk(tokenMatches(a.toUpperCase(), a))
})

t.test('serve-auth: Host, token, cookie, Origin', async (t) => {
  const token = newServeToken()
  const auth = createServeAuth({ token, port: 4300, host: '127.0.0.1' })
  const req = (url: string, headers: IncomingHttpHeaders) => ({ url, headers }) as IncomingMessage
  const cookie = `${auth.cookieName}=${token}`
  t.same(auth.request(req(`/?token=${token}`, { host: '127.0.0.1:4300' })), { ok: true, who: 'learner', setCookie: `${cookie}; HttpOnly; SameSite=Strict; Path=/`, redirect: '/' }, 'the token in the URL: a cookie, and the same page without it')
  t.same(auth.request(req(`/lab/x?token=${token}&a=1`, { host: '127.0.0.1:4300' })), { ok: true, who: 'learner', setCookie: `${cookie}; HttpOnly; SameSite=Strict; Path=/`, redirect: '/lab/x?a=1' })
  t.same(auth.request(req('/', { host: '127.0.0.1:4300', cookie: `a=b; ${cookie}` })), { ok: true, who: 'learner' }, 'the cookie alone')
  t.same(auth.request(req('/', { host: 'localhost:4300', cookie })), { ok: true, who: 'learner' }, 'localhost names this machine')
  t.same(auth.request(req('/', { host: '[::1]:4300', cookie })), { ok: true, who: 'learner' }, 'so does an address')
  t.same(auth.request(req('/', { host: '127.0.0.1:4300' })), { ok: false, why: 'token' }, 'no token: refused')
  t.same(auth.request(req('/?token=nope', { host: '127.0.0.1:4300', cookie })), { ok: false, why: 'token' }, 'a wrong token in the URL is refused, cookie or not')
  t.same(auth.request(req('/', { host: '127.0.0.1:4300', cookie: `${auth.cookieName}=${token}x` })), { ok: false, why: 'token' }, 'a wrong cookie')
  t.same(auth.request(req('/', { host: 'nslab.attacker.example:4300', cookie })), { ok: false, why: 'host' }, 'a name that is not this machine (DNS rebinding)')
  t.same(auth.request(req('/', { host: '127.0.0.1:4301', cookie })), { ok: false, why: 'host' }, 'another port')
  t.same(auth.request(req('/', { cookie })), { ok: false, why: 'host' }, 'no Host at all')
  const ws = (headers: IncomingHttpHeaders) => auth.upgrade(req('/ws/lab/x', { host: '127.0.0.1:4300', cookie, ...headers }))
  t.same(ws({ origin: 'http://127.0.0.1:4300' }), { ok: true, who: 'learner' }, 'a WebSocket from the page itself')
  t.same(ws({}), { ok: false, why: 'origin' }, 'a WebSocket without an Origin')
  t.same(ws({ origin: 'http://attacker.example' }), { ok: false, why: 'origin' }, 'from another site (cross-site WebSocket hijacking)')
  t.same(ws({ origin: 'http://localhost:4300' }), { ok: false, why: 'origin' }, 'from another origin of this machine')
  t.same(ws({ origin: 'null' }), { ok: false, why: 'origin' }, 'from a sandboxed frame or a file')
  t.same(auth.upgrade(req('/ws/lab/x', { host: '127.0.0.1:4300', origin: 'http://127.0.0.1:4300' })), { ok: false, why: 'token' }, 'without the cookie')
})

t.test('--host beyond this machine is warned about', async (t) => {
  t.equal(exposureWarning('127.0.0.1'), undefined)
  t.equal(exposureWarning('127.0.0.2'), undefined, 'loopback is this machine')
  t.equal(exposureWarning('::1'), undefined)
  t.match(exposureWarning('0.0.0.0'), /every address of this machine: every shell of every lab is reachable from the network by anyone with the token/)
  t.match(exposureWarning('192.0.2.7'), /192\.0\.2\.7: every shell/)
})

t.test('a running nslab serve: 403 without the token, the Host or the Origin', async (t) => {
  requireBuild()
  const served = await startServe([TINY])
  t.teardown(async () => {
    await served.stop()
    served.learner.cleanup()
  })
  const { port, token } = served
  t.match(served.url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[0-9a-f]{64}$`), 'one address, on 127.0.0.1, with the token')
  t.notMatch(served.stderr(), /warning/, 'no warning on 127.0.0.1')

  for (const path of ['/', '/lab/tiny', '/assets/page.js', '/nothing-here']) {
    const a = await get(port, path)
    t.equal(a.status, 403, `${path} without the token: 403`)
    t.equal(a.body, '403 Forbidden\n', 'and nothing else')
  }
  t.equal((await get(port, '/?token=0123')).status, 403, 'a wrong token: 403')
  t.equal((await get(port, `/?token=${token.slice(0, -1)}`)).status, 403, 'the token but its last digit: 403')

  const first = await get(port, `/?token=${token}`)
  t.equal(first.status, 303, 'the token: a redirect…')
  t.equal(first.headers.location, '/', '…to the page without the token')
  const setCookie = String(first.headers['set-cookie'])
  t.match(setCookie, /HttpOnly/, 'an HttpOnly cookie')
  t.match(setCookie, /SameSite=Strict/, 'not sent by other sites')
  const cookie = setCookie.split(';')[0]!

  const list = await get(port, '/', { cookie })
  t.equal(list.status, 200, 'the cookie opens the page')
  t.match(list.body, /Tiny learner lab/)
  const csp = String(list.headers['content-security-policy'])
  t.match(csp, /default-src 'none'/, 'a Content-Security-Policy: nothing by default')
  t.match(csp, /script-src 'self'(;|$)/, "only nslab's own script")
  t.match(csp, /style-src-elem 'self' 'nonce-/, 'only its own styles')
  t.match(csp, /connect-src 'self'/, 'and connections only to this server')
  t.equal(list.headers['x-content-type-options'], 'nosniff')

  t.equal((await get(port, '/', { cookie, host: `nslab.attacker.example:${port}` })).status, 403, 'a Host that is not this server: 403 (DNS rebinding)')
  t.equal((await get(port, '/', { cookie, host: `localhost:${port}` })).status, 200, 'localhost is this server')

  const origin = `http://127.0.0.1:${port}`
  for (const path of ['/ws/lab/tiny', '/ws/term/tiny/host']) {
    t.equal(await upgrade(port, path, { cookie }), 403, `${path} without an Origin: 403`)
    t.equal(await upgrade(port, path, { cookie, origin: 'http://attacker.example' }), 403, `${path} from another site: 403`)
    t.equal(await upgrade(port, path, { origin }), 403, `${path} without the cookie: 403`)
    t.equal(await upgrade(port, path, { cookie, origin, host: `nslab.attacker.example:${port}` }), 403, `${path} with another Host: 403`)
    t.equal(await upgrade(port, path, { cookie, origin }), 101, `${path} from the page itself: upgraded`)
  }
})

t.test('on another loopback address, the Host check follows it', async (t) => {
  requireBuild()
  const served = await startServe([TINY, '--host', '127.0.0.2'])
  t.teardown(async () => {
    await served.stop()
    served.learner.cleanup()
  })
  t.match(served.url, /^http:\/\/127\.0\.0\.2:\d+\/\?token=/, 'the address it listens on')
  t.notMatch(served.stderr(), /warning/, 'loopback: no warning')
  const a = await new Promise<number>((resolve, reject) => {
    const r = request({ host: '127.0.0.2', port: served.port, path: `/?token=${served.token}`, headers: { host: `127.0.0.2:${served.port}` } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    r.on('error', reject)
    r.end()
  })
  t.equal(a, 303, 'the token works there')
})
