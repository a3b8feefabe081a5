// Issue 12, class 5: System V IPC. Steps were not in the lab host's IPC
// namespace (only its pid 1 was), so shared memory, message queues and
// semaphores a lab makes stayed in the machine's after it ended. Each attack
// makes one of each with keys chosen here (and more with ipcmk); the lab
// sees its own, the machine's `ipcs` must not change. As root and as an
// ordinary user, through `nslab run`, `nslab grade` and learner mode.
import { randomInt } from 'node:crypto'
import t from 'tap'
import { attackThrough, DOORS } from '../helpers/attack-doors.js'
import { ipcAttack } from '../helpers/attack-scripts.js'
import { ipcObjects, removeIpc } from '../helpers/ipc-objects.js'
import { PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'
import { assertUntouched, watchMachine } from '../helpers/watch-machine.js'

requireBuild()

for (const as of PEOPLE) {
  for (const door of DOORS) {
    t.test(`as ${as}, through ${door}: System V IPC stays inside the lab`, async (t) => {
      const s = scratch(as)
      t.teardown(s.cleanup)
      const w = await watchMachine(t, as)
      const keys: [number, number, number] = [randomInt(0x10000000, 0x7fffffff), randomInt(0x10000000, 0x7fffffff), randomInt(0x10000000, 0x7fffffff)]
      const a = await attackThrough(door, as, ipcAttack(w.aim, keys), { dir: s.dir, home: `${s.dir}/home` })
      const hex = new Set(keys.map((k) => `0x${k.toString(16).padStart(8, '0')}`))
      // What leaked (a lab host without an IPC namespace of its steps) goes: the objects with these
      // keys, and new ones with the ids ipcmk printed — nobody else's.
      const printed = (re: RegExp) => new Set([...a.output.matchAll(re)].map((m) => m[1]))
      const ids = { m: printed(/^Shared memory id: (\d+)$/gm), q: printed(/^Message queue id: (\d+)$/gm), s: printed(/^Semaphore id: (\d+)$/gm) }
      t.teardown(() => removeIpc([...ipcObjects().filter((o) => hex.has(o.key)), ...w.newIpc().filter((o) => ids[o.kind].has(o.id))]))
      t.match(a.output, /ATTACK-BEGIN[\s\S]*ATTACK-END/, 'the attack ran to its end', { log: a.log })
      t.match(a.output, /^INSIDE-KEYS 3$/m, 'the lab made its three objects and saw them')
      t.same(ipcObjects().filter((o) => hex.has(o.key)), [], "none of them is in the machine's IPC")
      await assertUntouched(t, w, `${as} via ${door}`)
    })
  }
}
