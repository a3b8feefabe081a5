import t from 'tap'
import { describeBlock } from '../../runner/lab/describe-block.js'
import { checkBlock, outputBlock, script, shown } from '../fixtures/sample-run.js'

t.test('scripts: role, first line, where and how many more lines', async (t) => {
  t.equal(describeBlock(script(3, 'ip netns exec box1 ping -c 3 203.0.113.10\n')), 'step: ip netns exec box1 ping -c 3 203.0.113.10')
  t.equal(describeBlock(script(3, '\n  iptables -t nat -F  \n', { role: 'setup' })), 'setup: iptables -t nat -F', 'blank lines and spaces trimmed')
  t.equal(describeBlock(script(3, 'ip link\nip addr\n\nip route', { on: 'box1' })), 'step (on box1): ip link (+2 lines)')
  t.equal(describeBlock(script(3, 'a\nb')), 'step: a (+1 line)')
  t.equal(describeBlock(script(3, 'nginx -g "daemon off;"', { background: true, on: 'box1' })), 'step (on box1, background): nginx -g "daemon off;"')
  t.equal(describeBlock(script(3, 'iptables -A X', { role: 'solution' })), 'solution: iptables -A X')
  t.equal(describeBlock(script(3, '')), 'step: (empty)')
})

t.test('long labels are cut with … to the length asked', async (t) => {
  const long = script(3, `echo ${'x'.repeat(100)}\necho 2`)
  const label = describeBlock(long)
  t.equal([...label].length, 60)
  t.match(label, /^step: echo x+… \(\+1 line\)$/)
  t.equal([...describeBlock(long, { maxLength: 30 })].length, 30)
  t.equal(describeBlock(script(3, 'echo\ttab\x1b[31mred'), { maxLength: 80 }), 'step: echo tabred', 'control characters go')
})

t.test('checks: the first line and how many more; output; shown', async (t) => {
  t.equal(describeBlock(checkBlock(9, ['ping box1 internet', 'rule nat POSTROUTING -j MASQUERADE'])), 'check: ping box1 internet (+1)')
  t.equal(describeBlock(checkBlock(9, ['no ping box1 internet'])), 'check: no ping box1 internet')
  t.equal(describeBlock(checkBlock(9, [])), 'check: (no checks)')
  t.equal(describeBlock(outputBlock(9, ['a'])), 'output')
  t.equal(describeBlock(shown(9, 'ls')), 'shown')
})
