// A learner's lab brought up: its lab host built, its setup run, its session
// saved, as `nslab up` does, but saying nothing: what happened comes back as
// data, for a command to print or a page to show. (nslab up's bringUp in
// runner/cli/up-command.ts does the same and prints; it can move onto this.)
import { statSync } from 'node:fs'
import { requireKernel } from '../host/kernel-features.js'
import { childProcesses, processInfo } from '../host/exec.js'
import type { Lab } from '../lab/lab.js'
import { labTasks } from '../lab/lab-tasks.js'
import { sandboxOwner, type Sandbox } from '../host/sandbox.js'
import type { LabLimits } from '../host/lab-limits.js'
import { createLabHost } from '../run/create-lab-host.js'
import { plainText } from '../util/plain-text.js'
import { truncateOutput } from '../util/truncate-output.js'
import { labProse, type LabProse } from './lab-prose.js'
import { parseLabFile, writeProgress } from './learner-session.js'
import { runLearnerStep } from './run-learner-step.js'
import { removeSession, saveSession, type Session } from './session-store.js'
import { takeDownLab } from './take-down-lab.js'
import { claimName } from './claim-name.js'

export interface BringUpLabOptions {
  /** Absolute path of the lab file. */
  file: string
  name: string
  iptables?: 'nft' | 'legacy'
  /**
   * Outlive this process (nslab up: true). A lab host that is not persistent
   * ends when this process ends, however it ends (its init reads EOF on the
   * pipe it holds): what a server wants of the hosts it starts.
   */
  persistent: boolean
  /** Stops the setup; the lab host is taken down. */
  signal?: AbortSignal
  /** The lab and its prose, when the caller has them already (parsed from this file, unchanged). */
  parsed?: { lab: Lab; prose: LabProse }
  /** Processes, memory and CPU of the lab host (nslab serve --workshop: each learner's). */
  limits?: LabLimits
  /** As root: the uid the lab host runs as (a workshop's learner's own). */
  owner?: number
}

export interface LabUp {
  ok: true
  session: Session
  lab: Lab
  prose: LabProse
  sandbox: Sandbox
  timing: { hostMs: number; setupMs: number }
}

export interface LabUpFailed {
  ok: false
  /** The setup block that failed, and why, in plain words; or aborted. */
  why: 'setup' | 'aborted'
  message: string
  line?: number
  /** The end of what the setup printed. */
  output?: string
}

/**
 * Build the lab host and run its setup, keeping the session file true at
 * every moment: it names the sandbox's pid as soon as it exists, so that if
 * this process is killed, nslab gc finds what to end.
 */
export async function bringUpLab(opts: BringUpLabOptions): Promise<LabUp | LabUpFailed> {
  const st = statSync(opts.file)
  const lab = opts.parsed?.lab ?? (await parseLabFile(opts.file))
  requireKernel(lab)
  const tasks = labTasks(lab)
  // Lexed now, so that nslab check never loads the Markdown lexer.
  const prose = opts.parsed?.prose ?? (await labProse(lab))
  const session: Session = {
    name: opts.name,
    lab: opts.file,
    sandbox: { pid: 0, topology: lab.topology, ...(opts.iptables ? { iptables: opts.iptables } : {}) },
    createdAt: Date.now(),
    passed: [],
    solved: [],
    title: lab.title,
    checks: tasks.tasks.length,
    ready: false,
    upPid: process.pid,
    labCache: { mtimeMs: st.mtimeMs, size: st.size, lab, prose },
  }
  await claimName(session)

  let sandbox: Sandbox | undefined
  try {
    const t0 = performance.now()
    const before = new Set(childProcesses(process.pid).map((p) => p.pid))
    // The lab's engine, as nslab up: an engine: docker lab served in the page gets its real Docker Engine.
    const pending = createLabHost(lab.engine, {
      topology: lab.topology,
      persistent: opts.persistent,
      name: opts.name,
      ...(opts.iptables ? { iptables: opts.iptables } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
    })
    // unshare was started before createSandbox's first await: record it now
    // (as root it may still be setpriv, which becomes that unshare: the pid
    // stays). Only when it is the one new child: a server starts others.
    const started = childProcesses(process.pid).filter((p) => !before.has(p.pid) && (p.name === 'unshare' || p.name === 'setpriv'))
    const [child] = started
    const owner = opts.owner !== undefined && process.getuid?.() === 0 ? opts.owner : sandboxOwner()
    if (started.length === 1 && child) {
      session.sandbox = { ...session.sandbox, pid: child.pid, ...(owner !== undefined ? { uid: owner } : {}) }
      session.sandboxStart = child.startTime
      saveSession(session)
    }
    sandbox = await pending
    if (session.sandbox.pid !== sandbox.pid) delete session.sandboxStart
    session.sandbox = sandbox.handle()
    session.sandboxStart ??= processInfo(sandbox.pid)?.startTime
    saveSession(session)
    const hostMs = performance.now() - t0

    const t1 = performance.now()
    for (const block of lab.blocks) {
      if (opts.signal?.aborted) break
      if (block.kind !== 'script' || block.role !== 'setup') continue
      const r = await runLearnerStep(sandbox, block, opts.signal)
      if (opts.signal?.aborted) break
      if (!r.ok) {
        await takeDownLab(session, sandbox)
        const output = truncateOutput(plainText(r.exec.output).trim(), 2000).text
        return { ok: false, why: 'setup', message: `the setup at ${lab.file}:${block.line} failed: ${r.message}`, line: block.line, ...(output ? { output } : {}) }
      }
    }
    if (opts.signal?.aborted) {
      await takeDownLab(session, sandbox)
      return { ok: false, why: 'aborted', message: `${opts.name} was not started: interrupted` }
    }
    const setupMs = performance.now() - t1
    await writeProgress(session, sandbox)
    session.ready = true
    delete session.upPid
    saveSession(session)
    return { ok: true, session, lab, prose, sandbox, timing: { hostMs, setupMs } }
  } catch (e) {
    if (sandbox) await takeDownLab(session, sandbox)
    else removeSession(session.name)
    throw e
  }
}
