// A lab host's limits are one plan (lab-limits.ts): the perl init joins and
// sets them itself, every bash of the lab (its init without perl, each step
// and shell) runs limitsShell's lines first. Those lines are the ones the
// limits were always written as, and bash does what they say.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { limitsShell } from '../../runner/host/lab-limits.js'

t.test('the lines of each plan', async (t) => {
  t.equal(
    limitsShell({ cgroupFds: 3, rlimits: [{ resource: 'core', value: 0 }] }),
    `{ echo 0 >&4; echo 0 >&5; echo 0 >&6; } || { echo "nslab: cannot join the lab host's cgroup" >&2; exit 125; }; exec 4>&- 5>&- 6>&-; ulimit -H -S -c 0 2>/dev/null || :; `,
    "root's: the cgroups, then no core files",
  )
  t.equal(
    limitsShell({ cgroupFds: 0, rlimits: [{ resource: 'core', value: 0 }, { resource: 'nproc', value: 1500 }, { resource: 'as', value: 2 * 1024 ** 3 }] }),
    'ulimit -H -S -c 0 2>/dev/null || :; ulimit -H -S -u 1500 2>/dev/null || :; ulimit -H -S -v 2097152 2>/dev/null || :; ',
    "a user's: rlimits, memory in KiB as ulimit counts it",
  )
  t.equal(limitsShell({ cgroupFds: 2, rlimits: [] }), `{ echo 0 >&4; echo 0 >&5; } || { echo "nslab: cannot join the lab host's cgroup" >&2; exit 125; }; exec 4>&- 5>&-; `, "an engine's lab host: the cgroups alone")
  t.equal(limitsShell({ cgroupFds: 0, rlimits: [] }), '', 'none')
})

t.test('bash does what they say', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-limits-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const procs = join(dir, 'cgroup.procs')
  const fd = openSync(procs, 'w')
  const lines = limitsShell({ cgroupFds: 1, rlimits: [{ resource: 'core', value: 0 }, { resource: 'nproc', value: 4321 }, { resource: 'as', value: 1024 ** 3 }] })
  const r = spawnSync('bash', ['-c', `${lines}ulimit -H -c; ulimit -S -u; ulimit -S -v; [ -e /proc/self/fd/4 ] && echo fd4 || echo no fd4`], { stdio: ['ignore', 'pipe', 'pipe', 'ignore', fd], encoding: 'utf8' })
  closeSync(fd)
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, '0\n4321\n1048576\nno fd4\n', 'its rlimits set, the cgroup descriptor closed after')
  t.equal(readFileSync(procs, 'utf8'), '0\n', 'it wrote 0 to join the cgroup')
  const none = spawnSync('bash', ['-c', `${limitsShell({ cgroupFds: 1, rlimits: [] })}echo ran`], { encoding: 'utf8' })
  t.equal(none.status, 125, 'no descriptor to join by: exit 125')
  t.equal(none.stdout, '', 'and nothing after it ran')
  t.match(none.stderr, /nslab: cannot join the lab host's cgroup/)
})
