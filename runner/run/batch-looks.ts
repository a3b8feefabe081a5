// Quick looks at one machine, asked for at the same moment (the lines of a
// check block start side by side), share one process: one nsenter and one
// shell that runs each look's script in a subshell of its own, one after
// another. A look then costs its program, not three processes (nsenter, sh,
// the program: some 25 ms of CPU on this machine) competing for two CPUs.
//
// Each script's stdout, stderr and exit status are told apart by lines that
// carry a nonce drawn for the batch (nothing a lab prints can end a section
// early: it cannot know the nonce). When the batch does not come back whole
// (it timed out, a script broke the shell), each look runs again on its own,
// as it would have without the batch.
//
// Looks with the same script (two rules of one table read the same
// iptables-save, two checks the same addresses) run it once: each gets its
// own copy of the result, as if it had run alone at that moment.
import type { ExecResult } from '../host/exec-result.js'
import type { SandboxLookOptions } from '../host/sandbox.js'
import { randomHex } from '../util/random-hex.js'

type Look = (o: SandboxLookOptions) => Promise<ExecResult>
export type BatchedLookOptions = SandboxLookOptions & { quick?: boolean }

interface Pending {
  o: SandboxLookOptions
  resolve: (r: ExecResult) => void
  reject: (e: unknown) => void
}

/** `look`, with quick looks (`quick: true`) at one machine started in the same turn of the event loop run as one process. */
export function batchLooks(look: Look): (o: BatchedLookOptions) => Promise<ExecResult> {
  const waiting = new Map<string, Pending[]>()
  const flush = (key: string): void => {
    const batch = distinct(waiting.get(key) ?? [])
    waiting.delete(key)
    if (batch.length === 1) {
      const [p] = batch as [Pending]
      look(p.o).then(p.resolve, p.reject)
      return
    }
    runBatch(look, batch).catch((e: unknown) => {
      for (const p of batch) p.reject(e)
    })
  }
  return (opts) => {
    const { quick, ...o } = opts
    if (!quick) return look(o)
    // One process a machine: the batch enters the namespaces any of its looks asks for (uts and ipc change
    // nothing a look of the network reads) and runs bash if any needs it (nslab's sh looks are plain commands).
    const key = o.machine
    return new Promise<ExecResult>((resolve, reject) => {
      const list = waiting.get(key)
      if (list) list.push({ o, resolve, reject })
      else {
        waiting.set(key, [{ o, resolve, reject }])
        setImmediate(flush, key)
      }
    })
  }
}

/** One look a script: the looks of one script run as one (the bash, the namespaces and the time any of them asks), and each hears its result. */
function distinct(batch: Pending[]): Pending[] {
  const by = new Map<string, Pending[]>()
  // The same script interrupted at the same moment (or never): one run serves them all.
  const key = (p: Pending) => `${p.o.interruptAfterMs ?? ''}\0${p.o.script}`
  for (const p of batch) by.set(key(p), [...(by.get(key(p)) ?? []), p])
  return [...by.values()].map((same) => {
    if (same.length === 1) return same[0]!
    return {
      o: { ...same[0]!.o, ...joined(same) },
      resolve: (r: ExecResult) => {
        for (const p of same) p.resolve({ ...r })
      },
      reject: (e: unknown) => {
        for (const p of same) p.reject(e)
      },
    }
  })
}

/**
 * What looks run as one process ask of it: every namespace any of them enters, bash if any needs it, the
 * shortest time any allows (a look without one counts as `unset`; none at all: no limit).
 */
function joined(looks: Pending[], unset?: number): Pick<SandboxLookOptions, 'also' | 'shell' | 'timeoutMs'> {
  const also = [...new Set(looks.flatMap((p) => p.o.also ?? []))].sort()
  const times = looks.flatMap((p) => (p.o.timeoutMs ?? unset) ?? [])
  return {
    ...(also.length ? { also } : {}),
    ...(looks.some((p) => p.o.shell === 'bash') ? { shell: 'bash' as const } : {}),
    ...(times.length ? { timeoutMs: Math.min(...times) } : {}),
  }
}

async function runBatch(look: Look, batch: Pending[]): Promise<void> {
  const nonce = `@@NSLAB-LOOK-${randomHex(12)}@@`
  // `\n` before each mark: a section that does not end in a newline still ends where the mark starts.
  const script = batch
    .map((p) => `(\n${p.o.script}\n)\nprintf '\\n%s %s\\n' ${nonce} $?\nprintf '\\n%s\\n' ${nonce} >&2`)
    .join('\n')
  const all = await look({ machine: batch[0]!.o.machine, script, ...joined(batch, 2000) })
  const out = sections(all.stdout, `\n${nonce} `)
  const err = sections(all.stderr, `\n${nonce}\n`)
  if (all.timedOut || out.length !== batch.length || err.length !== batch.length) {
    // Not whole: each on its own, with its own time.
    await Promise.all(batch.map((p) => look(p.o).then(p.resolve, p.reject)))
    return
  }
  batch.forEach((p, i) => {
    const [stdout, status] = out[i]!
    const [stderr] = err[i]!
    p.resolve({
      machine: p.o.machine,
      command: p.o.script,
      exitCode: status,
      stdout,
      stderr,
      output: stdout + stderr,
      durationMs: all.durationMs,
      timedOut: false,
      ...(all.truncated ? { truncated: true } : {}),
    })
  })
}

/** The sections of a stream cut at each mark, with the number after the mark (stdout's exit status) where there is one. */
function sections(text: string, mark: string): [string, number | null][] {
  const found: [string, number | null][] = []
  let at = 0
  for (;;) {
    const m = text.indexOf(mark, at)
    if (m < 0) break
    const end = text.indexOf('\n', m + mark.length - (mark.endsWith('\n') ? 1 : 0))
    if (end < 0) break
    const rest = text.slice(m + mark.length, end)
    const status = /^\d+$/.test(rest) ? Number(rest) : null
    found.push([text.slice(at, m), status])
    at = end + 1
  }
  return found
}
