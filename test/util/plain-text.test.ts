import t from 'tap'
import { oneLine, plainText } from '../../runner/util/plain-text.js'
import { truncateOutput } from '../../runner/util/truncate-output.js'

t.test('plainText keeps what a terminal would show', async (t) => {
  t.equal(plainText('\x1b[1;31merror\x1b[0m: x'), 'error: x', 'colors')
  t.equal(plainText('\x1b]0;title\x07text'), 'text', 'a window title')
  t.equal(plainText('a\r\nb\r\n'), 'a\nb\n', 'CRLF')
  t.equal(plainText('10%\r50%\r100%\n'), '100%\n', 'a progress line shows its last state')
  t.equal(plainText('abcdef\rXY'), 'XYcdef', 'a shorter overwrite leaves the rest')
  t.equal(plainText('a\x00b\x07c\x7fd\x9be'), 'abcde', 'controls go')
  t.equal(plainText('tab\there\nnext'), 'tab\there\nnext', 'tab and newline stay')
  t.equal(plainText('x\ud800y\udc00z\ufffe'), 'xyz', 'lone surrogates and non-characters go')
  t.equal(plainText('emoji 😀 é'), 'emoji 😀 é', 'pairs and letters stay')
})

t.test('oneLine', async (t) => {
  t.equal(oneLine('  a\n  b\tc  '), 'a b c')
})

t.test('truncateOutput keeps the start and more of the end', async (t) => {
  t.same(truncateOutput('short', 10), { text: 'short', truncated: false })
  const r = truncateOutput(`${'a'.repeat(100)}${'z'.repeat(100)}`, 40)
  t.equal(r.truncated, true)
  t.equal(r.text, `${'a'.repeat(10)}\n… [160 characters cut] …\n${'z'.repeat(30)}`)
})
