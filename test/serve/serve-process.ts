// nslab serve started as a learner would (the built CLI, a state folder of
// the test's own), its address read from what it prints, stopped by a signal.
import type { ChildProcess } from 'node:child_process'
import { learner, type Learner } from '../helpers/learner-cli.js'

export interface Served {
  learner: Learner
  proc: ChildProcess
  /** The address it printed, with the token. */
  url: string
  /** http://127.0.0.1:PORT */
  base: string
  port: number
  token: string
  stdout(): string
  stderr(): string
  /** Send a signal and wait for it to exit: its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Start `nslab serve --port 0 ARGS…` for a learner (a new one unless given). */
export async function startServe(args: string[], opts: { learner?: Learner; timeoutMs?: number } = {}): Promise<Served> {
  const L = opts.learner ?? learner()
  const proc = L.start(['serve', '--port', '0', ...args])
  let out = ''
  let err = ''
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nslab serve printed no address within ${opts.timeoutMs ?? 30_000} ms\n${out}\n${err}`)), opts.timeoutMs ?? 30_000)
    const look = () => {
      const m = /http:\/\/\S+\?token=[0-9a-f]+/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[0])
      }
    }
    proc.stdout!.on('data', look)
    void exited.then((code) => reject(new Error(`nslab serve exited (${code}) before it printed an address\n${out}\n${err}`)))
  })
  const u = new URL(url)
  return {
    learner: L,
    proc,
    url,
    base: `${u.protocol}//${u.host}`,
    port: Number(u.port),
    token: u.searchParams.get('token') ?? '',
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGINT') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode
      proc.kill(signal)
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
