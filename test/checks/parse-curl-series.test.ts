// The output of an `http … backends=` check's loop of curls, as captured on a real lab host
// (test/fixtures/checks/capture-curl-series.mjs), read one request at a time.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseCurlSeries } from '../../checks/parse-curl-series.js'

const cap = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/checks/${name}.json`, import.meta.url), 'utf8')) as { stdout: string; stderr: string; exitCode: number; command: string }

t.test('the captures were made with the loop the check runs', async (t) => {
  for (const n of ['curl-series-three', 'curl-series-refused', 'curl-series-timeout', 'curl-series-404']) {
    const c = cap(n)
    t.match(c.command, /^exec 3>&1\ni=0\nwhile \[ "\$i" -lt \d+ \]; do\n/, n)
    t.match(c.command, /e=\$\(curl -sS -o- -w '\\n@@NSLAB-CURL@@ %\{http_code\}\\n' .* 2>&1 >&3\)/)
    t.match(c.command, /echo "@@NSLAB-END@@ \$c"/)
    t.equal(c.stderr, '', 'everything is on stdout, in order')
  }
})

t.test('six answers in turn', async (t) => {
  const s = parseCurlSeries(cap('curl-series-three').stdout)
  t.equal(s.requests.length, 6)
  t.same(s.requests.map((r) => r.body), ['web-a\n', 'web-b\n', 'web-c\n', 'web-a\n', 'web-b\n', 'web-c\n'], 'each body exactly as the pod sent it')
  t.ok(s.requests.every((r) => r.outcome === 'response' && r.status === 200 && r.curlCode === 0 && r.error === undefined))
  t.equal(s.rest, '')
})

t.test('refused requests among answers: each keeps its own curl error', async (t) => {
  const s = parseCurlSeries(cap('curl-series-refused').stdout)
  t.same(s.requests.map((r) => r.outcome), ['response', 'response', 'connect', 'response', 'response', 'connect'])
  const refused = s.requests[2]!
  t.equal(refused.status, null)
  t.equal(refused.body, '')
  t.equal(refused.curlCode, 7)
  t.match(refused.error, /^Failed to connect to 10\.96\.0\.11 port 80 after \d+ ms: /)
  t.equal(s.requests[3]!.body, 'web-a\n', 'the answer after a failure is its own')
})

t.test('a request that timed out ends the loop', async (t) => {
  const s = parseCurlSeries(cap('curl-series-timeout').stdout)
  t.equal(s.requests.length, 3, 'the other three were not sent')
  const last = s.requests[2]!
  t.equal(last.outcome, 'timeout')
  t.equal(last.curlCode, 28)
  t.match(last.error, /timed out after \d+ milliseconds/)
})

t.test('404s are answers with their status and page', async (t) => {
  const s = parseCurlSeries(cap('curl-series-404').stdout)
  t.equal(s.requests.length, 3)
  t.ok(s.requests.every((r) => r.outcome === 'response' && r.status === 404))
  t.match(s.requests[0]!.body, /404 Not Found/)
})

t.test('trimmed (as evidence keeps it), cut short, or empty', async (t) => {
  const whole = cap('curl-series-three').stdout
  t.equal(parseCurlSeries(whole.trimEnd()).requests.length, 6, 'without the last newline')
  const cut = whole.slice(0, whole.lastIndexOf('@@NSLAB-END@@'))
  const s = parseCurlSeries(cut)
  t.equal(s.requests.length, 5, 'a request without its end line did not end')
  t.match(s.rest, /^web-c\n\n@@NSLAB-CURL@@ 200\n$/)
  t.same(parseCurlSeries(''), { requests: [], rest: '' })
})

t.test('curl missing: the shell says so where the request would be', async (t) => {
  const s = parseCurlSeries('sh: 6: curl: not found\n@@NSLAB-END@@ 127\n')
  t.equal(s.requests.length, 1)
  t.equal(s.requests[0]!.curlCode, 127)
  t.equal(s.requests[0]!.status, null)
  t.equal(s.requests[0]!.error, 'sh: 6: curl: not found')
})
