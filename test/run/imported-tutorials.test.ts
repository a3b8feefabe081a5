// What nslab import makes of a published walk-through runs on a lab host as
// it is (issue 15): each of test/fixtures/tutorials/ imported, the checks it
// suggests written where it says a check could go, and the lab run — every
// step, output block and suggested check passes. An output the tutorial
// shows that the lab host would not print fails, so the patterns are no
// catch-all.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { importTutorial } from '../../runner/lab/import-tutorial.js'
import type { Lab } from '../../runner/lab/lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { blockFailure } from '../../runner/run/block-failure.js'
import type { LabResult } from '../../runner/run/run-event.js'
import { runLab } from '../../runner/run/run-lab.js'

const TUTORIALS = new URL('../fixtures/tutorials/', import.meta.url)

function labOf(text: string): Lab {
  const r = parseLab(text, 'imported.md')
  if (!r.lab) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.lab
}
/** The lab with each suggestion comment made a check block of its suggestions. */
const withSuggestedChecks = (text: string) =>
  text.replace(/<!-- nslab import: a check could go here, e\.g\. (.*) -->/g, (_m, s: string) => '```check\n' + s.split(' · ').join('\n') + '\n```')
const failures = (r: LabResult) => r.blocks.flatMap((b) => (b.status === 'pass' ? [] : [`${b.status} line ${b.block.line}: ${b.status === 'fail' ? blockFailure(b).message : ''}`]))

for (const name of ['netns-basics.md', 'netns-nat.md', 'container-networking.md']) {
  t.test(`${name}: the imported lab passes, with the checks it suggests`, async (t) => {
    const imported = importTutorial(readFileSync(new URL(name, TUTORIALS), 'utf8'), name).text
    const text = withSuggestedChecks(imported)
    t.not(text, imported, 'suggested checks were written in')
    const lab = labOf(text)
    const r = await runLab({ lab, emit: () => {} })
    t.same(failures(r), [], 'every block passes')
    t.ok(r.blocks.filter((b) => b.block.kind === 'check').length > 0)
    t.ok(r.blocks.filter((b) => b.block.kind === 'output').length > 0)
  })
}

t.test('an output block the lab host does not print fails', async (t) => {
  const imported = importTutorial(readFileSync(new URL('netns-basics.md', TUTORIALS), 'utf8'), 'netns-basics.md').text
  const wrong = imported.replace('10.1.1.0/24 dev veth1 proto kernel scope link src 10.1.1.1', '10.1.1.0/24 dev veth1 proto kernel scope link src 10.1.1.9')
  t.not(wrong, imported)
  const r = await runLab({ lab: labOf(wrong), emit: () => {} })
  const failed = failures(r)
  t.equal(failed.length, 1)
  t.match(failed[0], /10\.1\.1\.9/)
})
