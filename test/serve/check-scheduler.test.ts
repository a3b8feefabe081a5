// The server's queue of checks: never more than its slots at once, a check the
// learner asked for (urgent) before every routine one waiting, routine ones in
// the order they came, and one aborted while waiting never runs. Checks here
// end when the test says so: no timing in the assertions.
import t from 'tap'
import { createCheckScheduler } from '../../runner/serve/check-scheduler.js'

/** A check that ends when told: started in `log`, ended by finish(name). */
function checks() {
  const log: string[] = []
  const enders = new Map<string, () => void>()
  let running = 0
  let most = 0
  const check = (name: string) => () =>
    new Promise<string>((resolve) => {
      running++
      most = Math.max(most, running)
      log.push(name)
      enders.set(name, () => {
        running--
        resolve(name)
      })
    })
  const finish = async (name: string) => {
    enders.get(name)!()
    // Let the scheduler hand the slot on (a few microtask turns).
    await new Promise((r) => setImmediate(r))
  }
  return { log, check, finish, most: () => most }
}

const tick = () => new Promise((r) => setImmediate(r))

t.test('at most its slots at once; the rest wait their turn', async (t) => {
  const s = createCheckScheduler(2)
  const c = checks()
  const ac = new AbortController()
  const all = ['a', 'b', 'c', 'd', 'e'].map((n) => s.run(false, ac.signal, c.check(n)))
  await tick()
  t.same(c.log, ['a', 'b'], 'two run, three wait')
  t.same(s.load(), { running: 2, waiting: 3 })
  await c.finish('a')
  t.same(c.log, ['a', 'b', 'c'], 'a slot freed: the next in line runs')
  for (const n of ['b', 'c', 'd', 'e']) await c.finish(n)
  t.same(await Promise.all(all), ['a', 'b', 'c', 'd', 'e'], 'each gets its own result')
  t.equal(c.most(), 2, 'never more than two at once')
  t.same(s.load(), { running: 0, waiting: 0 })
})

t.test('a check the learner asked for goes before the routine ones waiting', async (t) => {
  const s = createCheckScheduler(1)
  const c = checks()
  const ac = new AbortController()
  const routine = ['r1', 'r2', 'r3'].map((n) => s.run(false, ac.signal, c.check(n)))
  await tick()
  const urgent = [s.run(true, ac.signal, c.check('u1')), s.run(true, ac.signal, c.check('u2'))]
  await tick()
  t.same(c.log, ['r1'], 'the slot is taken: nothing else starts')
  for (const n of ['r1', 'u1', 'u2', 'r2', 'r3']) await c.finish(n)
  t.same(c.log, ['r1', 'u1', 'u2', 'r2', 'r3'], 'urgent ones next, in their order; then the routine ones, in theirs')
  await Promise.all([...routine, ...urgent])
})

t.test('aborted while waiting: it never runs, and its turn goes to the next', async (t) => {
  const s = createCheckScheduler(1)
  const c = checks()
  const keep = new AbortController()
  const drop = new AbortController()
  const first = s.run(false, keep.signal, c.check('first'))
  const dropped = s.run(true, drop.signal, c.check('dropped'))
  const last = s.run(false, keep.signal, c.check('last'))
  await tick()
  drop.abort(new Error('nudged again'))
  await t.rejects(dropped, { message: 'nudged again' }, 'its promise says why')
  t.same(s.load(), { running: 1, waiting: 1 }, 'it left the queue')
  await c.finish('first')
  await c.finish('last')
  t.same(c.log, ['first', 'last'], 'the dropped one never started')
  await Promise.all([first, last])
  await t.rejects(s.run(false, drop.signal, c.check('late')), { message: 'nudged again' }, 'aborted before asking: refused at once')
  t.same(c.log, ['first', 'last'])
})

t.test('a check that throws frees its slot', async (t) => {
  const s = createCheckScheduler(1)
  const ac = new AbortController()
  await t.rejects(
    s.run(false, ac.signal, async () => {
      throw new Error('boom')
    }),
    { message: 'boom' },
  )
  t.equal(await s.run(false, ac.signal, async () => 'next'), 'next', 'the next one runs')
  t.same(s.load(), { running: 0, waiting: 0 })
})
