import t from 'tap'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { commandWords, programsOfLab } from '../../runner/run/programs-of-lab.js'

const lab = (body: string) => {
  const r = parseLab(`---\ntitle: x\ntopology:\n  docker: true\n  containers:\n    web:\n      command: "exec busybox httpd -f -p 80"\n---\n\n${body}\n`, 'x.md')
  if (!r.lab) throw new Error(JSON.stringify(r.problems))
  return r.lab
}

t.test('programs named as commands, in container commands and by checks', async (t) => {
  const l = lab(
    [
      '```sh step\nip netns exec web curl -s http://172.17.0.2/ | grep -q hi && nginx -t\n```',
      '```check\nping host web\nrule nat POSTROUTING -j MASQUERADE\n```',
      "```sh\ntmux new -d   # shown only, never run\n```",
    ].join('\n\n'),
  )
  t.same(programsOfLab(l), ['busybox', 'curl', 'ip', 'iptables', 'iptables-save', 'nginx', 'ping'])
})

t.test('words that are not commands do not count', async (t) => {
  const l = lab('```sh step\necho "use ping and nginx later" > /tmp/curl\n```')
  t.same(programsOfLab(l), ['busybox'])
})

t.test('the command words are those the regex it replaces found, in time linear in the line', async (t) => {
  // The regex this scan replaces: right, but it looked back over a whole run of non-blanks from each
  // position of it (100 KB of / took 35 s; a 10 MB base64 line, hours).
  const OLD = /(?<=^|[;&|({]|\bexec|\bthen|\bdo|\bnohup|\bnetns exec \S+)\s*([a-z][a-z0-9-]*)/gm
  const pieces = ['a', 'ip', 'netns', 'exec', 'then', 'do', 'nohup', 'x1', 'netns exec ', 'xexec', 'ping', ' ', '  ', '\t', '\n', '\r', ';', '&', '|', '(', '{', '-', 'A', '_', '/', '\u00a0', '\u2028', 'é']
  let seed = 7
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const differ: string[] = []
  for (let i = 0; i < 20_000 && differ.length < 5; i++) {
    let s = ''
    for (let k = Math.floor(rand() * 14); k >= 0; k--) s += pieces[Math.floor(rand() * pieces.length)]
    const want = [...s.matchAll(OLD)].map((m) => m[1])
    if (JSON.stringify(commandWords(s)) !== JSON.stringify(want)) differ.push(JSON.stringify(s))
  }
  t.same(differ, [], 'the same words on 20000 random scripts')
  const started = performance.now()
  t.same(commandWords(`ip netns exec box1 ${'/'.repeat(5_000_000)} ; ping -c1 x`), ['ip', 'box1', 'ping'])
  t.ok(performance.now() - started < 10_000, `5 MB of / in ${Math.round(performance.now() - started)} ms`)
})

t.test('conntrack, typed in a step or run by a check, is a program a lab needs', async (t) => {
  t.same(programsOfLab(lab('```check\nconntrack host tcp dport=80\n```')), ['busybox', 'conntrack'])
  t.same(programsOfLab(lab('```sh step\nconntrack -F\n```')), ['busybox', 'conntrack'])
})
