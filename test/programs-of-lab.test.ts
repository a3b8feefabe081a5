import t from 'tap'
import { parseLab } from '../runner/parse-lab.js'
import { programsOfLab } from '../runner/programs-of-lab.js'

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
