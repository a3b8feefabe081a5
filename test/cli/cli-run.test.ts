// nslab run through its real command line: every shipped lab passes, the
// reports are valid, exit codes mean what the docs say, and the machine's
// own network is the same afterwards.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import t from 'tap'
import { Parser } from 'tap-parser'
import { machineState } from '../helpers/machine-state.js'

const ROOT = new URL('../..', import.meta.url).pathname
const CLI = join(ROOT, 'dist/bin/nslab.cjs')

function nslab(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  // env -u: tap hooks every node process a test starts; nslab runs as a user runs it.
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: opts.timeout ?? 300_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const dir = mkdtempSync(join(tmpdir(), 'nslab-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

// The netns labs shipped; the catalogue's labs are run and proven by test/labs/catalogue.test.ts, and
// labs/docker-publish.md (engine: docker, root only) with every shipped lab on engine: docker by
// test/host/docker/labs-on-docker.test.ts.
const SHIPPED = ['labs/container-to-container.md', 'labs/dnat-port-forward.md', 'labs/snat-outbound.md']

t.test('every shipped lab passes, with valid TAP, JUnit and JSON reports, and the machine unchanged', async (t) => {
  const before = machineState()
  const junit = join(dir, 'junit.xml')
  const json = join(dir, 'report.json')
  const r = nslab(['run', ...SHIPPED, '--reporter', 'tap', '--junit', junit, '--json', json, '-j', '2'])
  t.equal(r.code, 0, `exit 0\n${r.stdout.slice(-3000)}\n${r.stderr}`)

  const parser = new Parser()
  const done = new Promise<{ ok: boolean; count: number; fail: number }>((res) => parser.on('complete', res))
  parser.end(r.stdout)
  const results = await done
  t.ok(results.ok, 'tap-parser accepts the TAP and it is ok')
  const labs = readFileSync(join(ROOT, 'labs/container-to-container.md'), 'utf8') && 3
  t.equal(results.count, labs, 'one test per lab')
  t.equal(results.fail, 0)

  const xml = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'test/fixtures/junit.xsd'), junit], { encoding: 'utf8' })
  t.equal(xml.status, 0, `JUnit is valid XML against the schema ${xml.stderr}`)
  t.match(readFileSync(junit, 'utf8'), /<testsuite [^>]*name="labs\/snat-outbound.md"/)

  const report = JSON.parse(readFileSync(json, 'utf8')) as { labs: { file: string; status: string }[] }
  const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')) as object
  const validate = new Ajv2020Module.default({ strict: true, validateFormats: false }).compile(schema)
  t.ok(validate(report), `the JSON report follows docs/report.schema.json ${JSON.stringify(validate.errors)}`)
  t.same(
    report.labs.map((l) => [l.file, l.status]).sort(),
    [
      ['labs/container-to-container.md', 'pass'],
      ['labs/dnat-port-forward.md', 'pass'],
      ['labs/snat-outbound.md', 'pass'],
    ],
  )
  t.same(machineState(), before, "the machine's iptables, links, addresses, routes, netns and mounts are unchanged")
})

t.test('the terminal output a person reads', async (t) => {
  const r = nslab(['run', 'labs/snat-outbound.md'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /✓ check: ping box1 internet/)
  t.match(r.stdout, /1 lab: 1 passed|1 passed/)
  t.notMatch(r.stdout, /\x1b\[/, 'no colour when not a TTY (and NO_COLOR)')
})

function lab(name: string, body: string, topology = 'topology:\n  docker: true\n  containers: [box1, box2]\n  internet: true'): string {
  const file = join(dir, `${name}.md`)
  writeFileSync(file, `---\ntitle: ${name}\n${topology}\n---\n\n${body}\n`)
  return file
}

t.test('a failed check is reported with evidence and hint, and the lab goes on; exit 1', async (t) => {
  const file = lab(
    'failing-check',
    [
      '```sh step\niptables -t nat -F\n```',
      '```check hint="Put the MASQUERADE rule back"\nping box1 internet within=500ms\n```',
      '```sh step\necho still-running\n```',
      '```check\nstdout "still-running"\n```',
    ].join('\n\n'),
  )
  const json = join(dir, 'failing.json')
  const r = nslab(['run', file, '--json', json])
  t.equal(r.code, 1, 'exit 1')
  t.match(r.stdout, /✗ check: ping box1 internet/)
  t.match(r.stdout, /box1 got no reply from internet at 203\.0\.113\.10 \(1 sent, 0 received\)/)
  t.match(r.stdout, /hint: Put the MASQUERADE rule back/)
  const report = JSON.parse(readFileSync(json, 'utf8')) as { labs: { blocks: { status: string }[] }[] }
  t.same(
    report.labs[0]!.blocks.map((b) => b.status),
    ['pass', 'fail', 'pass', 'pass'],
    'the steps after a failed check still run',
  )
})

t.test('a failed step stops its lab: the rest is skipped; exit 1', async (t) => {
  const file = lab('failing-step', ['```sh step\nfalse\n```', '```sh step\necho never\n```', '```check\nping box1 box2\n```'].join('\n\n'))
  const json = join(dir, 'failing-step.json')
  const r = nslab(['run', file, '--json', json])
  t.equal(r.code, 1)
  const report = JSON.parse(readFileSync(json, 'utf8')) as { labs: { blocks: { status: string }[] }[] }
  t.same(
    report.labs[0]!.blocks.map((b) => b.status),
    ['fail', 'skip', 'skip'],
  )
})

t.test('an invalid lab: every problem as file:line, nothing runs, exit 2', async (t) => {
  const file = lab('invalid', '```check\npnig box1 box2\n```\n\n```sh step on=box9\ntrue\n```')
  const r = nslab(['run', file])
  t.equal(r.code, 2)
  t.match(r.stderr, `${file}:10: unknown check "pnig" (did you mean "ping"?)`)
  t.match(r.stderr, `${file}:13: unknown machine "box9"`)
  const lint = nslab(['lint', file])
  t.equal(lint.code, 2)
  t.equal(nslab(['lint', 'labs']).code, 0, 'the shipped labs lint clean')
  t.equal(nslab(['run', '--jobs', 'many']).code, 2, 'bad usage is exit 2')
  t.equal(nslab(['run', join(dir, 'no-such-lab.md')]).code, 2, 'a missing lab is exit 2')
})

t.test('a machine that lacks a program: one clear message naming the package, exit 3', async (t) => {
  // Hide `ip` in a mount namespace of this test's own (the machine keeps it).
  const r = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', `for p in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do [ -e $p ] && mount --bind /dev/null $p; done; exec env -u NODE_OPTIONS "$0" "$@"`, process.execPath, CLI, 'run', 'labs/snat-outbound.md'],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  )
  t.equal(r.status, 3, r.stdout + r.stderr)
  t.match(r.stderr, /lacks `ip`/)
  t.match(r.stderr, /apt-get install iproute2/)
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
})

t.test("a lab whose server is missing: the lab names its package before anything runs", async (t) => {
  const r = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', `for p in /usr/sbin/nginx /usr/bin/nginx; do [ -e $p ] && mount --bind /dev/null $p; done; exec env -u NODE_OPTIONS "$0" "$@"`, process.execPath, CLI, 'run', 'labs/dnat-port-forward.md'],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  )
  t.equal(r.status, 3, r.stdout + r.stderr)
  t.match(r.stderr, /lacks `nginx`/)
  t.match(r.stderr, /apt-get install nginx-light/)
})

t.test('nslab prove: every check of the shipped labs can fail', async (t) => {
  const r = nslab(['prove', ...SHIPPED, '-j', '2'], { timeout: 600_000 })
  t.equal(r.code, 0, r.stdout.split('\n').filter((l) => l.startsWith('✗')).join('\n') + r.stderr)
  t.match(r.stdout, / 0 cannot/)
})

t.test('nslab prove finds a check that cannot fail', async (t) => {
  const file = lab('weak', ['```sh step\necho hello\n```', '```check\nping box1 box2\n```'].join('\n\n'))
  const r = nslab(['prove', file])
  t.equal(r.code, 1)
  t.match(r.stdout, /✗ .*weak\.md:\d+ check: ping box1 box2 — still passes without step: echo hello/)
})
