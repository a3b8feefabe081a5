import t from 'tap'
import { execFileSync } from 'node:child_process'
import { HEREDOC_MAX, fed, sandboxScript } from '../../runner/host/sandbox-script.js'
import type { Container, Topology } from '../../runner/lab/lab.js'

// Bash keeps a here-document past a pipe's size in a file under TMPDIR: with a
// TMPDIR that does not exist, such a script fails, so these runs prove no file is used.
// The script goes on stdin, as nslab's own do (an argument of over 128 KiB is E2BIG).
const bash = (script: string) =>
  execFileSync('bash', ['--noprofile', '--norc', '-s'], { input: script, env: { PATH: process.env.PATH ?? '', TMPDIR: '/nonexistent-nslab' }, encoding: 'utf8', maxBuffer: 8 << 20 })
const bashFed = (command: string, text: string) => bash(`set -e; ${fed(command, text)}\n`)

t.test('fed: a text of any size reaches the command whole, and never through a file', async (t) => {
  const small = 'link set lo up\n'
  t.match(fed('ip -batch -', small), /<<'NSLAB_EOF'/, 'a small text is a here-document (no process more)')
  t.equal(bashFed('cat', small), small)
  const big = `${"it's a line with 'quotes', $dollars, `backticks` and \\ backslashes\n".repeat(3000)}`
  t.ok(Buffer.byteLength(big) > 65536, 'past a pipe')
  t.notMatch(fed('cat', big), /<</, 'no here-document')
  t.equal(bashFed('cat', big), big, 'byte for byte')
  t.equal(bashFed('cat', 'NSLAB_EOF\nafter\n'), 'NSLAB_EOF\nafter\n', 'a text with the marker line in it')
  t.equal(bashFed('cat', 'no newline'), 'no newline\n', 'a last line is ended')
  t.equal(bash(`${fed('cat', big, '&')}\nwait $!\n`), big, 'in the background too')
})

t.test('the script of a lab host of 800 containers has no here-document bash would put in a file', async (t) => {
  const docker0 = { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' }
  const containers: Container[] = Array.from({ length: 800 }, (_, i) => ({ name: `container-${i}`, ip: `172.17.${2 + (i >> 8)}.${i & 255 || 1}`, publish: i < 400 ? [{ hostPort: 10000 + i, containerPort: 80, protocol: 'tcp', spec: `${10000 + i}:80` }] : [], line: 0 }) as Container)
  const topology: Topology = { docker: true, bridge: docker0, containers, internet: true }
  // (util-linux's way: each container's ip batch is a small piece; perl's builds the whole network in its one program.)
  const script = sandboxScript({ topology, persistent: false, hostname: 'big', backend: 'nft', builder: 'util-linux' })
  const perl = sandboxScript({ topology, persistent: false, hostname: 'big', backend: 'nft', builder: 'perl' })
  t.match(perl, /' \| perl -$/m, "perl's program, past a pipe's size, by printf")
  t.notMatch(perl, /perl - <</, 'not a here-document')
  t.ok(script.length > 4 * HEREDOC_MAX, `a long script (${script.length} bytes)`)
  const bodies = [...script.matchAll(/<<'(NSLAB_\w+)'[^\n]*\n([\s\S]*?)\n\1$/gm)].map((m) => Buffer.byteLength(m[2]!))
  t.ok(bodies.length > 0, 'small pieces are still here-documents')
  t.same(bodies.filter((n) => n >= HEREDOC_MAX), [], 'none as long as a pipe')
})
