// A container of a docker-engine lab host, as a machine a check looks at:
// its network namespace is the one the lab's dockerd says it is now (docker
// inspect's State.Pid), so a container the lab restarted is looked at anew.
// Everything on the way is reached from outside without following a link the
// lab could have planted: the socket is opened below the lab's root one
// component at a time (O_NOFOLLOW), the pid is looked up in the lab's own
// /proc (checked to be a proc file system), and the namespace is handed to
// the check as a descriptor. nsenter joins the lab's user namespace before
// the network one, so only a namespace of the lab's own can be entered at all.
import { closeSync, constants, fstatSync, openSync, statfsSync } from 'node:fs'
import { DOCKER_SOCKET } from './docker-paths.js'

/** O_PATH (Linux): a descriptor that names a file without opening it; Node has no constant for it. */
const O_PATH = 0o10000000
const PROC_SUPER_MAGIC = 0x9fa0

export type ContainerNetns =
  /** A descriptor of the namespace (the caller closes it). */
  | { fd: number }
  /** dockerd says the container is not there, or not running: the machine has no network now. */
  | { down: string }
  /** dockerd could not be asked (ended by the lab?): the caller falls back to the namespace held since the start. */
  | { unreachable: string }

/** Open a path below a folder descriptor, one component at a time, never through a link. */
function openBelow(dirFd: number, parts: string[], last: number): number {
  let fd = dirFd
  const opened: number[] = []
  try {
    for (let i = 0; i < parts.length; i++) {
      const final = i === parts.length - 1
      fd = openSync(`/proc/self/fd/${fd}/${parts[i]}`, (final ? last : constants.O_RDONLY | constants.O_DIRECTORY) | constants.O_NOFOLLOW)
      opened.push(fd)
    }
    opened.pop()
    return fd
  } finally {
    for (const o of opened) closeSync(o)
  }
}

/** GET a path of dockerd's API through a socket descriptor; the parsed JSON and the status. */
async function getJson(socketFd: number, path: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  // Loaded here: only engine: docker lab hosts need it, and `nslab check` starts faster without it.
  const { request } = await import('node:http')
  return await new Promise((resolve, reject) => {
    // A connection of its own, closed after the answer: Node's default agent keeps connections alive by the
    // socket's path, and /proc/self/fd/N names another lab host's dockerd once N is closed and opened again.
    const req = request({ socketPath: `/proc/self/fd/${socketFd}`, path, method: 'GET', timeout: timeoutMs, agent: false, headers: { Host: 'docker', Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > 4 * 1024 * 1024) req.destroy(new Error('answer too long'))
        else chunks.push(c)
      })
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
        } catch (e) {
          reject(e as Error)
        }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/**
 * The network namespace of the container `name` of the lab whose own init is
 * `labInit` (a pid of this machine), as dockerd says it is now.
 */
export async function containerNetns(labInit: number, name: string, timeoutMs = 2000): Promise<ContainerNetns> {
  let root: number | undefined
  let sock: number | undefined
  let proc: number | undefined
  try {
    try {
      root = openSync(`/proc/${labInit}/root`, constants.O_RDONLY | constants.O_DIRECTORY)
      sock = openBelow(root, DOCKER_SOCKET.split('/').filter(Boolean), O_PATH)
      if (!fstatSync(sock).isSocket()) return { unreachable: `${DOCKER_SOCKET} is not a socket` }
    } catch (e) {
      return { unreachable: `cannot reach dockerd's socket: ${(e as Error).message}` }
    }
    let answer: { status: number; body: unknown }
    try {
      answer = await getJson(sock, `/containers/${encodeURIComponent(name)}/json`, timeoutMs)
    } catch (e) {
      return { unreachable: `dockerd did not answer: ${(e as Error).message}` }
    }
    if (answer.status === 404) return { down: `there is no container ${name} (docker rm?)` }
    const state = (answer.body as { State?: { Running?: boolean; Pid?: number; Status?: string } }).State
    if (answer.status !== 200 || !state) return { unreachable: `dockerd answered ${answer.status}` }
    if (!state.Running || !Number.isInteger(state.Pid) || (state.Pid ?? 0) <= 0) return { down: `the container ${name} is not running (${state.Status ?? 'stopped'})` }
    try {
      proc = openBelow(root, ['proc'], constants.O_RDONLY | constants.O_DIRECTORY)
      if (statfsSync(`/proc/self/fd/${proc}`).type !== PROC_SUPER_MAGIC) return { unreachable: "the lab's /proc is not a proc file system" }
      return { fd: openSync(`/proc/self/fd/${proc}/${state.Pid}/ns/net`, constants.O_RDONLY) }
    } catch (e) {
      return { down: `the container ${name}'s process ${state.Pid} is gone (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }
    }
  } finally {
    for (const fd of [proc, sock, root]) if (fd !== undefined) closeSync(fd)
  }
}
