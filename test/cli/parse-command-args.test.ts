// File names that look like options (issue 12): `nslab grade LAB *` in a class
// folder where a learner named their folder --csv=x. Each command refuses such
// a name before --, and takes it as a file after --.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseGradeFlags } from '../../runner/cli/grade-command.js'
import { parseCommandArgs, usageError } from '../../runner/cli/parse-command-args.js'
import { parseRunFlags } from '../../runner/cli/run-flags.js'
import { CLI, requireBuild, ROOT } from '../helpers/learner-cli.js'

const LAB = join(ROOT, 'test/fixtures/grade-labs/snat-mini.md')

/** A class folder as a learner could leave it: folders and files named like options. */
function classFolder(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-args-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, '--csv=x'))
  mkdirSync(join(dir, 'alice'))
  writeFileSync(join(dir, '--walkthrough'), '')
  symlinkSync('/nowhere', join(dir, '-rf'))
  return dir
}

t.test('the module: -- ends options; an option-like name of something here is refused, as data', async (t) => {
  const cwd = classFolder(t)
  const spec = { command: 'nslab grade', usage: 'nslab grade LAB -- *', cwd, options: { csv: { type: 'string' as const }, walkthrough: { type: 'boolean' as const } } }

  const folder = parseCommandArgs(['lab.md', '--csv=x', 'alice'], spec)
  t.same(folder, {
    ok: false,
    problem: {
      kind: 'option-is-a-path',
      command: 'nslab grade',
      arg: '--csv=x',
      what: 'folder',
      usage: 'nslab grade LAB -- *',
      message: '"--csv=x" is a folder here, not an option; put -- before file names: nslab grade LAB -- *',
    },
  })
  const file = parseCommandArgs(['lab.md', '--walkthrough', 'alice'], spec)
  t.match(file, { ok: false, problem: { what: 'file', arg: '--walkthrough' } }, 'a known boolean option, named by a file, is refused too')
  t.match(parseCommandArgs(['lab.md', '-rf'], spec), { ok: false, problem: { what: 'symbolic link' } }, 'a dangling link is something here')

  const after = parseCommandArgs(['lab.md', '--csv', 'g.csv', '--', '--csv=x', '--walkthrough', '-rf', 'alice'], spec)
  t.ok(after.ok)
  if (after.ok) {
    t.same(after.positionals, ['lab.md', '--csv=x', '--walkthrough', '-rf', 'alice'], 'after --, every name is a file')
    t.same(after.values, { csv: 'g.csv' })
    t.ok(after.tokens.some((k) => k.kind === 'option-terminator'), 'the tokens are there for a command that wants them')
  }
  t.same(parseCommandArgs(['lab.md', '--csv=y'], spec), { ok: true, values: { csv: 'y' }, positionals: ['lab.md'], tokens: [{ kind: 'positional', index: 0, value: 'lab.md' }, { kind: 'option', name: 'csv', rawName: '--csv', index: 1, value: 'y', inlineValue: true }] }, 'an option that names nothing here is an option')

  const unknown = parseCommandArgs(['--bogus'], spec)
  t.match(unknown, { ok: false, problem: { kind: 'invalid', code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION', message: 'unknown option --bogus' } })
  if (!unknown.ok) {
    const e = usageError(unknown.problem, 'HELP')
    t.equal(e.code, 'USAGE')
    t.equal(e.exitCode, 2)
    t.equal(e.command, 'nslab grade')
    t.equal(e.message, 'unknown option --bogus', 'nslab\'s sentence, never the help')
  }
  const misspelt = parseCommandArgs(['--walkthroguh'], spec)
  t.match(misspelt, { ok: false, problem: { message: 'unknown option --walkthroguh (did you mean --walkthrough?)' } })
  if (!folder.ok) t.equal(usageError(folder.problem, 'HELP').message, folder.problem.message, 'the refusal alone, without the help')
  // A name's controls are shown, not sent to the terminal.
  writeFileSync(join(cwd, '--x\x1b[2J'), '')
  t.match(parseCommandArgs(['--x\x1b[2J'], spec), { ok: false, problem: { message: /^"--x\\x1b\[2J" is a file here/ } })
})

t.test('nslab grade and nslab run read their flags so', async (t) => {
  const dir = classFolder(t)
  const was = process.cwd()
  process.chdir(dir)
  t.teardown(() => process.chdir(was))
  t.throws(() => parseGradeFlags(['lab.md', '--csv=x', 'alice', '--walkthrough']), { code: 'USAGE', message: /^"--csv=x" is a folder here, not an option; put -- before file names: nslab grade LAB -- \*$/ })
  const f = parseGradeFlags(['lab.md', '--csv', 'g.csv', '--', '--csv=x', '--walkthrough', 'alice'])
  t.ok(f !== 'help')
  if (f !== 'help') {
    t.same(f.submissions, ['--csv=x', '--walkthrough', 'alice'], 'the learners, all three')
    t.equal(f.csv, 'g.csv', 'the gradebook goes where the instructor said')
    t.equal(f.walkthrough, false)
  }
  t.throws(() => parseRunFlags(['--walkthrough']), { code: 'USAGE', message: /"--walkthrough" is a file here/ })
  t.same((parseRunFlags(['--', '--csv=x']) as { paths: string[] }).paths, ['--csv=x'])
})

t.test('every command that takes files, from the command line', async (t) => {
  requireBuild()
  const dir = classFolder(t)
  const nslab = (args: string[]) => spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 })
  const refused: [string[], string][] = [
    [['grade', LAB, '--csv=x', 'alice'], 'nslab grade: "--csv=x" is a folder here, not an option; put -- before file names: nslab grade LAB -- *\n'],
    [['run', '--walkthrough'], 'nslab run: "--walkthrough" is a file here, not an option; put -- before file names: nslab run [options] -- LABS…\n'],
    [['run', '--kernel', 'debian:bookworm', '-rf'], 'nslab run: "-rf" is a symbolic link here, not an option; put -- before file names: nslab run [options] -- LABS…\n'],
    [['prove', '--csv=x'], 'nslab prove: "--csv=x" is a folder here, not an option; put -- before file names: nslab prove [-j N] -- LABS…\n'],
    [['up', '--csv=x'], 'nslab up: "--csv=x" is a folder here, not an option; put -- before file names: nslab up [options] -- LAB\n'],
    [['report', 'merge', '--csv=x'], 'nslab report merge: "--csv=x" is a folder here, not an option; put -- before file names: nslab report merge [options] -- FILES…\n'],
    [['check', LAB, '--target', 'ssh://u@127.0.0.1', '--walkthrough'], 'nslab check: "--walkthrough" is a file here, not an option; put -- before file names: nslab check --target ssh://USER@HOST [options] -- LAB\n'],
    [['lint', '--csv=x'], 'nslab lint: "--csv=x" is a folder here, not an option; put -- before file names: nslab lint -- LABS…\n'],
  ]
  for (const [args, line] of refused) {
    const r = nslab(args)
    const command = line.slice(0, line.indexOf(':'))
    t.equal(r.stderr, `${line}Try '${command} --help'.\n`, args.join(' '))
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`)
    t.equal(r.stdout, '')
  }
  // After --, a lab named like an option is a lab.
  copyFileSync(LAB, join(dir, '--json=out.md'))
  const lint = nslab(['lint', '--', '--json=out.md'])
  t.equal(lint.status, 0, lint.stderr)
  t.equal(lint.stdout, '1 lab valid\n')
  const unknown = nslab(['lint', '--bogus'])
  t.equal(unknown.stderr, "nslab lint: unknown option --bogus\nTry 'nslab lint --help'.\n", 'other usage errors in the same form')
  t.equal(unknown.status, 2)
})
