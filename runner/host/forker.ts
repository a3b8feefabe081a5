// Node's side of the forker (forker-script.ts): one perl process per nslab
// process, started on first use, that forks the short-lived processes exec.ts
// asks for. Its own process is started by exec.ts (the one module that starts
// processes) and handed in; this module speaks the protocol and keeps the
// forker out of node's way: unreferenced while nothing runs, so that it
// never keeps nslab alive.
import type { ChildProcess } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'

/** Where a start failed: the request, a descriptor to hand on, the fork, setting the child up, a namespace to enter, the exec; or the forker itself died. */
export type ForkerFailure = 'request' | 'open' | 'fork' | 'start' | 'setns' | 'exec' | 'forker'

/** What a job hears from the forker, in this order: started (or failed), output, exit, closed. */
export interface ForkerJobEvents {
  started(pid: number): void
  /** It could not start: errno, and of what (exec's 2: no such program). */
  failed(errno: number, where: ForkerFailure): void
  out(chunk: Buffer): void
  err(chunk: Buffer): void
  exit(code: number | null, signal: number | null): void
  /** Exited and its pipes closed: nothing more comes. */
  closed(): void
}

export interface ForkerRequest {
  file: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd?: string
  uid?: number
  gid?: number
  input?: string
  script?: string
  /** This process's descriptors, handed on at fd 4, 5, … (the forker opens them by /proc/PID/fd). */
  fds?: number[]
  /** Namespaces to enter before the exec, in order: setns(2)'s nstype (which the file must be) and the file. */
  enter?: { type: number; path: string }[]
}

export interface Forker {
  start(req: ForkerRequest, events: ForkerJobEvents): number
  /** Stop reading a job's pipes (background children may hold them open). */
  drop(id: number): void
  /** False once the forker died: callers start processes themselves. */
  alive(): boolean
}

export function createForker(child: ChildProcess): Forker {
  const jobs = new Map<number, ForkerJobEvents>()
  const started = new Set<number>()
  const stdin = child.stdin as Writable
  const stdout = child.stdout as Readable & { ref?: () => void; unref?: () => void }
  let next = 1
  let alive = true
  let buf = Buffer.alloc(0)
  const handles = [child, stdout, stdin] as unknown as { ref?: () => void; unref?: () => void }[]
  /** Referenced only while a job runs: an idle forker never keeps nslab alive. */
  const hold = (on: boolean): void => {
    for (const h of handles) (on ? h.ref : h.unref)?.call(h)
  }
  hold(false)
  stdin.on('error', () => {})
  const died = (): void => {
    if (!alive) return
    alive = false
    // What it had not started yet is for the caller to start; what it had may still run, its output and exit lost with it.
    for (const [id, j] of jobs) {
      if (!started.has(id)) j.failed(0, 'forker')
      else {
        j.exit(null, 9)
        j.closed()
      }
    }
    jobs.clear()
    hold(false)
  }
  child.on('exit', died)
  child.on('error', died)
  stdout.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk)
    for (;;) {
      const nl = buf.indexOf(10)
      if (nl < 0) return
      const head = buf.toString('latin1', 0, nl).split(' ')
      const kind = head[0]
      const id = Number(head[1])
      const j = jobs.get(id)
      if (kind === 'O' || kind === 'E') {
        const len = Number(head[2])
        if (buf.length < nl + 1 + len) return
        const data = buf.subarray(nl + 1, nl + 1 + len)
        buf = buf.subarray(nl + 1 + len)
        if (j) (kind === 'O' ? j.out : j.err)(data)
        continue
      }
      buf = buf.subarray(nl + 1)
      if (!j) continue
      if (kind === 'P') {
        started.add(id)
        j.started(Number(head[2]))
      }
      else if (kind === 'F') {
        jobs.delete(id)
        started.delete(id)
        if (!jobs.size) hold(false)
        j.failed(Number(head[2]), head[3] as ForkerFailure)
      } else if (kind === 'X') j.exit(head[2] === '-' ? null : Number(head[2]), head[3] === '-' ? null : Number(head[3]))
      else if (kind === 'C') {
        jobs.delete(id)
        started.delete(id)
        if (!jobs.size) hold(false)
        j.closed()
      }
    }
  })
  const field = (k: string, v: string | Buffer): Buffer[] => {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v
    return [Buffer.from(`${k} ${b.length}\n`, 'latin1'), b]
  }
  return {
    alive: () => alive,
    start(req, events) {
      const id = next++
      const parts: Buffer[] = [
        ...field('f', req.file),
        ...[req.file, ...req.args].flatMap((a) => field('a', a)),
        ...Object.entries(req.env).flatMap(([k, v]) => (v === undefined ? [] : field('e', `${k}=${v}`))),
        ...(req.cwd !== undefined ? field('d', req.cwd) : []),
        ...(req.uid !== undefined ? field('u', String(req.uid)) : []),
        ...(req.gid !== undefined ? field('g', String(req.gid)) : []),
        ...(req.input !== undefined ? field('i', req.input) : []),
        ...(req.script !== undefined ? field('s', req.script) : []),
        ...(req.fds ?? []).flatMap((fd) => field('n', String(fd))),
        ...(req.enter ?? []).flatMap((n) => field('N', `${n.type} ${n.path}`)),
      ]
      const payload = Buffer.concat(parts)
      if (!jobs.size) hold(true)
      jobs.set(id, events)
      stdin.write(Buffer.concat([Buffer.from(`S ${id} ${payload.length}\n`, 'latin1'), payload]))
      return id
    },
    drop(id) {
      if (alive && jobs.has(id)) stdin.write(`D ${id} 0\n`)
    },
  }
}
