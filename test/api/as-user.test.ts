// The library as root and as an ordinary user: the same lab host, the same $
// (as root the lab's processes run as a uid of their own; as a user, as the
// user), the same checks.
import { spawnSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { appFor, OTHER_UID, PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'

requireBuild()

const script = (app: string) => `
import { labHost } from ${JSON.stringify(join(app, 'dist/runner/api/index.js'))}
const host = await labHost({ docker: true, containers: ['box1'], internet: true })
try {
  console.log('uid', (await host.$\`id -u\`).stdout.trim())
  console.log('rule', (await host.$\`iptables -t nat -S POSTROUTING\`).stdout.includes('MASQUERADE'))
  console.log('ping', (await host.on('box1').$\`ping -c 1 -W 2 internet\`.nothrow()).exitCode)
  const t0 = performance.now()
  const r = await host.on('box1').$\`sleep 60 & sleep 60\`.timeout('500ms').nothrow()
  console.log('timeout', r.signal, performance.now() - t0 < 20000)
  console.log('check', (await host.check('ping box1 internet')).ok)
  console.log('sync', host.$.sync\`echo hi\`.stdout.trim())
} finally {
  await host.close()
}
`

for (const as of PEOPLE) {
  t.test(`as ${as}`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const file = join(s.dir, 'use.mjs')
    writeFileSync(file, script(appFor(as)))
    chmodSync(file, 0o644)
    const node = ['env', '-i', `PATH=${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, `HOME=${join(s.dir, 'home')}`, 'LANG=C.UTF-8', process.execPath, file]
    const argv = as === 'user' && process.getuid?.() === 0 ? ['setpriv', `--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', '--', ...node] : node
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: s.dir, encoding: 'utf8', timeout: 120_000 })
    t.equal(r.status, 0, r.stderr)
    t.equal(r.stdout, 'uid 0\nrule true\nping 0\ntimeout SIGTERM true\ncheck true\nsync hi\n', 'root inside, docker rules, a way out, zx’s timeout, checks, sync')
  })
}
