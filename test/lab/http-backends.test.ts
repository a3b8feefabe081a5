// `http FROM URL backends="…" [count=N]` as lint reads it: the words, the default count, and every
// mistake said at its line.
import t from 'tap'
import { readFileSync } from 'node:fs'
import type { CheckBlock } from '../../runner/lab/lab.js'
import { backendsNamed, httpBackendsOf, MAX_HTTP_BACKENDS, MAX_HTTP_REQUESTS } from '../../runner/lab/http-backends.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { parseLab } from '../../runner/lab/parse-lab.js'

const ok = (line: string) => {
  const r = parseCheck(line, 7)
  if (!r.check) throw new Error(`${line}: ${r.problem}`)
  return r
}
const bad = (line: string) => parseCheck(line, 7).problem

t.test('written right', async (t) => {
  const r = ok('http client http://10.96.0.10/ count=30 backends="web-a web-b web-c"')
  t.same(r.check!.options, { count: '30', backends: 'web-a web-b web-c' })
  t.same(r.machineArgs, [0], 'FROM is a machine; the backends are words of the pages, not machines')
  t.same(httpBackendsOf(r.check!.options), { words: ['web-a', 'web-b', 'web-c'], count: 30 })
  t.same(ok("http client http://web/ backends='10.244.1.2   10.244.1.3' status=200 contains=ok").check!.options, {
    backends: '10.244.1.2   10.244.1.3',
    status: '200',
    contains: 'ok',
  })
  t.same(httpBackendsOf({ backends: ' a\tb ' })?.words, ['a', 'b'], 'any run of spaces separates')
  t.equal(httpBackendsOf({}), undefined, 'a plain http check has no series')
})

t.test('the default count: 10 per backend, at least 20, at most 200', async (t) => {
  t.equal(httpBackendsOf({ backends: 'web-a' })!.count, 20)
  t.equal(httpBackendsOf({ backends: 'web-a web-b' })!.count, 20)
  t.equal(httpBackendsOf({ backends: 'web-a web-b web-c' })!.count, 30)
  const most = Array.from({ length: MAX_HTTP_BACKENDS }, (_, i) => `b${i}`).join(' ')
  t.equal(httpBackendsOf({ backends: most })!.count, MAX_HTTP_REQUESTS)
  t.equal(httpBackendsOf({ backends: 'a b c', count: '3' })!.count, 3, 'count= says')
})

t.test('what lint says', async (t) => {
  t.equal(bad('http client http://10.96.0.10/ backend="web-a web-b"'), 'unknown option "backend=" for http (did you mean "backends"?)')
  t.equal(bad('http client http://10.96.0.10/ backends="a b" cuont=30'), 'unknown option "cuont=" for http (did you mean "count"?)')
  t.equal(bad('http client http://10.96.0.10/ backends='), 'backends= needs a value')
  t.equal(bad('http client http://10.96.0.10/ backends="   "'), 'backends= needs the words the backends answer with, e.g. backends="web-a web-b web-c"')
  t.equal(bad('http client http://10.96.0.10/ backends="web-a web-b web-a"'), 'backends= lists "web-a" twice')
  t.equal(
    bad('http client http://10.96.0.10/ backends="web web.1"'),
    'backends= lists "web", which is part of "web.1": an answer naming web.1 would name both; each answer must name exactly one backend',
  )
  ok('http client http://10.96.0.10/ backends="web web-1"') // web-1 does not name web: - continues a name
  t.equal(bad(`http client http://10.96.0.10/ backends="${Array.from({ length: 21 }, (_, i) => `b${i}`).join(' ')}"`), 'backends= lists 21 backends: at most 20')
  for (const count of ['0', '201', 'ten', '-1', '1.5', '00000']) {
    t.equal(bad(`http client http://10.96.0.10/ backends="web-a web-b" count=${count}`), `bad count="${count}": write how many requests to send, 1 to 200, e.g. count=30`)
  }
  ok('http client http://10.96.0.10/ backends="web-a web-b" count=200')
  ok('http client http://10.96.0.10/ backends="web-a web-b" count=2')
  t.equal(bad('http client http://10.96.0.10/ backends="web-a web-b web-c" count=2'), 'count=2 is fewer requests than the 3 backends listed: every backend must answer at least once')
  t.equal(
    bad('http client http://10.96.0.10/ count=30'),
    'count= is the number of requests spread over backends=: add the backends, e.g. http client http://10.96.0.10/ count=30 backends="web-a web-b"',
  )
  t.equal(
    bad('http client http://10.96.0.10/ backends="web-a web-b" within=20s'),
    'within= does not go with backends=: the requests are judged once, on who answered them; to wait for the service first, put a plain http check before this one',
  )
  t.equal(
    bad('no http client http://10.96.0.10/ backends="web-a web-b"'),
    'no http … backends= would pass when the address does not answer at all: write the backends that must answer (an answer from any other fails the check), e.g. http client http://10.96.0.10/ backends="web-a web-b"',
  )
  // The plain check is as before.
  ok('no http client http://10.96.0.10/ within=1s')
  ok('http client http://10.96.0.10/ contains="web-a" within=5s')
})

t.test('a lab says it at the line of the check', async (t) => {
  const text = ['---', 'title: t', 'topology:', '  docker: true', '  containers:', '    client:', '      ip: 172.17.0.2', '---', '', '```check', 'http client http://10.96.0.10/ backends="web-a" count=999', '```', ''].join('\n')
  const r = parseLab(text, 'lab.md')
  t.same(r.problems, [{ file: 'lab.md', line: 11, message: 'bad count="999": write how many requests to send, 1 to 200, e.g. count=30' }])
})

t.test('which backends a page names: whole names only', async (t) => {
  t.same(backendsNamed('web-a\n', ['web-a', 'web-b']), ['web-a'])
  t.same(backendsNamed('<h1>Hello from web-b.</h1>', ['web-a', 'web-b']), ['web-b'], 'markup and a full stop end a name')
  t.same(backendsNamed('web-ab web-a2 xweb-a web_a', ['web-a']), [], 'a letter, digit, - or _ continues it')
  t.same(backendsNamed('10.244.1.21', ['10.244.1.2']), [], 'an address is not the start of a longer one')
  t.same(backendsNamed('from 10.244.1.2:8080', ['10.244.1.2']), ['10.244.1.2'])
  t.same(backendsNamed('web-ab then web-a', ['web-a']), ['web-a'], 'a later whole occurrence counts')
  t.same(backendsNamed('web-a and web-b', ['web-a', 'web-b']), ['web-a', 'web-b'])
  t.same(backendsNamed('', ['web-a']), [])
})

t.test('the examples of docs/lab-format.md are valid checks', async (t) => {
  const doc = readFileSync(new URL('../../docs/lab-format.md', import.meta.url), 'utf8')
  const block = /### Load-balanced addresses\n[\s\S]*?```check\n([\s\S]*?)```/.exec(doc)![1]!
  const text = `---\ntitle: x\ntopology:\n  docker: true\n  containers: [client]\n  internet: true\n---\n\`\`\`check\n${block}\`\`\`\n`
  const r = parseLab(text, 'doc.md')
  t.same(r.problems, [])
  const checks = (r.lab!.blocks[0] as CheckBlock).checks
  t.same(checks.map((c) => httpBackendsOf(c.options)?.words.length), [3, 2])
})
