import { statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { requireKernel } from '../host/kernel-features.js'
import { colorEnabled, createColors } from '../util/colors.js'
import { childProcesses, processInfo } from '../host/exec.js'
import { formatDuration } from '../util/format-duration.js'
import { interruptOnSignals } from './interrupt-on-signals.js'
import type { Lab } from '../lab/lab.js'
import { labProse, type LabProse } from '../learn/lab-prose.js'
import { labTasks } from '../lab/lab-tasks.js'
import { renderEnding, renderTask } from '../learn/render-task.js'
import { checkSessionName, commandFor, parseLabFile, writeProgress } from '../learn/learner-session.js'
import { resolveLabPath } from '../lab/resolve-lab-path.js'
import { NslabError } from '../util/nslab-error.js'
import { asCommandUsage, COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { safeTerminal } from '../util/safe-text.js'
import { learnerWords } from '../learn/learner-words.js'
import { plainText } from '../util/plain-text.js'
import { runLearnerStep } from '../learn/run-learner-step.js'
import { sandboxOwner, type Sandbox } from '../host/sandbox.js'
import { createLabHost } from '../run/create-lab-host.js'
import { removeSession, saveSession, type Session } from '../learn/session-store.js'
import { ensureSessionAgent } from './ensure-session-agent.js'
import { truncateOutput } from '../util/truncate-output.js'
import { claimName } from '../learn/claim-name.js'
import { takeDownLab } from '../learn/take-down-lab.js'

export const UP_HELP = `Usage: nslab up LAB [--name NAME] [--iptables nft|legacy]

Starts a lab to work in by hand: builds its lab host, runs its setup, and shows
the first task. The lab host stays up after this command ends.

  LAB                       a lab file, or a lab's name: one of labs/ here, or of
                            nslab's own (nslab up snat-outbound; nslab labs lists them)
  --name NAME               what to call it (default: the file's name); several labs
                            can be up at once under different names
  --iptables nft|legacy     the iptables back end inside the lab host (default: the machine's)
${COMMON_OPTIONS_HELP}
Then: nslab shell (work in it), nslab check (your progress), nslab down.
`

export const UP_OPTIONS = { name: { type: 'string' }, iptables: { type: 'string' } } as const

export async function upCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab up', usage: 'nslab up [options] -- LAB', options: UP_OPTIONS })
  if (v.values.help) {
    process.stdout.write(UP_HELP)
    return 0
  }
  const [arg, ...more] = v.positionals
  if (arg === undefined) throw new UsageError('nslab up', 'which lab? Name one: nslab up snat-outbound (nslab labs lists them)')
  if (more.length) throw new UsageError('nslab up', `takes one lab, not ${v.positionals.length}`)
  const ipt = v.values.iptables
  if (ipt !== undefined && ipt !== 'nft' && ipt !== 'legacy') throw new UsageError('nslab up', `--iptables takes nft or legacy, not "${ipt}"`)
  const file = resolveLabFile(arg)
  const name = asCommandUsage('nslab up', () => checkSessionName(v.values.name ?? basename(file).replace(/\.md$/, '')))
  const up = await bringUp({ file, name, ...(ipt ? { iptables: ipt } : {}) })
  if ('failed' in up) return up.failed
  process.stdout.write(safeTerminal(welcome(up)))
  // So that nslab check answers in the time of its checks (session-agent.ts).
  await ensureSessionAgent()
  return 0
}

/** A lab named on the command line: a file, or a lab of labs/ here or of nslab's own, by name (resolveLabPath). */
export function resolveLabFile(arg: string): string {
  const p = resolveLabPath(arg)
  if (!statSync(p).isFile()) throw new NslabError({ code: 'USAGE', message: `${p} is a folder: nslab up takes one lab file (nslab labs ${p} lists those in it)` })
  return resolve(p)
}

export interface BringUpOptions {
  file: string
  name: string
  iptables?: 'nft' | 'legacy'
}

interface Up {
  session: Session
  lab: Lab
  prose: LabProse
  sandbox: Sandbox
  timing: { hostMs: number; setupMs: number }
}

/**
 * Build the lab host and run its setup, keeping the session file true at
 * every moment: it names the sandbox's pid from the instant it exists, so
 * that if this process is killed, nslab gc finds what to end.
 */
export async function bringUp(opts: BringUpOptions): Promise<Up | { failed: number }> {
  const lab = await parseLabFile(opts.file)
  requireKernel(lab)
  const st = statSync(opts.file)
  const tasks = labTasks(lab)
  // Lexed now, so that nslab check never loads the Markdown lexer.
  const prose = await labProse(lab)
  const session: Session = {
    name: opts.name,
    lab: opts.file,
    sandbox: { pid: 0, topology: lab.topology, ...(opts.iptables ? { iptables: opts.iptables } : {}) },
    createdAt: Date.now(),
    passed: [],
    solved: [],
    title: lab.title,
    ...(lab.lang && lab.lang !== 'en' ? { lang: lab.lang } : {}),
    checks: tasks.tasks.length,
    ready: false,
    upPid: process.pid,
    labCache: { mtimeMs: st.mtimeMs, size: st.size, lab, prose },
  }
  await claimName(session)

  const interrupt = interruptOnSignals()
  const err = createColors(colorEnabled(process.stderr))
  let sandbox: Sandbox | undefined
  try {
    const t0 = performance.now()
    const pending = createLabHost(lab.engine, {
      topology: lab.topology,
      persistent: true,
      name: opts.name,
      ...(opts.iptables ? { iptables: opts.iptables } : {}),
    })
    // unshare was started before createSandbox's first await: record it now.
    // (As root it may still be setpriv, which becomes that unshare: the pid stays.)
    const started = childProcesses(process.pid).filter((p) => p.name === 'unshare' || p.name === 'setpriv')
    const [child] = started
    const owner = sandboxOwner()
    if (started.length === 1 && child) {
      session.sandbox = { ...session.sandbox, pid: child.pid, ...(owner !== undefined ? { uid: owner } : {}) }
      session.sandboxStart = child.startTime
      saveSession(session)
    }
    sandbox = await pending
    session.sandbox = sandbox.handle()
    session.sandboxStart ??= processInfo(sandbox.pid)?.startTime
    saveSession(session)
    const hostMs = performance.now() - t0

    const t1 = performance.now()
    for (const block of lab.blocks) {
      if (interrupt.signal.aborted) break
      if (block.kind !== 'script' || block.role !== 'setup') continue
      const r = await runLearnerStep(sandbox, block, interrupt.signal)
      if (interrupt.signal.aborted) break
      if (!r.ok) {
        const out = truncateOutput(plainText(r.exec.output).trim(), 2000).text
        process.stderr.write(
          safeTerminal(
            `${err.red('✗')} the setup at ${lab.file}:${block.line} failed: ${r.message}\n` +
              (out ? `${out.split('\n').map((l) => `    ${l}`).join('\n')}\n` : '') +
              `${opts.name} was not started.\n`,
          ),
        )
        await takeDown(session, sandbox)
        return { failed: 1 }
      }
    }
    if (interrupt.signal.aborted) {
      await takeDown(session, sandbox)
      return { failed: interrupt.exitCode() }
    }
    const setupMs = performance.now() - t1
    await writeProgress(session, sandbox)
    session.ready = true
    delete session.upPid
    saveSession(session)
    return { session, lab, prose, sandbox, timing: { hostMs, setupMs } }
  } catch (e) {
    if (sandbox) await takeDown(session, sandbox)
    else removeSession(session.name)
    throw e
  } finally {
    interrupt.dispose()
  }
}


/** End a session's lab host and forget the session (learn/take-down-lab.ts: nslab down, gc, reset and serve share it). */
export const takeDown = takeDownLab

function welcome({ session, lab, prose, timing }: Up): string {
  const color = colorEnabled(process.stdout)
  const c = createColors(color)
  const width = Math.min(process.stdout.columns ?? 80, 100)
  const tasks = labTasks(lab)
  const first = tasks.tasks[0]
  const w = learnerWords(lab.lang)
  const out: string[] = [
    `${c.green('✓')} ${w.isUp(c.bold(session.name), lab.title, c.dim(w.timing(formatDuration(timing.hostMs), formatDuration(timing.setupMs))))}`,
    '',
  ]
  if (first) out.push(renderTask(lab, tasks, first, { color, width, prose }))
  else out.push(renderEnding(lab, tasks, { color, width, prose }) || w.noTasks)
  out.push(
    '',
    w.workCheckEnd(c.bold(commandFor('shell', session)), c.bold(commandFor('check', session)), c.bold(commandFor('down', session))),
    '',
  )
  return out.join('\n')
}
