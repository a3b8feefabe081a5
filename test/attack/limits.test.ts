// Class 8's last part: `nslab run` limits each lab host's processes and
// memory by default (a cgroup as root, rlimits as an ordinary user), so a
// fork bomb or a memory hog in a lab stops at its own limit. Each scenario
// gives the limit under test room to fire: the step's own timeout is long.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { nslab, PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'

requireBuild()

const lab = (body: string) =>
  ['---', 'title: limits', 'topology:', '  docker: false', '---', '', '```sh step timeout=60s exit=any', body, '```', '', '```check', 'stdout "LIMIT-HELD"', '```', ''].join('\n')

// 2000 sleepers against a limit of 100 (rlimits count the user's other processes too: a little more): forks are refused (the flooding shell dies of it); the
// count and the cleanup use bash's builtins only, which need no process.
const forkFlood = `set +e; ( for i in $(seq 2000); do sleep 30 & echo $! >> /tmp/pids; done ) 2>/dev/null
mapfile -t p < /tmp/pids; echo "started \${#p[@]}"; kill "\${p[@]}" 2>/dev/null
[ "\${#p[@]}" -le 150 ] && echo LIMIT-HELD`
// An endless line kept in memory: killed, or refused its memory.
const memoryHog = `set +e; tail /dev/zero >/dev/null 2>/tmp/err; rc=$?
echo "tail ended with $rc: $(cat /tmp/err)"
[ $rc -ne 0 ] && echo LIMIT-HELD`

for (const as of PEOPLE) {
  t.test(`as ${as}: a fork flood stops at --max-procs`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const file = join(s.dir, 'flood.md')
    writeFileSync(file, lab(forkFlood))
    const r = await nslab(as, ['run', '--max-procs', '100', '--verbose', file], { home: join(s.dir, 'home'), timeoutMs: 150_000 })
    t.equal(r.code, 0, `the lab passes: the limit held\n${r.stdout}${r.stderr}`)
    t.match(r.stdout, /LIMIT-HELD/)
  })

  t.test(`as ${as}: a memory hog stops at --memory`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const file = join(s.dir, 'hog.md')
    writeFileSync(file, lab(memoryHog))
    const r = await nslab(as, ['run', '--memory', '128M', '--verbose', file], { home: join(s.dir, 'home'), timeoutMs: 150_000 })
    t.equal(r.code, 0, `the lab passes: the limit held\n${r.stdout}${r.stderr}`)
    t.match(r.stdout, /tail ended with (137|1)\b/, 'killed (cgroup) or refused memory (rlimit)')
  })
}

t.test('--no-limits goes alone; the limits options are checked', async (t) => {
  const s = scratch('user')
  t.teardown(s.cleanup)
  const home = join(s.dir, 'home')
  const bad = await nslab('user', ['run', '--no-limits', '--memory', '1G', 'labs'], { home })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--no-limits goes alone/)
  const small = await nslab('user', ['run', '--memory', '1M', 'labs'], { home })
  t.equal(small.code, 2)
  t.match(small.stderr, /--memory must be at least 64M/)
})
