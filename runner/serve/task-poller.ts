// The current task, re-checked while a page shows it: about once a second
// (like iximiuz Labs), and at once when a command ends in one of its
// terminals (a nudge), so that a task turns done right after the command
// that does it. A check that fails waits out its window (2 s by default); a
// nudge stops that judgement and starts a fresh one at once, without waiting
// for the attempt in flight (its result is dropped).

export interface TaskPollerOptions {
  /** One round: judge what there is to judge. 'again' to go on at once (a task just passed). */
  round(signal: AbortSignal): Promise<'again' | 'wait'>
  /** Between the starts of two rounds, unless nudged. */
  everyMs?: number
  /** A round that throws: said, and the poller goes on after a pause. */
  onError?(e: unknown): void
}

export interface TaskPoller {
  /** Judge again now: a round in flight is stopped and started afresh. */
  nudge(): void
  /** No rounds until resume(); resolves once the round in flight has ended. */
  pause(): Promise<void>
  resume(): void
  stop(): Promise<void>
}

export function startTaskPoller(opts: TaskPollerOptions): TaskPoller {
  const everyMs = opts.everyMs ?? 1000
  let stopped = false
  let paused = 0
  let inFlight: AbortController | undefined
  let wake: (() => void) | undefined
  let nudged = false
  /** Rounds not yet ended, the stopped ones too: pause() and stop() wait for them. */
  const unsettled = new Set<Promise<unknown>>()
  const idle = async () => {
    while (unsettled.size) await Promise.all([...unsettled])
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })

  const loop = async () => {
    while (!stopped) {
      if (paused > 0) {
        await sleep(3_600_000)
        continue
      }
      const t0 = performance.now()
      nudged = false
      const ac = new AbortController()
      inFlight = ac
      const round = opts.round(ac.signal).catch((e: unknown) => {
        if (!ac.signal.aborted) opts.onError?.(e)
        return 'wait' as const
      })
      unsettled.add(round)
      void round.finally(() => unsettled.delete(round))
      const cut = new Promise<'wait'>((resolve) => ac.signal.addEventListener('abort', () => resolve('wait'), { once: true }))
      const next = await Promise.race([round, cut])
      if (inFlight === ac) inFlight = undefined
      if (stopped) break
      if (nudged || (next === 'again' && !ac.signal.aborted)) continue
      await sleep(Math.max(0, everyMs - (performance.now() - t0)))
    }
  }
  void loop()

  return {
    nudge() {
      nudged = true
      inFlight?.abort()
      wake?.()
    },
    async pause() {
      paused++
      inFlight?.abort()
      await idle()
    },
    resume() {
      paused = Math.max(0, paused - 1)
      if (paused === 0) wake?.()
    },
    async stop() {
      stopped = true
      inFlight?.abort()
      wake?.()
      await idle()
    },
  }
}
