// A learner's own machine, reached over SSH: the checks' commands run there,
// their outputs are judged here. Machine names map onto the target: `host`
// is the target itself; a container NAME is the network namespace NAME there
// (ip netns exec), or a running Docker container NAME (nsenter -n). Each
// command goes over one multiplexed connection (ControlMaster), as a script
// on stdin, so that nothing depends on the quoting of the target's login shell.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ExecResult } from '../host/exec-result.js'
import { run } from '../host/exec.js'
import { NslabError } from '../util/nslab-error.js'
import { shellQuote } from '../util/shell-quote.js'

export interface SshAddress {
  user?: string
  host: string
  port?: number
  /** user@host[:port], as messages name it. */
  label: string
}

/** Runs the ssh client (argv[0] is "ssh"): locally by default; a test runs it inside a sandbox. */
export type SshRunner = (o: { argv: string[]; input?: string; timeoutMs?: number }) => Promise<ExecResult>

export interface SshTargetOptions {
  address: SshAddress
  /** A private key file (ssh -i). */
  identity?: string
  /** Where host keys are remembered (accept-new); default: a fresh file, forgotten afterwards. */
  knownHosts?: string
  /** A folder for the connection's control socket; default: a private temporary folder. */
  controlDir?: string
  /** Seconds to wait for the connection (default 5). */
  connectTimeoutSec?: number
  /** Run the commands with sudo -n (a user who is not root, with password-less sudo). */
  sudo?: boolean
  run?: SshRunner
}

export interface SshTarget {
  label: string
  /** Can the target be reached, log us in and run bash? */
  probe(timeoutMs?: number): Promise<{ ok: true } | { ok: false; reason: string; evidence: ExecResult }>
  /** Run a bash script on a machine of the lab, as the target has it. */
  exec(o: { machine: string; script: string; timeoutMs?: number; interruptAfterMs?: number }): Promise<ExecResult>
  /** A transport failure in this result (ssh's own error), as a sentence, if there is one. */
  transportFailure(r: ExecResult): string | undefined
  /** End the shared connection and forget what was made for it. */
  close(): Promise<void>
}

/** ssh://user@host:port, user@host, or host. */
export function parseSshAddress(text: string): SshAddress {
  const m = /^(?:ssh:\/\/)?(?:([^@/:\s]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/.exec(text.trim())
  if (!m || m[2]!.startsWith('-')) {
    throw new NslabError({ code: 'USAGE', message: `--target takes ssh://USER@HOST[:PORT], not "${text}"` })
  }
  const host = m[2]!.replace(/^\[|\]$/g, '')
  const port = m[3] !== undefined ? Number(m[3]) : undefined
  if (port !== undefined && (port < 1 || port > 65535)) throw new NslabError({ code: 'USAGE', message: `--target: no port ${port}` })
  const a: SshAddress = { host, label: `${m[1] ? `${m[1]}@` : ''}${m[2]}${port ? `:${port}` : ''}` }
  if (m[1]) a.user = m[1]
  if (port !== undefined) a.port = port
  return a
}

/** Time a command gets beyond what the check asked, for the way there and back. */
const TRANSPORT_MS = 2000

export function sshTarget(opts: SshTargetOptions): SshTarget {
  const { address } = opts
  const connect = opts.connectTimeoutSec ?? 5
  let own: string | undefined
  // A private folder for what the caller did not give: known hosts, the control socket.
  const ownDir = () => (own ??= mkdtempSync(join(tmpdir(), 'nslab-ssh-')))
  const knownHosts = () => opts.knownHosts ?? join(ownDir(), 'known_hosts')
  const controlPath = () => join(opts.controlDir ?? ownDir(), 'cm-%C')
  const runner: SshRunner =
    opts.run ?? ((o) => run({ file: o.argv[0]!, args: o.argv.slice(1), ...(o.input !== undefined ? { input: o.input } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) }))

  const baseArgs = (): string[] => [
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${connect}`,
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${knownHosts()}`,
    '-o', 'LogLevel=ERROR',
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=2',
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${controlPath()}`,
    '-o', 'ControlPersist=30',
    ...(opts.identity ? ['-i', opts.identity, '-o', 'IdentitiesOnly=yes'] : []),
    ...(address.port ? ['-p', String(address.port)] : []),
    ...(address.user ? ['-l', address.user] : []),
  ]
  // The remote command only reads the script from stdin; the script does the rest.
  const remote = `exec ${opts.sudo ? 'sudo -n ' : ''}bash --noprofile --norc -c 'eval "$(cat)"'`
  const sshArgv = (): string[] => ['ssh', ...baseArgs(), '--', address.host, remote]

  const transportFailure = (r: ExecResult): string | undefined => {
    if (r.timedOut && r.exitCode === null && r.output.trim() === '') return `no answer from ${address.label}`
    if (r.exitCode !== 255) return undefined
    const line = r.stderr.trim().split('\n').find((l) => /^ssh: |Connection (refused|timed out|closed|reset)|Permission denied|Host key verification failed|kex_exchange|Could not resolve|No route to host|Network is unreachable|banner exchange/.test(l))
    return line === undefined ? undefined : `cannot reach ${address.label}: ${line.replace(/^ssh: /, '')}`
  }

  return {
    label: address.label,
    async probe(timeoutMs = (connect + 5) * 1000) {
      const r = await runner({ argv: sshArgv(), input: 'echo nslab-target-ok\n', timeoutMs })
      if (r.exitCode === 0 && r.stdout.includes('nslab-target-ok')) return { ok: true }
      const why =
        transportFailure(r) ??
        (r.timedOut
          ? `no answer from ${address.label} within ${Math.round(timeoutMs / 1000)} s`
          : r.exitCode === 127
            ? `${address.label} has no bash (${lastLine(r.stderr)})`
            : opts.sudo && /sudo/.test(r.stderr)
              ? `sudo on ${address.label} wants a password or is not allowed (${lastLine(r.stderr)})`
              : `${address.label} could not run a command (exit ${r.exitCode}: ${lastLine(r.stderr) || 'no message'})`)
      return { ok: false, reason: why, evidence: { ...r, command: `ssh ${address.label}`, machine: 'target' } }
    },
    async exec(o) {
      // The interrupt a local look gets from nslab (ping's cut) is `timeout -s INT` there: nslab's signal would reach ssh.
      const script = o.interruptAfterMs === undefined ? o.script : `timeout -s INT ${(o.interruptAfterMs / 1000).toFixed(2)} ${o.script}`
      const input = wrapScript(o.machine, script)
      const r = await runner({ argv: sshArgv(), input, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs + TRANSPORT_MS } : {}) })
      return { ...r, machine: o.machine, command: o.script }
    },
    transportFailure,
    async close() {
      // Ends the shared connection's master, by its control socket.
      await runner({ argv: ['ssh', ...baseArgs(), '-O', 'exit', '--', address.host], timeoutMs: 5000 }).catch(() => undefined)
      if (own) rmSync(own, { recursive: true, force: true })
      own = undefined
    },
  }
}

/**
 * The script sent on stdin: the check's own script runs in a fresh bash
 * (-e, pipefail, stdin from /dev/null) on the machine it names.
 */
export function wrapScript(machine: string, script: string): string {
  const run = `bash --noprofile --norc -e -o pipefail -c "$__nslab_script" </dev/null`
  const lines = [`__nslab_script=${shellQuote(script)}`]
  if (machine === 'host') {
    lines.push(`exec ${run}`)
  } else {
    const name = shellQuote(machine)
    lines.push(
      `if [ -e /run/netns/${name} ]; then exec ip netns exec ${name} ${run}; fi`,
      `if command -v docker >/dev/null 2>&1; then __nslab_pid=$(docker inspect -f '{{.State.Pid}}' ${name} 2>/dev/null) || __nslab_pid=0; if [ "\${__nslab_pid:-0}" -gt 0 ]; then exec nsenter -t "$__nslab_pid" -n ${run}; fi; fi`,
      `echo "nslab: this machine has no ${machine.replace(/[^A-Za-z0-9_.-]/g, '?')}: no network namespace /run/netns/${machine.replace(/[^A-Za-z0-9_.-]/g, '?')} and no running Docker container of that name" >&2`,
      'exit 127',
    )
  }
  return lines.join('\n') + '\n'
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? ''
}
