import type { Shell } from 'zx'
import type { CheckResult } from '../../checks/check-result.js'
import type { ExecResult } from '../host/exec-result.js'
import { DEFAULT_LAB_LIMITS, type LabLimits } from '../host/lab-limits.js'
import { requirePrograms } from '../host/require-programs.js'
import { createSandbox } from '../host/sandbox.js'
import { DEFAULT_TIMEOUT_MS } from '../lab/front-matter.js'
import { machinesOf, type Lab, type Topology } from '../lab/lab.js'
import { programsOfLab } from '../run/programs-of-lab.js'
import { suggestion } from '../util/did-you-mean.js'
import { NslabError } from '../util/nslab-error.js'
import { parseDuration } from '../util/parse-duration.js'
import { checkLine } from './check-line.js'
import { loadLabFile } from './load-lab-file.js'
import { machineShell } from './machine-shell.js'
import { topologyOf, type TopologyOptions } from './topology-of.js'

export interface LabHostOptions {
  /** The lab host's hostname inside, and its label; any text. */
  name?: string
  /** The iptables back end of `iptables` inside (as `nslab run --iptables`). */
  iptables?: 'nft' | 'legacy'
  /**
   * Processes, memory and CPU of the whole lab host: true for `nslab run`'s
   * defaults (1024 processes, 2 GiB, 1 CPU), or some of them. None by default.
   */
  limits?: boolean | Partial<LabLimits>
  /** Time allowed to come up: ms or a duration such as "20s" (default 10 s). */
  timeout?: number | string
}

/** One machine of a lab host: 'host', a container, or 'internet'. */
export interface Machine {
  readonly name: string
  /** Its address on the lab's network, as the lab host's /etc/hosts names it. */
  readonly address: string | undefined
  /** zx's `$`, running each command on this machine, inside the lab host. */
  readonly $: Shell
}

/** What a check may be given besides its line. */
export interface CheckOptions {
  /** Stops a check that is still retrying. */
  signal?: AbortSignal
}

/** A throwaway lab host, from a topology or a lab file's front matter. The host machine's `$` is its own. */
export interface LabHost extends Machine, AsyncDisposable {
  /** 'host', the containers, and 'internet' when it has one. */
  readonly machines: readonly string[]
  readonly topology: Topology
  /** The lab it was made from (one without blocks, for a topology). */
  readonly lab: Lab
  /** How long it took to come up, in ms. */
  readonly upMs: number
  /** pid of the process (unshare) that owns its namespaces: killing it ends the lab host. */
  readonly pid: number
  readonly closed: boolean
  /** A machine of the lab host, by name; an unknown name is an NslabError (USAGE). */
  on(machine: string): Machine
  /**
   * One line of a check block, judged as a lab judges it: `exit` and `stdout`
   * judge the last `$` command that ended on this lab host.
   */
  check(line: string, options?: CheckOptions): Promise<CheckResult>
  /** Tear it down: every process of it ends, its namespaces and mounts go. Idempotent. */
  close(): Promise<void>
}

/**
 * Build a lab host. `from` is a topology ({ docker: true, containers: ['box1'],
 * internet: true }) or the path of a lab file whose front matter gives it.
 * Close it with close() or `await using`; one left open ends with this
 * process (the kernel ends it when its init's stdin closes).
 */
export async function labHost(from: string | TopologyOptions, options: LabHostOptions = {}): Promise<LabHost> {
  const lab: Lab =
    typeof from === 'string'
      ? loadLabFile(from)
      : { file: options.name ?? 'lab host', title: options.name ?? 'lab host', engine: 'netns', timeoutMs: DEFAULT_TIMEOUT_MS, topology: topologyOf(from), blocks: [], epilogue: '' }
  // As nslab run: a program the lab's steps or checks need is named, with its package, before anything starts.
  if (typeof from === 'string') requirePrograms(programsOfLab(lab))
  const limits = limitsOf(options.limits)
  const timeoutMs = options.timeout === undefined ? undefined : msOf(options.timeout, 'timeout')
  // zx only now: the command line never loads it. Its core is all `$` needs.
  const zx = await import('zx/core')
  const sandbox = await createSandbox({
    topology: lab.topology,
    name: options.name ?? lab.file.replace(/^.*\//, '').replace(/\.md$/, ''),
    unref: true,
    ...(options.iptables ? { iptables: options.iptables } : {}),
    ...(limits ? { limits } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  })
  const machines = machinesOf(lab.topology)
  let closed: Promise<void> | undefined
  let previous: ExecResult | undefined
  const isOpen = () => closed === undefined
  const assertOpen = (what: string) => {
    if (!isOpen()) throw new NslabError({ code: 'USAGE', message: `this lab host is closed: ${what}` })
  }
  const machine = (name: string): Machine => {
    const shell = machineShell(zx, sandbox, name, isOpen, (r) => (previous = r))
    return {
      name,
      address: sandbox.addressOf(name),
      get $() {
        assertOpen(`nothing more runs on ${name}`)
        return shell()
      },
    }
  }
  const byName = new Map<string, Machine>(machines.map((m) => [m, machine(m)]))
  const host = byName.get('host')!
  const close = (): Promise<void> => {
    closed ??= (async () => {
      // The lab host does not keep this process alive (unref); its teardown must.
      const keep = setInterval(() => {}, 1000)
      try {
        await sandbox.stop()
      } finally {
        clearInterval(keep)
      }
    })()
    return closed
  }
  return {
    name: 'host',
    address: host.address,
    get $() {
      return host.$
    },
    machines,
    topology: lab.topology,
    lab,
    upMs: sandbox.upMs,
    pid: sandbox.pid,
    get closed() {
      return !isOpen()
    },
    on(name: string): Machine {
      const m = byName.get(name)
      if (m) return m
      throw new NslabError({ code: 'USAGE', message: `no machine "${name}" in this lab host${suggestion(String(name), machines) || ''} (it has: ${machines.join(', ')})` })
    },
    async check(line: string, o: CheckOptions = {}): Promise<CheckResult> {
      assertOpen('nothing more can be checked on it')
      return await checkLine(sandbox, lab, line, { ...(previous ? { previous } : {}), ...(o.signal ? { signal: o.signal } : {}) })
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

function limitsOf(l: LabHostOptions['limits']): LabLimits | undefined {
  if (l === undefined || l === false) return undefined
  if (l === true) return DEFAULT_LAB_LIMITS
  return { ...DEFAULT_LAB_LIMITS, ...l }
}

/** ms, or a duration as nslab reads them ("90s", "5m"). */
export function msOf(v: number | string, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v
  if (typeof v === 'string') {
    const d = parseDuration(v)
    if (!('error' in d) && d.ms > 0) return d.ms
  }
  throw new NslabError({ code: 'USAGE', message: `bad ${what}: ${String(v)} is not a duration (ms, or such as "30s", "5m")` })
}
