// A terminal of the page on a real lab host: a shell in a pty on one machine,
// its prompts seen (and the status of each command), a paste of several lines
// run as one command line, Ctrl-C, the size, a page that attaches later
// getting the screen, output that waits for a slow page, a shell that ends
// and starts again, and close() ending it all.
import t from 'tap'
import { createSandbox } from '../../runner/host/sandbox.js'
import { sandboxEnv } from '../../runner/host/sandbox.js'
import type { Topology } from '../../runner/lab/lab.js'
import { startMachineTerminal, type MachineTerminal, type TerminalClient } from '../../runner/serve/machine-terminal.js'
import { terminalRc, TERMINAL_RC } from '../../runner/serve/terminal-rc.js'
import { plainText } from '../../runner/util/plain-text.js'
import { sandboxProcesses, stillRunning } from '../helpers/namespace-traces.js'
import { until } from '../helpers/learner-cli.js'

const TOPOLOGY: Topology = {
  docker: true,
  bridge: { name: 'docker0', address: '172.17.0.1', prefix: 16, subnet: '172.17.0.0/16' },
  containers: [{ name: 'box1', ip: '172.17.0.2', publish: [], line: 1 }],
  internet: false,
}
const T = 20_000

function client(): TerminalClient & { text: () => string; slow: boolean; closedWith?: number } {
  let out = ''
  const c = {
    slow: false,
    closedWith: undefined as number | undefined,
    send: (d: string) => void (out += d),
    backlog: () => (c.slow ? 8 * 1024 * 1024 : 0),
    close: (code: number) => void (c.closedWith = code),
    text: () => plainText(out),
  }
  return c
}

t.test('a shell on a machine of a lab host, in a pty', async (t) => {
  const sandbox = await createSandbox({ topology: TOPOLOGY, name: 'term-test' })
  t.teardown(() => sandbox.stop())
  await sandbox.exec({ machine: 'host', script: `cat > ${TERMINAL_RC}`, input: terminalRc('term-test', TOPOLOGY) })
  const open = (machine: string): MachineTerminal =>
    startMachineTerminal({ machine, argv: sandbox.enterArgv(machine, ['bash', '--rcfile', TERMINAL_RC, '-i']), env: sandboxEnv(machine, undefined, { TERM: 'xterm-256color' }), cols: 80, rows: 24 })

  const term = open('host')
  const page = client()
  term.attach(page)
  t.ok(await term.whenAtPrompt(T), 'a prompt')
  await until('the prompt on the page', () => /\[term-test \?\] root@term-test:~# $/.test(page.text()), T)

  let ended = term.nextPrompt(T)
  term.type('echo one\ncat <<EOF\nheredoc line\nEOF\nfalse')
  let e = await ended
  t.equal(e?.status, 1, 'several lines typed as one paste: one command line, the status of its last command')
  t.match(page.text(), /^one\nheredoc line$/m, 'each of its lines ran, a here-document too')

  ended = term.nextPrompt(T)
  term.input('sleep 30\r')
  await until('sleep to start', () => !term.atPrompt(), T)
  t.notOk(term.atPrompt(), 'a command runs: not at the prompt')
  await new Promise((r) => setTimeout(r, 300))
  term.input('\x03')
  e = await ended
  t.equal(e?.status, 130, 'Ctrl-C interrupts it (status 130)')
  t.ok(term.atPrompt(), 'back at the prompt')

  term.resize(100, 30)
  ended = term.nextPrompt(T)
  term.type('echo "size: $(stty size)"; test -t 0 && echo "stdin is a terminal"')
  await ended
  t.match(page.text(), /^size: 30 100$/m, 'the size the page gave')
  t.match(page.text(), /^stdin is a terminal$/m)

  const later = client()
  term.attach(later)
  t.match(later.text(), /heredoc line[\s\S]*size: 30 100/, 'a page that attaches later gets what the screen had')

  // A page that cannot keep up makes the shell's output wait, instead of the server's memory growing.
  page.slow = true
  later.slow = true
  ended = term.nextPrompt(1500)
  term.type('seq 1 400000; echo "seq done"')
  t.equal(await ended, undefined, 'while the page is behind, the command waits on its output')
  page.slow = false
  later.slow = false
  t.ok(await term.nextPrompt(T), 'once it has caught up, the command ends')
  await until('the end of the output', () => /^seq done$/m.test(later.text()), T)

  // A shell that ends starts again on the next key.
  term.input('exit\r')
  await until('the shell to end', () => /the shell on host ended; press Enter for a new one/.test(page.text()), T)
  term.input('\r')
  t.ok(await term.whenAtPrompt(T), 'a new shell, with its prompt')

  const box1 = open('box1')
  const b = client()
  box1.attach(b)
  await box1.whenAtPrompt(T)
  ended = box1.nextPrompt(T)
  box1.type('ip -4 -o addr show dev eth0 | grep -o "inet [0-9./]*"; echo "on $NSLAB_MACHINE"')
  await ended
  t.match(b.text(), /^inet 172\.17\.0\.2\/16\non box1$/m, 'the box1 terminal is on box1')

  const before = sandboxProcesses(sandbox.pid)
  ended = term.nextPrompt(T)
  term.type('sleep 1000 &')
  await ended
  const shells = sandboxProcesses(sandbox.pid).filter((p) => !before.some((x) => x.pid === p.pid))
  await Promise.all([term.close(4002, 'bye'), box1.close(4002, 'bye')])
  t.equal(page.closedWith, 4002, 'the pages are told')
  await until('the shells and their jobs to end', () => stillRunning(shells).length === 0, T)
  t.pass('closed: the shells are gone, with what they ran')
})
