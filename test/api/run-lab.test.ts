// runLab from the library: a lab file run as `nslab run` runs it, its result
// the LabResult the JSON report is made of; broken labs and bad options are
// the command line's errors.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runLab, shippedLab, shippedLabs, type RunEvent } from '../../runner/api/index.js'

const dir = mkdtempSync(join(tmpdir(), 'nslab-api-run-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const lab = (name: string, lines: string[]) => {
  const file = join(dir, `${name}.md`)
  writeFileSync(file, ['---', `title: ${name}`, 'topology:', '  docker: true', '  containers: [box1]', '---', '', ...lines, ''].join('\n'))
  return file
}

t.test('a shipped lab passes, with every block’s result and the run’s events', async (t) => {
  const events: RunEvent['type'][] = []
  const r = await runLab(shippedLab('dnat-port-forward'), { engine: 'netns', onEvent: (e) => events.push(e.type) })
  t.equal(r.status, 'pass', r.error ?? r.blocks.filter((b) => b.status !== 'pass').map((b) => b.message).join('\n'))
  t.equal(r.file, shippedLab('dnat-port-forward'))
  t.ok(r.blocks.length > 3)
  t.ok(r.blocks.some((b) => b.checks?.some((c) => c.ok && c.sentence)), 'checks with their sentences')
  t.equal(events[0], 'lab-start')
  t.equal(events.at(-1), 'lab-end')
  t.ok(events.includes('sandbox-up'))
})

t.test('a failing lab is a result, not an exception', async (t) => {
  const file = lab('failing', ['```sh step on=box1', 'ip link set eth0 down', '```', '', '```check', 'ping box1 host within=1s', '```'])
  const r = await runLab(file)
  t.equal(r.status, 'fail')
  const failed = r.blocks.find((b) => b.status === 'fail')
  t.match(failed?.message, /box1 could not ping host at 172\.17\.0\.1/)
})

t.test('a time limit ends the lab', async (t) => {
  const file = lab('slow', ['```sh step timeout=60s', 'sleep 50', '```'])
  const t0 = performance.now()
  const r = await runLab(file, { timeout: '1s' })
  t.equal(r.status, 'error')
  t.match(r.error, /interrupted/)
  t.ok(performance.now() - t0 < 30_000, 'well before the step would end')
})

t.test('errors are the command line’s', async (t) => {
  const broken = lab('broken', ['```check', 'ping box1 box9', '```'])
  await t.rejects(runLab(broken), { name: 'NslabError', code: 'LAB_INVALID', message: new RegExp(`${broken}:9: unknown machine "box9" \\(did you mean "box1"\\?\\)`) })
  await t.rejects(runLab(join(dir, 'missing.md')), { code: 'NOT_FOUND', message: /no such lab/ })
  await t.rejects(runLab(shippedLab('snat-outbound'), { engine: 'netnz' as never }), { code: 'USAGE', message: /unknown engine "netnz" \(did you mean "netns"\?\)/ })
  await t.rejects(runLab(shippedLab('snat-outbound'), { timeout: '5 minutes' }), { code: 'USAGE', message: /bad timeout/ })
  t.throws(() => shippedLab('snat-outbund'), { code: 'NOT_FOUND', message: /did you mean "snat-outbound"/ })
  t.same(
    shippedLabs().map((f) => f.replace(/^.*\//, '')),
    readdirSync(new URL('../../labs', import.meta.url)).filter((f) => f.endsWith('.md')).sort(),
    'every lab of labs/ (not its subfolders)',
  )
})
