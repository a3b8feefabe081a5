// A process outside any lab, started by the test, with a unique marker in its
// argv and environment: a lab must neither see it nor signal it.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { isRoot, uidOf, type As } from './nslab-as.js'

export interface OutsideSleeper {
  pid: number
  marker: string
  /** Why it is not as it was started ('' while it sleeps undisturbed): ended, stopped, a signal pending. */
  disturbed(): string
  stop(): void
}

/** A `sleep` running as the user nslab runs as (a lab's own uid is the one that could reach it). */
export function outsideSleeper(as: As, marker: string): OutsideSleeper {
  const uid = uidOf(as)
  const child = spawn('sleep', ['600'], {
    argv0: marker,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NSLAB_ATTACK_MARK: marker },
    stdio: 'ignore',
    ...(isRoot && uid !== 0 ? { uid, gid: uid } : {}),
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('the outside sleep did not start')
  let exited = ''
  child.on('exit', (code, signal) => (exited = `it ended (${signal ?? `exit ${code}`})`))
  return {
    pid,
    marker,
    disturbed() {
      if (exited) return exited
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
        if (state !== 'S' && state !== 'R') return `its state is ${state}`
        const status = readFileSync(`/proc/${pid}/status`, 'utf8')
        const pending = /^(SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm
        for (const m of status.matchAll(pending)) if (/[1-9a-f]/.test(m[2]!)) return `a signal is pending (${m[1]} ${m[2]})`
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(marker)) return 'another process has its pid'
      } catch {
        return 'it is gone'
      }
      return ''
    },
    stop() {
      if (!exited) child.kill('SIGKILL')
    },
  }
}
