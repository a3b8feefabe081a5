import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseCurl } from '../../checks/parse-curl.js'

const cap = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/checks/${name}.json`, import.meta.url), 'utf8')) as { stdout: string; stderr: string; exitCode: number; command: string }
const out = (name: string) => readFileSync(new URL(`../fixtures/outputs/${name}`, import.meta.url), 'utf8')

t.test('the captures were made with the command form the http check runs', async (t) => {
  for (const n of ['curl-ok', 'curl-404', 'curl-refused', 'curl-timeout']) t.match(cap(n).command, /^curl -sS -o- -w "\\n@@NSLAB-CURL@@ %\{http_code\}/)
})

t.test('200 with a body', async (t) => {
  const c = parseCurl(cap('curl-ok'))
  t.equal(c.outcome, 'response')
  t.equal(c.status, 200)
  t.equal(c.body, 'Welcome to nginx!\n', 'the body is exactly what the server sent')
  t.equal(c.curlCode, 0)
  t.equal(c.error, undefined)
})

t.test('404 is a response with its status', async (t) => {
  const c = parseCurl(cap('curl-404'))
  t.equal(c.outcome, 'response')
  t.equal(c.status, 404)
  t.match(c.body, /404 Not Found/)
})

t.test('refused: no status, curl says why', async (t) => {
  const c = parseCurl(cap('curl-refused'))
  t.equal(c.outcome, 'connect')
  t.equal(c.status, null, '000 is no status')
  t.equal(c.curlCode, 7)
  t.match(c.error, /^Failed to connect to 172\.17\.0\.3 port 8081/)
})

t.test('timeouts: after connecting, and while connecting', async (t) => {
  const a = parseCurl(cap('curl-timeout'))
  t.equal(a.outcome, 'timeout')
  t.equal(a.status, null)
  t.match(a.error, /Operation timed out after \d+ milliseconds with 0 bytes received/)
  const b = parseCurl(cap('curl-connect-timeout'))
  t.equal(b.outcome, 'timeout')
  t.match(b.error, /Connection timed out/)
})

t.test('a name that does not resolve (here: the resolver times out)', async (t) => {
  const c = parseCurl(cap('curl-unknown-host'))
  t.equal(c.status, null)
  t.equal(c.outcome, 'timeout')
  t.match(c.error, /Resolving timed out/)
})

t.test('curl error lines of the other capture set', async (t) => {
  const resolve = parseCurl({ stdout: '', stderr: out('curl.unknown-host.stderr'), exitCode: 6 })
  t.equal(resolve.outcome, 'resolve')
  t.match(resolve.error, /Could not resolve host: nosuchhost/)
  const noRoute = parseCurl({ stdout: '', stderr: out('curl.no-route.stderr'), exitCode: 7 })
  t.equal(noRoute.outcome, 'connect')
  const timeout = parseCurl({ stdout: '', stderr: out('curl.timeout.stderr'), exitCode: 28 })
  t.equal(timeout.outcome, 'timeout')
})

t.test('a body that itself contains the marker text keeps it: the last marker wins', async (t) => {
  const c = parseCurl({ stdout: 'a\n@@NSLAB-CURL@@ 500\nb\n@@NSLAB-CURL@@ 201\n', stderr: '', exitCode: 0 })
  t.equal(c.status, 201)
  t.equal(c.body, 'a\n@@NSLAB-CURL@@ 500\nb')
})

t.test('curl killed before it printed anything', async (t) => {
  const c = parseCurl({ stdout: '', stderr: '', exitCode: null })
  t.equal(c.status, null)
  t.equal(c.outcome, 'error')
})
