// Where nslab's output goes and how it looks: colour by --color/--no-color,
// NO_COLOR/FORCE_COLOR and CI logs; --json - and --junit - on stdout; run
// --shard K/N without a kernel; nslab shell -- CMD ARGS… word by word.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { colorEnabled, setColorChoice } from '../../runner/util/colors.js'
import { CLI, learner, requireBuild, ROOT } from '../helpers/learner-cli.js'

requireBuild()
const dir = mkdtempSync(join(tmpdir(), 'nslab-output-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** The environment without anything that decides colour, as on a developer's machine. */
const plainEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(NO_COLOR|FORCE_COLOR|CI|GITHUB_ACTIONS|GITLAB_CI|GITEA_ACTIONS|BUILDKITE|CIRCLECI|DRONE|TRAVIS|APPVEYOR|WOODPECKER|TERM|NODE_OPTIONS)$/.test(k)),
)

function nslab(args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...plainEnv, ...env }, timeout: 300_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const ESC = /\x1b\[/

/** A lab that needs nothing but bash: one step and its check. */
function tinyLab(name: string): string {
  const file = join(dir, `${name}.md`)
  writeFileSync(file, ['---', `title: ${name}`, '---', '', '```sh step', `echo hello from ${name}`, '```', '', '```check', `stdout "hello from ${name}"`, '```', ''].join('\n'))
  return file
}

t.test('colorEnabled: the command line, then FORCE_COLOR, NO_COLOR, TERM, a terminal, a CI log', async (t) => {
  const pipe = { isTTY: false }
  const tty = { isTTY: true }
  t.teardown(() => setColorChoice(undefined))
  const cases: [NodeJS.ProcessEnv, { isTTY: boolean }, boolean, string][] = [
    [{}, pipe, false, 'a pipe: none'],
    [{}, tty, true, 'a terminal: colour'],
    [{ NO_COLOR: '1' }, tty, false, 'NO_COLOR'],
    [{ NO_COLOR: '' }, tty, true, 'NO_COLOR empty counts as unset'],
    [{ TERM: 'dumb' }, tty, false, 'TERM=dumb'],
    [{ FORCE_COLOR: '1' }, pipe, true, 'FORCE_COLOR'],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, pipe, true, 'FORCE_COLOR wins over NO_COLOR'],
    [{ FORCE_COLOR: '0' }, tty, false, 'FORCE_COLOR=0'],
    [{ CI: 'true' }, pipe, false, 'CI alone says nothing about the log'],
    [{ CI: 'true', GITHUB_ACTIONS: 'true' }, pipe, true, 'a GitHub Actions log'],
    [{ CI: 'true', GITLAB_CI: 'true' }, pipe, true, 'a GitLab CI log'],
    [{ CI: 'false', GITLAB_CI: 'true' }, pipe, false, 'CI=false'],
    [{ CI: 'true', GITLAB_CI: 'true', NO_COLOR: '1' }, pipe, false, 'NO_COLOR in CI'],
  ]
  for (const [env, stream, want, what] of cases) t.equal(colorEnabled(stream, env), want, what)
  setColorChoice(true)
  t.equal(colorEnabled(pipe, { NO_COLOR: '1' }), true, '--color wins over NO_COLOR')
  setColorChoice(false)
  t.equal(colorEnabled(tty, { FORCE_COLOR: '1' }), false, '--no-color wins over FORCE_COLOR')
})

t.test('--color and --no-color, before or after the command, and the environment', async (t) => {
  const lab = tinyLab('colours')
  t.notMatch(nslab(['run', lab]).stdout, ESC, 'a pipe: no colour')
  t.match(nslab(['run', lab, '--color']).stdout, ESC, '--color')
  t.match(nslab(['--color', 'run', lab]).stdout, ESC, '--color before the command')
  t.notMatch(nslab(['run', lab, '--no-color'], { FORCE_COLOR: '1' }).stdout, ESC, '--no-color wins over FORCE_COLOR')
  t.notMatch(nslab(['run', lab, '--color', '--no-color']).stdout, ESC, 'the last one given wins')
  t.match(nslab(['run', lab], { FORCE_COLOR: '1' }).stdout, ESC, 'FORCE_COLOR')
  t.match(nslab(['run', lab], { CI: 'true', GITHUB_ACTIONS: 'true' }).stdout, ESC, 'colour in a GitHub Actions log')
  t.notMatch(nslab(['run', lab], { CI: 'true' }).stdout, ESC, 'not in a log of unknown colours')
  t.notMatch(nslab(['run', lab], { CI: 'true', GITLAB_CI: 'true', NO_COLOR: '1' }).stdout, ESC, 'NO_COLOR in CI')
  t.match(nslab(['labs', '--color']).stdout, ESC, 'nslab labs too')
  t.match(nslab(['lint', lab, '--color']).stdout, /^1 lab valid\n$/, 'lint, whose output is for tools, has no colours to give')
})

t.test('--json - and --junit -: the report is stdout, people read stderr', async (t) => {
  const lab = tinyLab('to-stdout')
  const json = nslab(['run', lab, '--json', '-'])
  t.equal(json.code, 0, json.stderr)
  const report = JSON.parse(json.stdout) as { reportVersion: number; labs: { file: string; status: string }[] }
  t.equal(report.reportVersion, 1)
  t.same(report.labs.map((l) => l.status), ['pass'])
  t.match(json.stderr, /1 lab: 1 passed/, 'the terminal report on stderr')

  const junit = nslab(['run', lab, '--junit', '-', '--json', join(dir, 'also.json')])
  t.equal(junit.code, 0, junit.stderr)
  t.match(junit.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="nslab" tests="2" failures="0"/)
  t.ok(junit.stdout.trimEnd().endsWith('</testsuites>'), 'stdout is the XML and nothing else')
  const xml = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'test/fixtures/junit.xsd'), '-'], { input: junit.stdout, encoding: 'utf8' })
  t.equal(xml.status, 0, `valid JUnit ${xml.stderr}`)
  t.equal((JSON.parse(readFileSync(join(dir, 'also.json'), 'utf8')) as { labs: unknown[] }).labs.length, 1, 'the other report still goes to its file')

  t.equal(nslab(['run', lab, '--json', '-', '--reporter', 'tap']).code, 2, 'TAP and a report cannot share stdout')
  const merged = nslab(['report', 'merge', join(dir, 'also.json'), '--json', '-'])
  t.equal(merged.code, 0, merged.stderr)
  t.same((JSON.parse(merged.stdout) as { labs: { status: string }[] }).labs.map((l) => l.status), ['pass'], 'report merge --json -')
  t.match(merged.stderr, /1 lab: 1 passed/)
})

t.test('--shard K/N without --kernel: CI runners split labs/ between them', async (t) => {
  const folder = join(dir, 'shards')
  mkdirSync(folder)
  for (const n of ['a', 'b', 'c']) writeFileSync(join(folder, `${n}.md`), readFileSync(tinyLab(`lab-${n}`)))
  const seen: string[][] = []
  for (const k of [1, 2]) {
    const out = join(dir, `shard-${k}.json`)
    const r = nslab(['run', folder, '--shard', `${k}/2`, '--json', out])
    t.equal(r.code, 0, r.stdout + r.stderr)
    t.match(r.stdout, new RegExp(`^nslab: shard ${k}/2: \\d of 3 labs$`, 'm'))
    seen.push((JSON.parse(readFileSync(out, 'utf8')) as { labs: { file: string }[] }).labs.map((l) => l.file))
  }
  t.same([...seen[0]!, ...seen[1]!].sort(), ['a', 'b', 'c'].map((n) => join(folder, `${n}.md`)), 'the shards together run every lab once')
  t.ok(seen.every((s) => s.length > 0), 'each runner has work')
  const merged = nslab(['report', 'merge', join(dir, 'shard-1.json'), join(dir, 'shard-2.json')])
  t.match(merged.stdout, /3 labs: 3 passed/, 'and report merge joins them')
  const empty = nslab(['run', join(folder, 'a.md'), '--shard', '1/2'])
  t.equal(empty.code, 0, 'a shard with no lab passes')
  t.match(empty.stdout, /shard 1\/2: 0 of 1 lab/)
})

t.test('nslab shell NAME -- CMD ARGS…: each argument one word; one argument: a command line', async (t) => {
  const L = learner()
  t.teardown(() => L.cleanup())
  const lab = join(dir, 'shell-lab.md')
  writeFileSync(lab, ['---', 'title: shell words', 'topology:', '  docker: true', '  containers: [box1]', '---', '', '```check', 'ping box1 host', '```', '', '```check', 'sh host "test -e /tmp/done"', '```', ''].join('\n'))
  const up = L.nslab(['up', lab, '--name', 'words'])
  t.equal(up.code, 0, up.stdout + up.stderr)
  const words = L.nslab(['shell', 'words', '--', 'printf', '%s|', 'a b', '$HOME', "it's", ''])
  t.equal(words.code, 0, words.stderr)
  t.equal(words.stdout, "a b|$HOME|it's||", 'as docker exec: no word split, no expansion')
  const line = L.nslab(['shell', 'words', '--', 'echo $((2 + 3)) | tr 5 x; echo "$NSLAB_MACHINE"'])
  t.equal(line.stdout, 'x\nhost\n', 'one argument: run as bash -c runs it')
  t.equal(L.nslab(['shell', 'words', '--', 'sh', '-c', 'exit 7']).code, 7, 'its exit status')
  const on = L.nslab(['shell', 'words', '--on', 'box1', '--', 'cat', '/proc/self/net/dev'])
  t.match(on.stdout, /eth0:/, '--on MACHINE: there')
  t.equal(L.nslab(['shell', 'words', '--', 'no-such-program', 'x']).code, 127, 'a command that is not there: 127, as a shell says')

  // Ctrl-C is how check --watch ends: 130, as any command a signal stops; SIGTERM 143.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const watch = spawn(process.execPath, [CLI, 'check', 'words', '--watch'], { env: L.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((res) => watch.on('exit', (c) => res(c)))
    const until = Date.now() + 60_000
    while (!/Task 2 of 2/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
    t.match(out, /Task 2 of 2/, 'watching task 2')
    watch.kill(signal)
    t.equal(await exited, code, `check --watch stopped by ${signal}: exit ${code}`)
  }
  t.equal(L.nslab(['down', 'words']).code, 0)
})

t.test('nslab grade --csv -: the gradebook is stdout, the progress stderr', async (t) => {
  const LAB = join(ROOT, 'test/fixtures/grade-labs/snat-mini.md')
  const r = nslab(['grade', LAB, join(ROOT, 'test/fixtures/submissions/snat-mini/alice'), '--csv', '-'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^learner,exercise-1 \(of 2\),[^\n]*\r\nalice,2,2,4,4,100,pass,,[^\n]*\r\n$/, 'the CSV, and nothing else')
  t.match(r.stderr, /graded in /, 'the progress on stderr')
  t.notMatch(r.stderr, /wrote -/)
  t.equal(nslab(['grade', LAB, 'x', '--csv', '-', '--json', '-']).code, 2, 'one report on stdout at most')
})
