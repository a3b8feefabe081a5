// What a check client asks the session agent, as check-client.pl writes it
// (the bytes below are one it wrote, captured), and the frames of the answer.
import t from 'tap'
import { agentFrame, parseAgentRequest } from '../../runner/cli/agent-request.js'

// `nslab check a -v --verbose` in a terminal 120 columns wide (script(1), stty cols 120), run by
// `env -i PATH=/usr/bin:/bin NSLAB_STATE_DIR=… NO_COLOR= OPT=a=b TERM=xterm-256color`.
const CAPTURED = Buffer.from(
  'nslab-agent/1\x00c4b088a9915bafbd\x001\x00120\x004\x00check\x00a\x00-v\x00--verbose\x00NO_COLOR=\x00NSLAB_STATE_DIR=/tmp/pb/cap\x00OPT=a=b\x00PATH=/usr/bin:/bin\x00PWD=/tmp/pb\x00TERM=xterm-256color\x00\x00',
)

t.test('a whole request', async (t) => {
  t.same(parseAgentRequest(CAPTURED), {
    kind: 'command',
    build: 'c4b088a9915bafbd',
    isTTY: true,
    columns: 120,
    args: ['check', 'a', '-v', '--verbose'],
    env: { NO_COLOR: '', NSLAB_STATE_DIR: '/tmp/pb/cap', OPT: 'a=b', PATH: '/usr/bin:/bin', PWD: '/tmp/pb', TERM: 'xterm-256color' },
  })
})

t.test('not whole yet: undefined, until the empty field that ends it', async (t) => {
  for (let n = 0; n < CAPTURED.length - 1; n++) t.equal(parseAgentRequest(CAPTURED.subarray(0, n)), undefined, `${n} bytes`)
})

t.test('no terminal, no width, no environment', async (t) => {
  const r = parseAgentRequest(Buffer.from('nslab-agent/1\x00b\x000\x000\x001\x00check\x00\x00'))
  t.same(r, { kind: 'command', build: 'b', isTTY: false, columns: undefined, args: ['check'], env: {} })
})

t.test('stop, and what is no request', async (t) => {
  t.same(parseAgentRequest(Buffer.from('stop\x00\x00')), { kind: 'stop' })
  t.same(parseAgentRequest(Buffer.from('nslab-agent/2\x00b\x000\x000\x001\x00check\x00\x00')), { kind: 'other' }, 'another protocol')
  t.same(parseAgentRequest(Buffer.from('nslab-agent/1\x00b\x000\x000\x003\x00check\x00\x00')), { kind: 'other' }, 'fewer arguments than it said')
  t.same(parseAgentRequest(Buffer.alloc(300 * 1024, 'a')), { kind: 'other' }, 'too long without an end')
})

t.test('frames', async (t) => {
  t.equal(agentFrame('o', 'é\n').toString('utf8'), 'o 3\né\n', 'the length in bytes')
  t.equal(agentFrame('e', '').toString(), 'e 0\n')
  t.equal(agentFrame('x', 1).toString(), 'x 1\n')
  t.equal(agentFrame('n').toString(), 'n\n')
})
