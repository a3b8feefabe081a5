// Controls and bidi formatting as visible escapes, for every report (issue 12).
import t from 'tap'
import { safeJson, safeLine, safeTerminal, safeText } from '../../runner/util/safe-text.js'
import { BIDI } from '../fixtures/sneaky-run.js'

t.test('safeText: controls but tab and newline, C1, bidi formatting and lone surrogates as escapes', async (t) => {
  t.equal(safeText('a\x1b[31mred\x07\x00\r\x7f\x9b'), 'a\\x1b[31mred\\x07\\x00\\x0d\\x7f\\x9b')
  t.equal(safeText(BIDI + '\u061c'), '\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u061c')
  t.equal(safeText('tab\tand\nnewline stay'), 'tab\tand\nnewline stay')
  t.equal(safeText('lone \ud800 and \udc00, a pair 😀 stays'), 'lone \\ud800 and \\udc00, a pair 😀 stays')
  t.equal(safeText('ünïcödé, 中文, עברית stay'), 'ünïcödé, 中文, עברית stay', 'letters of any script are left alone')
  t.equal(safeText(safeText('\x1b\u202e')), safeText('\x1b\u202e'), 'escaping twice is escaping once')
})

t.test('safeLine: also tab and newline, for names and cells', async (t) => {
  t.equal(safeLine('alice\nbob\tcarol\u202e'), 'alice\\x0abob\\x09carol\\u202e')
})

t.test('safeJson: the same data to a parser, no bidi or C1 in the text', async (t) => {
  const data = { name: `eve${BIDI}\x9b\x7f\x1b`, list: ['\u202e', 'plain'] }
  const text = safeJson(JSON.stringify(data, null, 2))
  t.notMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/, 'nothing in the text acts on a reader')
  t.match(text, '"\\u202e"')
  t.same(JSON.parse(text), data)
})

t.test('safeTerminal: our colors pass, any other escape is shown', async (t) => {
  t.equal(safeTerminal('\x1b[32m✓\x1b[39m \x1b[1;31mbold red\x1b[0m'), '\x1b[32m✓\x1b[39m \x1b[1;31mbold red\x1b[0m')
  t.equal(safeTerminal('\x1b]0;title\x07 \x1b[2J \x1b[1A \x1b'), '\\x1b]0;title\\x07 \\x1b[2J \\x1b[1A \\x1b')
  t.equal(safeTerminal('\x1b[31m\u202eevil\x1b[0m'), '\x1b[31m\\u202eevil\x1b[0m')
})
