// Output blocks against what commands print, progress meters and all.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { matchOutput, withoutProgress } from '../../runner/run/match-output.js'

const curl = JSON.parse(readFileSync(new URL('../fixtures/progress/curl-progress.json', import.meta.url), 'utf8')) as { output: string; stderr: string }
const page = ['<html>', '<body>', '<h1>Hello</h1>', '</body>', '</html>']

t.test("curl's progress meter (captured: curl without -s) does not break a block of the page's lines", async (t) => {
  t.match(curl.stderr, /% Total/, 'the fixture has the meter')
  t.same(matchOutput(page, curl.output), { ok: true })
  t.same(matchOutput(['<body>', '<h1>Hello</h1>'], curl.output), { ok: true }, 'lines in the middle, still directly one after another')
  t.same(withoutProgress(curl.output.split('\n')), [...page, ''], 'heading, meter rows and the -# bar are gone')
})

t.test('a block that shows the meter as a tutorial printed it matches too', async (t) => {
  const shownByTutorial = [
    '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current',
    '                                 Dload  Upload   Total   Spent    Left  Speed',
    '100   612  100   612    0     0   597k      0 --:--:-- --:--:-- --:--:--  597k',
    ...page,
  ]
  t.same(matchOutput(shownByTutorial, curl.output), { ok: true })
})

t.test("the page's first line written right after a meter row, on its line", async (t) => {
  const glued =
    '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n' +
    '\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0<html>\n<body>\n<h1>Hello</h1>\n</body>\n</html>\r100    45  100    45    0     0   8861      0 --:--:-- --:--:-- --:--:--  9350\n'
  t.same(withoutProgress(glued.split('\n')), [...page, ''])
  t.same(matchOutput(page, glued), { ok: true })
})

t.test('a line rewritten with carriage returns counts as its last text', async (t) => {
  t.same(matchOutput(['done'], 'working 1\rworking 2\rdone\n'), { ok: true })
  t.same(matchOutput(['working 2'], 'working 1\rworking 2\rdone\n'), { ok: false, message: 'expected line 1 "working 2" was not found in the output' })
  t.same(matchOutput(['a', 'b'], 'a\r\nb\r\n'), { ok: true }, 'CRLF line ends are line ends')
})

t.test('numbers that only look like a meter stay', async (t) => {
  const row = '1 2 3 4 5 6 7 8 9 10 11 12'
  t.same(withoutProgress([row]), [row])
  t.same(withoutProgress(['######## 100.0%']), [], "curl -#'s last state")
  t.same(withoutProgress(['100%']), ['100%'])
  t.same(withoutProgress(['loss 100%']), ['loss 100%'])
})
