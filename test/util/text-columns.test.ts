// Chinese text in a terminal: two columns a character, lines broken between
// characters (never before closing punctuation), and no space where Chinese
// Markdown breaks a line between two characters.
import t from 'tap'
import { breakUnits, columns, joinsWithoutSpace } from '../../runner/util/text-columns.js'
import { renderMarkdown } from '../../runner/report/render-markdown.js'
import { wrapText } from '../../runner/learn/format-verdict.js'

t.test('columns', async (t) => {
  t.equal(columns('box1'), 4)
  t.equal(columns('互联网'), 6)
  t.equal(columns('ping 互联网。'), 13)
  t.equal(columns(''), 0)
})

t.test('breakUnits', async (t) => {
  t.same(breakUnits('MASQUERADE'), ['MASQUERADE'], 'a word without Chinese stays whole')
  t.same(breakUnits('地址172.17.0.2是'), ['地', '址', '172.17.0.2', '是'])
  t.same(breakUnits('路由器，然后。'), ['路', '由', '器，', '然', '后。'], 'closing punctuation stays with the character before it')
  t.same(breakUnits('（也就是'), ['（也', '就', '是'], 'opening punctuation stays with the character after it')
  t.same(breakUnits('“互联网上的某处”'), ['“互', '联', '网', '上', '的', '某', '处”'])
})

t.test('joinsWithoutSpace', async (t) => {
  t.ok(joinsWithoutSpace('的', '包'))
  t.ok(joinsWithoutSpace('，', '包'))
  t.notOk(joinsWithoutSpace('e', '包'))
  t.notOk(joinsWithoutSpace('a', 'b'))
  t.notOk(joinsWithoutSpace(undefined, '包'))
})

const PARA = '实验主机是一台刚装好 Docker 的宿主机，上面只有一个容器 box1。它的上联网卡 `eth0` 地址是 198.51.100.2/24，默认网关是 198.51.100.1，也就是一台名叫 `internet` 的机器。'

t.test('a Chinese paragraph wraps to the width, by columns', async (t) => {
  for (const width of [20, 30, 41, 80]) {
    const lines = renderMarkdown(PARA, { color: false, width }).split('\n')
    for (const l of lines) t.ok(columns(l) <= width, `${width}: ${l}`)
    t.ok(lines.every((l) => !/^[，。：；）]/.test(l)), 'no line starts with closing punctuation')
    t.equal(lines.join('').replace(/ /g, ''), PARA.replace(/ /g, ''), 'nothing lost, nothing added but spaces')
    if (width < 80) t.ok(lines.length > 2, 'it did wrap')
  }
  // A soft line break between two Chinese characters is no space; beside a Latin word, it is one.
  t.equal(renderMarkdown('一台刚装好\n的宿主机，上联网卡\neth0 的地址', { color: false, width: 80 }), '一台刚装好的宿主机，上联网卡 eth0 的地址')
  t.equal(renderMarkdown('English text\nwraps as before', { color: false, width: 80 }), 'English text wraps as before')
  t.equal(renderMarkdown('English text wraps as before', { color: false, width: 20 }), 'English text wraps\nas before')
})

t.test('a Chinese hint wraps by columns', async (t) => {
  const hint = '包死在 filter 表的 FORWARD 链里，那里已经没有规则，只剩默认策略说了算。设置策略用 iptables -P。'
  const lines = wrapText(hint, 40, '    提示： ', '          ')
  for (const l of lines) t.ok(columns(l) <= 40, l)
  t.ok(lines.length > 1)
  t.equal(lines.map((l) => l.trim()).join('').replace(/ /g, ''), `提示：${hint}`.replace(/ /g, ''))
  t.same(wrapText('one two three', 9, '', ''), ['one two', 'three'], 'English as before')
})
