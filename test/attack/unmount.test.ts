// Issue 12, class 1: the mounts a lab host makes can be taken down from
// inside, and the machine's own folders show through. Each attack takes down
// (umount, umount -l, every mount, a bind copy, mount --move, and in the lab
// host's own namespace) what the lab host put over /tmp, /var/tmp, /dev/shm,
// /var, /home, /proc, /sys, /dev, /run …, then writes a marker file there and
// lists the processes it sees. As root and as an ordinary user, through
// `nslab run`, `nslab grade` and learner mode.
import t from 'tap'
import { attackThrough, DOORS } from '../helpers/attack-doors.js'
import { unmountAttack } from '../helpers/attack-scripts.js'
import { PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'
import { assertUntouched, watchMachine } from '../helpers/watch-machine.js'

requireBuild()

for (const as of PEOPLE) {
  for (const door of DOORS) {
    t.test(`as ${as}, through ${door}: taking mounts down reaches nothing of the machine`, async (t) => {
      const s = scratch(as)
      t.teardown(s.cleanup)
      const w = await watchMachine(t, as)
      const a = await attackThrough(door, as, unmountAttack(w.aim), { dir: s.dir, home: `${s.dir}/home` })
      t.match(a.output, /ATTACK-BEGIN[\s\S]*ATTACK-END/, 'the attack ran to its end', { log: a.log })
      for (const d of ['/tmp', '/var/tmp', '/dev/shm']) t.match(a.output, new RegExp(`^INSIDE-OK ${d}$`, 'm'), `the lab wrote its own ${d}`)
      t.notMatch(a.output, w.sleeper.marker, 'the process outside was never listed')
      t.notMatch(a.output, /^SAW-(MARKER|LISTENER)|^SIGNALLED/m, 'nor its marker, nor the listening socket, nor a signal')
      await assertUntouched(t, w, `${as} via ${door}`)
      // What got through, for the record (assertUntouched judged it).
      const escaped = a.output.split('\n').filter((l) => /^(WROTE-OUTSIDE|SAW-|SIGNALLED|PS )/.test(l))
      if (escaped.length) t.comment(`the attack reported:\n${escaped.slice(0, 20).join('\n')}`)
    })
  }
}
