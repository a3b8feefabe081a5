// plainWords: which of nslab's own look commands may run without a shell.
import t from 'tap'
import { plainWords } from '../../runner/util/plain-words.js'

t.test('one command of plain words: its words', async (t) => {
  t.same(plainWords('ping -c 1 -W 1 172.17.0.3'), ['ping', '-c', '1', '-W', '1', '172.17.0.3'])
  t.same(plainWords('ip -j route show'), ['ip', '-j', 'route', 'show'])
  t.same(plainWords('sysctl -n net.ipv4.ip_forward'), ['sysctl', '-n', 'net.ipv4.ip_forward'])
  t.same(plainWords('/usr/sbin/iptables-save -t nat'), ['/usr/sbin/iptables-save', '-t', 'nat'])
})

t.test('anything a shell must read keeps its shell', async (t) => {
  for (const s of [
    'ip -j route show | head',
    'ping -c 1 203.0.113.10; echo',
    "ping -c 1 'a b'",
    'ping -c 1 $HOST',
    'ls *',
    'echo hi',
    'exec ip route',
    'X=1 ip route',
    'ip  route',
    'ip route\nip addr',
    ' ip route',
    'ip route > /tmp/x',
    'ip route &',
    '~/bin/x',
    '',
  ]) {
    t.equal(plainWords(s), undefined, JSON.stringify(s))
  }
})
