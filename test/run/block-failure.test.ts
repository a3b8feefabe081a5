import t from 'tap'
import { blockFailure } from '../../runner/run/block-failure.js'
import { combineReporters } from '../../runner/report/combine-reporters.js'
import type { Reporter } from '../../runner/report/reporter.js'
import type { RunEvent } from '../../runner/run/run-event.js'
import { summarizeRun } from '../../runner/run/summarize-run.js'
import { errorLab, exec, failLab, nastyLab, passLab, result, script } from '../fixtures/sample-run.js'

t.test('a failed check: its sentence, line, expected/got, evidence, hint', async (t) => {
  const f = blockFailure(failLab.blocks[4]!)
  t.match(f, {
    message: 'box1 got replies from 203.0.113.10 (1 sent, 1 received)',
    line: 32,
    expected: 'no reply',
    got: '1 received',
    hint: 'Rewrite the source of traffic from 172.17.0.0/16 in nat POSTROUTING',
  })
  t.equal(f.evidence.length, 1)
  t.equal(f.failedChecks.length, 1)
})

t.test('several failed checks: the block message, the first failed line, all evidence', async (t) => {
  const f = blockFailure(nastyLab.blocks[2]!)
  t.equal(f.message, '2 of 3 checks failed')
  t.equal(f.line, 21)
  t.same(f.failedChecks.map((c) => c.check.line), [21, 23])
  t.equal(f.evidence.length, 2)
})

t.test('scripts: exit status, time-outs, signals', async (t) => {
  const failed = blockFailure(result(0, script(5, 'false'), 'fail', 5, { exec: exec('host', 'false', '', 1) }))
  t.match(failed, { message: 'exit 1, expected exit 0', expected: 'exit 0', got: 'exit 1', line: 5 })
  t.same(failed.evidence, [{ machine: 'host', command: 'false', exitCode: 1, output: '' }])
  const timedOut = blockFailure(result(0, script(5, 'sleep 60', { exit: 'any' }), 'fail', 10_000, { exec: exec('host', 'sleep 60', '', null, { timedOut: true, durationMs: 10_000, signal: 'SIGKILL' }) }))
  t.match(timedOut, { message: 'timed out after 10 s', got: 'timed out after 10 s' })
  t.notOk('expected' in timedOut)
  const killed = blockFailure(result(0, script(5, 'x'), 'fail', 1, { message: 'killed', exec: exec('host', 'x', '', null, { signal: 'SIGTERM' }) }))
  t.match(killed, { message: 'killed', expected: 'exit 0', got: 'killed by SIGTERM' })
})

t.test('output blocks: expected lines and what was printed', async (t) => {
  const f = blockFailure(nastyLab.blocks[1]!)
  t.equal(f.expected, '...\nline {*} <tag> & "x"\n...')
  t.equal(f.got, nastyLab.blocks[1]!.exec!.output)
})

t.test('summarizeRun counts labs, blocks and check lines', async (t) => {
  t.same(summarizeRun([passLab, failLab, errorLab]), {
    labs: { total: 3, passed: 1, failed: 1, errors: 1, skipped: 0 },
    blocks: { total: 12, passed: 9, failed: 1, skipped: 2 },
    checks: { total: 5, passed: 4, failed: 1 },
  })
})

t.test('combineReporters: every reporter gets every event, even when one throws', async (t) => {
  const seen: string[] = []
  const ok = (name: string): Reporter => ({ onEvent: (e) => void seen.push(`${name}:${e.type}`), close: async () => void seen.push(`${name}:close`) })
  const throwing: Reporter = {
    onEvent: () => {
      throw new Error('boom')
    },
    close: async () => {
      throw new Error('close boom')
    },
  }
  const all = combineReporters([ok('a'), throwing, ok('b')])
  const event: RunEvent = { type: 'run-start', files: [], jobs: 1, time: 0 }
  t.throws(() => all.onEvent(event), { message: 'boom' })
  await t.rejects(all.close(), { message: 'close boom' })
  t.same(seen, ['a:run-start', 'b:run-start', 'a:close', 'b:close'])
})
