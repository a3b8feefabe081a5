// The session agent: one process per user, up while any of their labs is up
// (nslab up starts it), that answers `nslab check` for the launcher's check
// client (check-client.pl). A check as a process of its own pays node's start
// (some 110 ms here), the bundle's, the lab's and a fresh forker's before its
// first check, about 150 ms in all; asked of the agent, it pays a 10-ms perl
// client and the checks. The agent judges exactly as `nslab check` does (the
// same function, with the client's stdout, width and colours), one request
// at a time, reading the session afresh for each.
//
// It listens on agent.sock in the user's folder of sessions (mode 0700, as
// ssh-agent's and tmux's): only its owner can connect. It ends when the last
// lab is down (nslab down asks it; it also looks every half second), when its
// socket is no longer its own (another agent took the place), and when a
// client of another build asks (nslab was rebuilt or upgraded: that client
// runs node, and the next nslab up or check starts an agent of its build).
import { chmodSync, rmSync, statSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { sessionNames } from '../learn/session-store.js'
import { agentFrame, parseAgentRequest, type AgentRequest } from './agent-request.js'
import { agentSocketPath, answers, launcherBuild, SOCKET_PATH_MAX } from './agent-socket.js'
import { checkCommand, CHECK_OPTIONS } from './check-command.js'
import { readCommandArgs } from './parse-command-args.js'
import { reportFatal } from './report-fatal.js'
import { NslabError } from '../util/nslab-error.js'

/** How often it looks whether a lab is still up and the socket still its own. */
const LOOK_MS = 500

/** `nslab __agent` (not in nslab --help): serve until no lab is up. Exit 0 when another agent serves already. */
export async function sessionAgentCommand(): Promise<number> {
  const build = launcherBuild(process.argv[1])
  const path = agentSocketPath()
  if (!build || Buffer.byteLength(path) > SOCKET_PATH_MAX || !anyLabUp()) return 0
  if (await answers(path)) return 0
  // A socket no agent answers on is one a killed agent left.
  rmSync(path, { force: true })
  let queue: Promise<unknown> = Promise.resolve()
  let ended = (): void => {}
  const server = createServer((socket) => {
    let bytes = Buffer.alloc(0)
    let asked = false
    const gone = new AbortController()
    socket.on('error', () => {})
    socket.on('close', () => gone.abort())
    socket.on('data', (chunk) => {
      if (asked) return
      bytes = Buffer.concat([bytes, chunk])
      const req = parseAgentRequest(bytes)
      if (!req) return
      asked = true
      // One at a time; one that broke does not stop the next.
      queue = queue.then(() => answer(req, socket, gone.signal, build, end)).catch(() => socket.destroy())
    })
  })
  const own = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      chmodSync(path, 0o600)
      resolve(statSync(path).ino)
    })
  })
  let stopped = false
  function end(): void {
    if (stopped) return
    stopped = true
    clearInterval(look)
    server.close()
    if (ownSocket(path, own)) rmSync(path, { force: true })
    ended()
  }
  const look = setInterval(() => {
    if (!ownSocket(path, own) || !anyLabUp()) end()
  }, LOOK_MS)
  await new Promise<void>((resolve) => (ended = resolve))
  await queue
  return 0
}

async function answer(req: AgentRequest, socket: Socket, signal: AbortSignal, build: string, end: () => void): Promise<void> {
  if (req.kind === 'stop') {
    end()
    socket.end(`bye ${process.pid}\n`)
    return
  }
  if (req.kind !== 'command' || req.build !== build || !served(req.args)) {
    socket.end(agentFrame('n'))
    // A client of another build: nslab was rebuilt; an agent of the new one is wanted.
    if (req.kind === 'command' && req.build !== build) end()
    return
  }
  if (signal.aborted) return
  const send = (b: Buffer): void => {
    if (!socket.destroyed) socket.write(b)
  }
  const out = { write: (text: string) => send(agentFrame('o', text)), isTTY: req.isTTY, columns: req.columns, env: req.env, signal }
  let status: number
  try {
    status = await checkCommand(req.args.slice(1), {}, out)
  } catch (e) {
    status = reportFatal(e, (text) => send(agentFrame('e', text)), req.env)
  }
  if (!socket.destroyed) socket.end(agentFrame('x', status))
}

/** What the agent answers: `check [NAME] [--verbose]`, as the client also makes sure. The rest goes to node. */
function served(args: string[]): boolean {
  if (args[0] !== 'check') return false
  try {
    const v = readCommandArgs(args.slice(1), { command: 'nslab check', usage: 'nslab check [options] -- NAME', options: CHECK_OPTIONS })
    return !v.values.help && !v.values.watch && v.positionals.length <= 1
  } catch {
    // A usage error is node's to print.
    return false
  }
}

/**
 * Whether a session is kept (its file, not read: this runs every half second); false once the folder is
 * gone. A folder nslab refuses (others can open it: a chmod, maybe for a moment) keeps the agent: its labs
 * are still up, the client does not come to it meanwhile, and a request is refused as node refuses it.
 */
function anyLabUp(): boolean {
  try {
    return sessionNames().length > 0
  } catch (e) {
    return e instanceof NslabError
  }
}

function ownSocket(path: string, ino: number): boolean {
  try {
    return statSync(path).ino === ino
  } catch {
    return false
  }
}
