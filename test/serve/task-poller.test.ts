// The task poller's timing: a round about every second, at once after a task
// passed ('again'), and at once on a nudge without waiting for the round it
// stopped; pause() and stop() wait for every round to end.
import t from 'tap'
import { startTaskPoller } from '../../runner/serve/task-poller.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('rounds: every so often, at once after "again"', async (t) => {
  const starts: number[] = []
  let answer: 'again' | 'wait' = 'wait'
  const p = startTaskPoller({
    everyMs: 200,
    round: async () => {
      starts.push(performance.now())
      await sleep(20)
      return answer
    },
  })
  await sleep(700)
  const gaps = starts.slice(1).map((s, i) => s - starts[i]!)
  t.ok(starts.length >= 2 && starts.length <= 5, `about one round per 200 ms (${starts.length} in 700 ms)`)
  t.ok(gaps.every((g) => g >= 180), `rounds start 200 ms apart, not sooner (${gaps.map(Math.round).join(', ')})`)
  answer = 'again'
  const n = starts.length
  await sleep(300)
  t.ok(starts.length - n >= 3, `'again': the next round at once (${starts.length - n} in 300 ms)`)
  answer = 'wait'
  await p.stop()
  const after = starts.length
  await sleep(300)
  t.equal(starts.length, after, 'stopped: no more rounds')
})

t.test('a nudge stops the round in flight and starts one at once', async (t) => {
  const log: string[] = []
  let finishSlow: (() => void) | undefined
  let round = 0
  const p = startTaskPoller({
    everyMs: 10_000,
    round: async (signal) => {
      const n = ++round
      log.push(`start ${n}`)
      if (n === 1) {
        // A judgement that waits out its window: it does not end when told.
        await new Promise<void>((r) => (finishSlow = r))
        log.push(`end 1 (aborted: ${signal.aborted})`)
        return 'wait'
      }
      log.push(`end ${n}`)
      return 'wait'
    },
  })
  await sleep(50)
  p.nudge()
  await sleep(50)
  t.same(log, ['start 1', 'start 2', 'end 2'], 'the fresh round ran while the stopped one had not ended')
  let paused = false
  const pausing = p.pause().then(() => (paused = true))
  await sleep(50)
  t.notOk(paused, 'pause() waits for the stopped round too')
  finishSlow!()
  await pausing
  t.same(log.slice(-1), ['end 1 (aborted: true)'], 'which was told it was stopped')
  p.nudge()
  await sleep(50)
  t.equal(round, 2, 'paused: a nudge starts nothing')
  p.resume()
  await sleep(50)
  t.equal(round, 3, 'resumed: a round')
  await p.stop()
})
