// Judging who answered an `http … backends=` check's requests, on series captured on a real lab
// host (test/fixtures/checks/capture-curl-series.mjs).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseCurlSeries } from '../../checks/parse-curl-series.js'
import { tallyBackends, type BackendsWanted } from '../../checks/tally-backends.js'

const requests = (name: string) =>
  parseCurlSeries((JSON.parse(readFileSync(new URL(`../fixtures/checks/${name}.json`, import.meta.url), 'utf8')) as { stdout: string }).stdout).requests
const want = (words: string, more: Partial<BackendsWanted> = {}): BackendsWanted => ({ words: words.split(' '), count: 6, status: '2xx', requestText: '2 s', ...more })

t.test('every backend answered, and nothing else did', async (t) => {
  t.same(tallyBackends(requests('curl-series-three'), want('web-a web-b web-c')), { holds: true, tally: 'web-a 2, web-b 2, web-c 2 of 6 requests', problems: [] })
  t.same(tallyBackends(requests('curl-series-three'), want('web-c web-a web-b', { status: '200', contains: 'web' })).tally, 'web-c 2, web-a 2, web-b 2 of 6 requests', 'in the order listed')
})

t.test('a backend that never answered is named', async (t) => {
  const r = tallyBackends(requests('curl-series-three'), want('web-a web-b web-c web-d', { count: 6 }))
  t.same(r, { holds: false, tally: 'web-a 2, web-b 2, web-c 2, web-d 0 of 6 requests', problems: ['web-d never answered'] })
})

t.test('an answer from none of them fails, quoted', async (t) => {
  const r = tallyBackends(requests('curl-series-three'), want('web-a web-b'))
  t.equal(r.holds, false)
  t.equal(r.tally, 'web-a 2, web-b 2 of 6 requests')
  t.same(r.problems, ['2 of 6 answers were wrong, the first (request 3) got "web-c", which names none of web-a, web-b'])
  const one = tallyBackends(requests('curl-series-three').slice(0, 3), want('web-a web-b', { count: 3 }))
  t.same(one.problems, ['request 3 got "web-c", which names none of web-a, web-b'])
})

t.test('a page that names two backends fails', async (t) => {
  const rs = requests('curl-series-three')
  rs[1] = { ...rs[1]!, body: 'web-a and web-b\n' }
  t.same(tallyBackends(rs, want('web-a web-b web-c')).problems, ['request 2 got a page that names web-a and web-b: "web-a and web-b"'])
})

t.test('refused requests: how many, what curl said of the first, and who is missing', async (t) => {
  const r = tallyBackends(requests('curl-series-refused'), want('web-a web-b web-c'))
  t.equal(r.holds, false)
  t.equal(r.tally, 'web-a 2, web-b 2, web-c 0 of 6 requests')
  t.equal(r.problems.length, 2)
  t.match(r.problems[0], /^2 of 6 requests failed, the first \(request 3\) could not connect \(Failed to connect to 10\.96\.0\.11 port 80 after \d+ ms: [^)]+\)$/)
  t.equal(r.problems[1], 'web-c never answered')
  t.equal(tallyBackends(requests('curl-series-refused'), want('web-a web-b')).holds, false, 'a failed request fails it even when every backend listed answered')
})

t.test('the loop stopped at a request that timed out', async (t) => {
  const r = tallyBackends(requests('curl-series-timeout'), want('web-a web-b web-c'))
  t.equal(r.tally, 'web-a 1, web-b 1, web-c 0 of 3 requests')
  t.match(r.problems[0], /^request 3 got no response within 2 s \(Connection timed out after \d+ milliseconds\), so the other 3 were not sent$/)
  t.equal(r.problems[1], 'web-c never answered')
})

t.test('answers with the wrong status, or without the text', async (t) => {
  const r = tallyBackends(requests('curl-series-404'), want('web-a web-b web-c', { count: 3 }))
  t.same(r, { holds: false, tally: 'web-a 0, web-b 0, web-c 0 of 3 requests', problems: ['3 of 3 answers were wrong, the first (request 1) got 404, not 2xx'] }, 'no "never answered" of every backend: the wrong answers say it')
  t.ok(tallyBackends(requests('curl-series-404'), want('web-a', { count: 3, status: '404' })).problems[0]!.endsWith('which names none of web-a'), 'status=404 takes them')
  const text = tallyBackends(requests('curl-series-three'), want('web-a web-b web-c', { contains: 'Welcome' }))
  t.match(text.problems[0], /^6 of 6 answers were wrong, the first \(request 1\) got a page without "Welcome": "web-a"$/)
})

t.test('fewer requests ended than were to be sent (the loop was cut)', async (t) => {
  const r = tallyBackends(requests('curl-series-three').slice(0, 4), want('web-a web-b web-c'))
  t.same(r.problems, ['only 4 of the 6 requests ended'])
  t.same(tallyBackends([], want('web-a')).problems, ['only 0 of the 6 requests ended'])
})
