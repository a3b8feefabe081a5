import t from 'tap'
import { renderMarkdown } from '../../runner/report/render-markdown.js'

const plain = (md: string, width = 80) => renderMarkdown(md, { color: false, width })
const colored = (md: string, width = 80) => renderMarkdown(md, { color: true, width })
const ESC = '\x1b['

t.test('headings: bold and underlined in color, underlined with = and - without', async (t) => {
  t.equal(plain('# SNAT outbound'), 'SNAT outbound\n=============')
  t.equal(plain('## 1. box1 pings'), '1. box1 pings\n-------------')
  t.equal(plain('### Deeper'), 'Deeper')
  const h1 = colored('# SNAT outbound')
  t.match(h1, `${ESC}1m`, 'bold')
  t.match(h1, `${ESC}4m`, 'underlined')
  t.notMatch(h1, '===', 'no ASCII underline when styled')
  // The space between words of an underlined heading is underlined too.
  t.match(h1, `${ESC}4m ${ESC}24m`)
})

t.test('paragraphs wrap to the width, soft line breaks are spaces', async (t) => {
  const md = 'one two three four five six seven eight nine ten\neleven twelve thirteen'
  const lines = plain(md, 20).split('\n')
  t.ok(lines.every((l) => l.length <= 20), lines.join('|'))
  t.equal(lines.join(' '), 'one two three four five six seven eight nine ten eleven twelve thirteen')
  t.equal(plain('a  \nb'), 'a\nb', 'a hard break stays a line break')
})

t.test('a word longer than the width is not cut', async (t) => {
  t.equal(plain('x https://example.org/a/very/long/path/that/goes/on y', 20), 'x\nhttps://example.org/a/very/long/path/that/goes/on\ny')
})

t.test('inline code: highlighted in color, backticks kept without', async (t) => {
  t.equal(plain('run `ip route` now'), 'run `ip route` now')
  const c = colored('run `ip route` now')
  t.notMatch(c, '`')
  t.match(c, `${ESC}36mip${ESC}39m ${ESC}36mroute${ESC}39m`)
})

t.test('emphasis markers go; the text stays', async (t) => {
  t.equal(plain('a *b* **c** ~~d~~'), 'a b c d')
  t.match(colored('**c**'), `${ESC}1mc${ESC}22m`)
  t.match(colored('*b*'), `${ESC}3mb${ESC}23m`)
})

t.test('links as text (url); autolinks once', async (t) => {
  t.equal(plain('see [the docs](https://example.org/docs).'), 'see the docs (https://example.org/docs).')
  t.equal(plain('<https://example.org>'), 'https://example.org')
  t.equal(plain('[a section](#below)'), 'a section', 'an anchor is not a place to go in a terminal')
  t.equal(plain('![topology](img/t.png)'), '[image: topology] (img/t.png)')
})

t.test('code blocks are indented and not wrapped', async (t) => {
  const md = 'Before:\n\n```sh\niptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n```\n\nAfter.'
  t.equal(plain(md, 30), 'Before:\n\n    iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n\nAfter.')
  t.equal(plain('    -A POSTROUTING -j X'), '    -A POSTROUTING -j X', 'indented code too')
  t.match(colored('```\nip a\n```'), `    ${ESC}36mip a${ESC}39m`)
})

t.test('lists: bullets, numbers, nesting, tasks', async (t) => {
  t.equal(plain('- one\n- two `x`'), '- one\n- two `x`')
  t.equal(plain('1. first\n2. second'), '1. first\n2. second')
  t.equal(plain('3. c\n4. d'), '3. c\n4. d', 'an ordered list keeps its start')
  t.equal(plain('- a\n  - b\n  - c\n- d'), '- a\n  - b\n  - c\n- d')
  t.equal(plain('- [x] done\n- [ ] to do'), '- [x] done\n- [ ] to do')
  t.match(colored('- one'), '•')
  const wrapped = plain('- a list item long enough that it has to wrap onto a second line', 30).split('\n')
  t.same(wrapped, ['- a list item long enough that', '  it has to wrap onto a second', '  line'], 'continuation lines align with the text')
})

t.test('quotes, tables, rules, HTML', async (t) => {
  t.equal(plain('> quoted\n> text'), '> quoted text')
  t.equal(plain('| a | bb |\n|---|--:|\n| ccc | 1 |'), 'a    bb\n---  --\nccc   1')
  t.equal(plain('---'), '-'.repeat(40))
  t.equal(plain('<!-- not for readers -->\n\nText'), 'Text', 'comments are dropped')
  t.equal(plain('a <b>bold</b> word'), 'a bold word', 'inline tags are dropped, their text stays')
})

t.test('character references are decoded', async (t) => {
  t.equal(plain('SNAT &amp; DNAT &lt;x&gt; &#8594; &#x2192;'), 'SNAT & DNAT <x> → →')
})

t.test('blocks are separated by one blank line; no trailing newline', async (t) => {
  t.equal(plain('# T\n\n\n\nPara one.\n\n\nPara two.\n'), 'T\n=\n\nPara one.\n\nPara two.')
  t.equal(plain(''), '')
})

t.test('no escape sequence at all without color', async (t) => {
  const md = '# H\n\n**b** *i* `c` [l](u)\n\n- x\n\n> q\n\n```\ncode\n```\n\n| a |\n|---|\n| b |\n\n---'
  t.notMatch(plain(md), '\x1b')
})
