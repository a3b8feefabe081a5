// The conventions of a command-line tool, as a new user meets them: every
// option in its command's --help, `nslab help CMD`, one form of usage error
// on stderr (never the whole help), suggestions for typos, exit codes.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { COMMANDS } from '../../runner/cli/command-table.js'
import { COMMON_OPTIONS } from '../../runner/cli/parse-command-args.js'
import { INTERNAL_ERROR_EXIT, reportFatal } from '../../runner/cli/report-fatal.js'
import { NslabError } from '../../runner/util/nslab-error.js'
import { CLI, requireBuild } from '../helpers/learner-cli.js'

requireBuild()
const dir = mkdtempSync(join(tmpdir(), 'nslab-conventions-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** nslab as a user runs it, from an empty folder, without colour. */
function nslab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', NSLAB_STATE_DIR: join(dir, 'state'), ...env },
    timeout: 120_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.test('every option of every command is in its --help', async (t) => {
  for (const c of COMMANDS) {
    const m = await c.load()
    t.match(m.help, new RegExp(`^Usage: nslab ${c.name}\\b`), `nslab ${c.name} --help starts with its usage`)
    for (const [name, o] of Object.entries({ ...COMMON_OPTIONS, ...m.options })) {
      t.ok(m.help.includes(`--${name}`), `nslab ${c.name} --help says --${name}`)
      if ('short' in o && o.short) t.match(m.help, new RegExp(`(^|[\\s,])-${o.short}[\\s,]`), `nslab ${c.name} --help says -${o.short}`)
    }
  }
})

t.test('nslab help CMD is nslab CMD --help, on stdout, exit 0', async (t) => {
  for (const c of COMMANDS) {
    const a = nslab(['help', c.name])
    const b = nslab([c.name, '--help'])
    const m = await c.load()
    t.equal(a.code, 0, `nslab help ${c.name}: exit 0`)
    t.equal(a.stdout, m.help, `nslab help ${c.name} prints its help`)
    t.equal(b.stdout, a.stdout, `nslab ${c.name} --help prints the same`)
    t.equal(a.stderr, '')
  }
  const check = nslab(['check', '--help']).stdout
  for (const o of ['--target', '-i, --identity', '--sudo', '--watch']) t.ok(check.includes(o), `nslab check --help shows ${o}`)
  const general = nslab(['--help'])
  t.equal(general.code, 0)
  for (const c of COMMANDS) t.match(general.stdout, new RegExp(`^  ${c.name} +\\S`, 'm'), `nslab --help lists ${c.name}`)
  t.equal(nslab(['help']).stdout, general.stdout, 'nslab help is nslab --help')
})

/** A usage error: exactly two lines on stderr, nothing on stdout, exit 2. */
function usage(t: Test, args: string[], first: string, command = `nslab ${args[0]}`) {
  const r = nslab(args)
  t.equal(r.stderr, `${first}\nTry '${command} --help'.\n`, `nslab ${args.join(' ')}`)
  t.equal(r.stdout, '', 'nothing on stdout')
  t.equal(r.code, 2, 'exit 2')
}

t.test('one form of usage error for every command, with a suggestion for a typo', async (t) => {
  for (const c of COMMANDS) {
    const args = c.name === 'report' ? ['report', 'merge', '--bogus-option'] : [c.name, '--bogus-option']
    const command = c.name === 'report' ? 'nslab report merge' : `nslab ${c.name}`
    usage(t, args, `${command}: unknown option --bogus-option`, command)
  }
  usage(t, ['run', '--verbos'], 'nslab run: unknown option --verbos (did you mean --verbose?)')
  usage(t, ['run', '--kernl', 'debian:bookworm'], 'nslab run: unknown option --kernl (did you mean --kernel?)')
  usage(t, ['lint', '--fromat', 'json'], 'nslab lint: unknown option --fromat (did you mean --format?)')
  usage(t, ['grade', '--jsno', 'x'], 'nslab grade: unknown option --jsno (did you mean --json?)')
  usage(t, ['run', '--jobs'], 'nslab run: --jobs needs a value')
  usage(t, ['run', '-j'], 'nslab run: --jobs needs a value')
  usage(t, ['run', '--jobs', 'many'], 'nslab run: --jobs takes a whole number ≥ 1, not "many"')
  usage(t, ['run', '--bail=yes'], 'nslab run: --bail takes no value')
  usage(t, ['run', '--json', '--bail'], 'nslab run: --json needs a value (to give one that starts with -, write --json=VALUE)')
  usage(t, ['run', '--timeout', 'soon'], 'nslab run: --timeout: "soon" is not a duration: write a number and a unit, such as 10s, 500ms, 1.5s or 2m')
  usage(t, ['run', '--shard', '3/2'], 'nslab run: --shard takes K/N with 1 ≤ K ≤ N (e.g. 2/4), not "3/2"')
  usage(t, ['run', '--accel', 'kvm'], 'nslab run: --accel applies to a run in VMs: add --kernel SPEC')
  usage(t, ['run', '--json', '-', '--junit', '-'], 'nslab run: only one report can go to stdout: --json - or --junit -, and the other to a file')
  usage(t, ['lint', '--format', 'xml'], 'nslab lint: --format takes text or json, not "xml"')
  usage(t, ['report'], 'nslab report: which report command? There is: merge (nslab report merge FILES…)')
  usage(t, ['report', 'mrege'], 'nslab report: unknown report command mrege (did you mean merge?)')
  usage(t, ['up'], 'nslab up: which lab? Name one: nslab up snat-outbound (nslab labs lists them)')
  usage(t, ['shell', 'a', 'b'], 'nslab shell: takes one lab name; a command goes after --: nslab shell a -- b')
  usage(t, ['down', 'a', 'b'], 'nslab down: takes one lab name, or --all')
})

t.test('an unknown command: a suggestion, two lines, exit 2', async (t) => {
  usage(t, ['rnu'], 'nslab: unknown command rnu (did you mean run?)', 'nslab')
  usage(t, ['lnit', 'x.md'], 'nslab: unknown command lnit (did you mean lint?)', 'nslab')
  usage(t, ['frobnicate'], 'nslab: unknown command frobnicate', 'nslab')
  usage(t, ['--verison'], 'nslab: unknown option --verison (did you mean --version?)', 'nslab')
  usage(t, ['help', 'porve'], 'nslab: unknown command or topic porve (did you mean prove?)', 'nslab')
})

t.test('--version, and the tables of nslab help', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  for (const a of ['--version', '-v', 'version']) t.equal(nslab([a]).stdout, `${pkg.version}\n`, a)
  t.match(nslab(['help', 'exit-codes']).stdout, /^Exit codes:\n {2}0 /)
  t.match(nslab(['help', 'environment']).stdout, /^Environment:\n {2}NO_COLOR /)
})

t.test('exit 70: an exception that is no NslabError is a bug of nslab, said in one line', async (t) => {
  const written: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((s: string) => (written.push(s), true)) as typeof process.stderr.write
  let code: number
  let usageCode: number
  try {
    code = reportFatal(new TypeError("Cannot read properties of undefined (reading 'file')"))
    usageCode = reportFatal(new NslabError({ code: 'PREREQUISITE', message: 'this machine lacks `ip`', fix: 'apt-get install iproute2' }))
  } finally {
    process.stderr.write = write
  }
  t.equal(code, 70)
  t.equal(INTERNAL_ERROR_EXIT, 70)
  t.match(written[0], /^nslab: internal error: Cannot read properties of undefined \(reading 'file'\)\n$/)
  t.notMatch(written.join(''), /\n\s+at /, 'no stack trace unless NSLAB_DEBUG is set')
  t.equal(usageCode, 3, 'a missing prerequisite is 3')
})

t.test('lint: diagnostics on stdout, as file:line:column: message [rule], or JSON', async (t) => {
  const file = join(dir, 'bad.md')
  writeFileSync(file, ['---', 'title: bad', 'topology:', '  docker: true', '  containers: [box1]', '---', '', '```sh step on=bxo1', 'true', '```', '', '```check', 'pnig box1 host', '```', ''].join('\n'))
  const text = nslab(['lint', 'bad.md'])
  t.equal(text.code, 2)
  t.equal(text.stderr, '', 'nothing on stderr: the findings are the output')
  t.equal(
    text.stdout,
    'bad.md:8:15: unknown machine "bxo1" in on= (did you mean "box1"?) [machine]\nbad.md:13:1: unknown check "pnig" (did you mean "ping"?) [check]\n1 of 1 lab invalid (2 problems)\n',
  )
  const json = nslab(['lint', '--format', 'json', 'bad.md'])
  t.equal(json.code, 2)
  t.same(JSON.parse(json.stdout), [
    { file: 'bad.md', line: 8, column: 15, message: 'unknown machine "bxo1" in on= (did you mean "box1"?)', rule: 'machine', severity: 'error' },
    { file: 'bad.md', line: 13, column: 1, message: 'unknown check "pnig" (did you mean "ping"?)', rule: 'check', severity: 'error' },
  ])
  writeFileSync(file, '---\ntitle: good\n---\n\n```sh step\ntrue\n```\n')
  t.same(JSON.parse(nslab(['lint', '--format', 'json', 'bad.md']).stdout), [], 'a valid lab: an empty list')
  t.equal(nslab(['lint', 'bad.md']).stdout, '1 lab valid\n')
})
