// zx's own `$`, bound to one machine of a lab host. zx lets each `$` instance
// bring its own spawn (`$({ spawn })`): ours starts nsenter into every
// namespace of the lab host (the machine's network one) and bash, which reads
// zx's command — prefix, quoting and all — from fd 3 and evals it, as every
// step of a lab runs. So the command is never on a command line that any user
// of the machine can read in /proc, and everything else is zx's: the
// ProcessPromise, its output, .nothrow(), .quiet(), .pipe(), timeouts, kill,
// within. The process gets a group of its own, so zx's kill (of the group)
// ends the whole tree inside the lab host.

import type { ChildProcess, SpawnOptions, SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process'
import type { Shell } from 'zx'
import { spawnChild, spawnChildSync, type ChildStdio } from '../host/exec.js'
import type { ExecResult } from '../host/exec-result.js'
import type { Sandbox } from '../host/sandbox.js'
import { NslabError } from '../util/nslab-error.js'

type ZxCore = typeof import('zx/core')
type Options = import('zx/core').Options

/** What the last command that ended on a machine gave (for the `exit` and `stdout` checks). */
export type OnEnd = (result: ExecResult) => void

/** zx's bash defaults (what zx sets itself where bash is): every machine of a lab host has bash. */
const PREFIX = 'set -euo pipefail;'
/** Kept of a command's output for the `exit` and `stdout` checks; zx keeps all of it. */
const KEEP_BYTES = 1024 * 1024

/**
 * A `$` for `machine`: made anew on each use (host.$`…`), so that it takes the
 * zx options in force where it is used (within, $.verbose …), and the caller's
 * frame is the one below zx's, which zx's errors name as where it ran.
 */
export function machineShell(zx: ZxCore, sandbox: Sandbox, machine: string, isOpen: () => boolean, onEnd: OnEnd): () => Shell {
  const launch = (cmd: string, env: NodeJS.ProcessEnv | undefined) => {
    if (!isOpen()) throw new NslabError({ code: 'USAGE', message: `this lab host is closed: nothing more runs on ${machine}` })
    return sandbox.scriptLaunch(machine, cmd.length, { bashFlags: [], env: addedEnv(env) })
  }
  const spawn = (cmd: string, _args: readonly string[] | undefined, o: SpawnOptions = {}): ChildProcess => {
    const { fds, ...l } = launch(cmd, o.env)
    const child = spawnChild({ ...l, fds, script: cmd, stdio: stdioOf(o.stdio) })
    // zx ends the group on abort only for what it started detached itself; ours always is.
    const abort = () => child.pid !== undefined && killGroup(child.pid)
    o.signal?.addEventListener('abort', abort, { once: true })
    child.once('exit', () => o.signal?.removeEventListener('abort', abort))
    record(child, machine, cmd, onEnd)
    return child
  }
  const spawnSync = (cmd: string, _args: readonly string[] | undefined, o: SpawnSyncOptions = {}): SpawnSyncReturns<Buffer> => {
    const { fds, ...l } = launch(cmd, o.env)
    const t0 = performance.now()
    const r = spawnChildSync({ ...l, fds, script: cmd, stdio: stdioOf(o.stdio), ...(typeof o.input === 'string' || Buffer.isBuffer(o.input) ? { input: o.input } : {}) })
    const stdout = r.stdout?.toString() ?? ''
    const stderr = r.stderr?.toString() ?? ''
    onEnd({ machine, command: shown(cmd), exitCode: r.status, ...(r.signal ? { signal: r.signal } : {}), stdout, stderr, output: stdout + stderr, durationMs: performance.now() - t0, timedOut: false })
    return r
  }
  // zx types spawn as node's, overloads and all; it calls it as spawn(cmd, args, options).
  const base = { spawn, spawnSync, shell: '/bin/bash', prefix: PREFIX, postfix: '', quote: zx.quote } as unknown as Partial<Options>
  return () => {
    const $ = zx.$(base)
    // A preset of zx's has no .sync of its own.
    Object.defineProperty($, 'sync', { value: zx.$({ ...base, sync: true }) })
    return $ as unknown as Shell
  }
}

/**
 * The environment inside is a fresh root login's (the lab's), not this
 * process's: only what the caller added to zx's env (`$({ env: { … } })`,
 * that process.env does not already say) is set on top. PATH stays the lab's.
 */
function addedEnv(env: NodeJS.ProcessEnv | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!env || env === process.env) return out
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && k !== 'PATH' && process.env[k] !== v) out[k] = v
  }
  return out
}

function stdioOf(s: SpawnOptions['stdio']): [ChildStdio, ChildStdio, ChildStdio] {
  if (s === undefined || typeof s === 'string') return [s ?? 'pipe', s ?? 'pipe', s ?? 'pipe'] as [ChildStdio, ChildStdio, ChildStdio]
  return [s[0], s[1], s[2]] as [ChildStdio, ChildStdio, ChildStdio]
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM')
  } catch {
    // already gone
  }
}

/** zx's command as its author wrote it: without the prefix zx put before it. */
function shown(cmd: string): string {
  return cmd.startsWith(PREFIX) ? cmd.slice(PREFIX.length) : cmd
}

/** Keep what the command prints (up to a cap) and hand it on when the command ends. */
function record(child: ChildProcess, machine: string, cmd: string, onEnd: OnEnd): void {
  const t0 = performance.now()
  const out: Buffer[] = []
  const err: Buffer[] = []
  const all: Buffer[] = []
  let size = 0
  let truncated = false
  const keep = (into: Buffer[]) => (chunk: Buffer) => {
    if (size >= KEEP_BYTES) return void (truncated = true)
    const c = chunk.subarray(0, KEEP_BYTES - size)
    size += c.length
    into.push(c)
    all.push(c)
  }
  child.stdout?.on('data', keep(out))
  child.stderr?.on('data', keep(err))
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    onEnd({
      machine,
      command: shown(cmd),
      exitCode: code,
      ...(signal ? { signal } : {}),
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      output: Buffer.concat(all).toString('utf8'),
      durationMs: performance.now() - t0,
      timedOut: false,
      ...(truncated ? { truncated } : {}),
    })
  })
  child.once('error', () => {})
}
