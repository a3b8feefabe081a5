// Issue 12, class 6: inherited descriptors. Whoever starts nslab may have
// other files open (here descriptor 201, on a file only root may write);
// nslab must not hand them to a lab. The attack lists the descriptors its
// shell starts with and writes to 201, and to /proc/PID/fd/201 of every
// process of its lab (pid 1 of a learner's lab host was started by
// `nslab up`, which had it too). As root and as an ordinary user, through
// `nslab run`, `nslab grade` and learner mode.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { attackThrough, DOORS } from '../helpers/attack-doors.js'
import { fdAttack, fdsOf } from '../helpers/attack-scripts.js'
import { PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'
import { assertUntouched, watchMachine } from '../helpers/watch-machine.js'

requireBuild()

/** What bash itself may hold: the standard three, and 255 for a script it reads from a file. */
const BASH_OWN = new Set(['0', '1', '2', '255'])

for (const as of PEOPLE) {
  for (const door of DOORS) {
    t.test(`as ${as}, through ${door}: no descriptor of the caller reaches the lab`, async (t) => {
      const s = scratch(as)
      t.teardown(s.cleanup)
      const w = await watchMachine(t, as)
      const file = join(s.dir, 'fd201')
      writeFileSync(file, '', { mode: 0o600 })
      const a = await attackThrough(door, as, fdAttack(w.aim), { dir: s.dir, home: `${s.dir}/home`, fd201: file })
      t.match(a.output, /ATTACK-BEGIN[\s\S]*ATTACK-END/, 'the attack ran to its end', { log: a.log })
      const fds = fdsOf(a.output)
      t.ok(fds.length >= 3, `the shell listed its descriptors (${fds.join(' ')})`)
      t.same(fds.filter((fd) => !BASH_OWN.has(fd)), [], 'it starts with no descriptor but its own')
      t.equal(readFileSync(file, 'utf8'), '', 'nothing was written to the caller’s descriptor 201')
      t.notMatch(a.output, /^WROTE-/m, 'no write to a descriptor 201 succeeded')
      await assertUntouched(t, w, `${as} via ${door}`)
    })
  }
}
