// Issue 12, class 2: a network escape through /proc. From inside a lab, for
// every process it can see (in its own /proc, in the /proc under it, in a
// fresh procfs): read environ and cmdline, follow root, cwd and ns/net, open
// mem for writing; write code that connects to the machine's loopback into
// the lab host's own processes outside its pid namespace (the outer unshare
// that owns it) and their parents; enter every network namespace it can name
// (nsenter --net=/proc/PID/ns/net) and connect with bash's /dev/tcp and curl.
// A listener on the machine's 127.0.0.1 must get nothing, also after the
// lab host's teardown (when the outer unshare's wait returns), and the
// process outside must stay invisible.
import t from 'tap'
import { attackThrough, DOORS } from '../helpers/attack-doors.js'
import { procReachAttack } from '../helpers/attack-scripts.js'
import { PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'
import { assertUntouched, watchMachine } from '../helpers/watch-machine.js'

requireBuild()

for (const as of PEOPLE) {
  for (const door of DOORS) {
    t.test(`as ${as}, through ${door}: /proc reaches no process and no network outside`, async (t) => {
      const s = scratch(as)
      t.teardown(s.cleanup)
      const w = await watchMachine(t, as)
      const a = await attackThrough(door, as, procReachAttack(w.aim), { dir: s.dir, home: `${s.dir}/home` })
      t.match(a.output, /ATTACK-BEGIN[\s\S]*ATTACK-END/, 'the attack ran to its end', { log: a.log })
      t.match(a.output, /^REACH own-proc [1-9]\d* processes/m, 'it surveyed the processes its own /proc shows')
      t.notMatch(a.output, w.sleeper.marker, 'the process outside was never seen')
      t.notMatch(a.output, /^(SAW-MARKER|SAW-LISTENER|SIGNALLED|CONNECTED)/m, 'nor the listening socket; no signal sent, no connection made')
      await assertUntouched(t, w, `${as} via ${door}`)
      const got = a.output.split('\n').filter((l) => /^(INJECTED|CONNECTED|SAW-|OUTSIDE-OWN|REACH)/.test(l))
      if (got.length) t.comment(`the attack reported:\n${got.slice(0, 20).join('\n')}`)
    })
  }
}
