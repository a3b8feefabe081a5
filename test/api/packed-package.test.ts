// Issue 20's "done when": from an empty folder with nslab installed from its
// packed package, a node-tap test file that imports nslab, starts a lab host,
// runs $ on the host and on a container, asserts with check and runs a
// shipped lab with runLab passes, and leaves nothing behind. That test file
// and the zx script are docs/api.md's own examples. A TypeScript user's code
// type-checks against the types the package ships.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import t from 'tap'
import { requireBuild, ROOT } from '../helpers/learner-cli.js'
import { machineState } from '../helpers/machine-state.js'
import { installConsumer, packNslab, run, runnableBlocks, userEnv } from './consumer-folder.js'

requireBuild()
const before = machineState()
const work = mkdtempSync(join(tmpdir(), 'nslab-consumer-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const dir = join(work, 'project')
mkdirSync(dir)
const examples = runnableBlocks(readFileSync(join(ROOT, 'docs/api.md'), 'utf8'))

t.before(() => {
  t.ok(existsSync(join(ROOT, 'dist/runner/api/index.d.ts')), 'the build has the library and its types')
  const tarball = packNslab(ROOT, work)
  copyFileSync(tarball, join(dir, basename(tarball)))
  installConsumer(ROOT, dir, tarball, ['tap'])
})

/** A cgroup for one run (root, cgroup v1 pids): whatever is left in it afterwards, that run left. */
function runCgroup(): string | undefined {
  if (process.getuid?.() !== 0) return undefined
  const own = /^\d+:([^:]*\bpids\b[^:]*):(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))
  if (!own || !existsSync('/sys/fs/cgroup/pids')) return undefined
  const cg = `/sys/fs/cgroup/pids${own[2] === '/' ? '' : own[2]}/nslab-consumer-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  try {
    mkdirSync(cg)
    return cg
  } catch {
    return undefined
  }
}

function procsUnder(cg: string): number[] {
  const pids: number[] = []
  const walk = (d: string) => {
    try {
      for (const l of readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n')) if (/^\d+$/.test(l)) pids.push(Number(l))
      const sub = run(d, 'find', [d, '-mindepth', '1', '-maxdepth', '1', '-type', 'd']).stdout.split('\n').filter(Boolean)
      for (const s of sub) walk(s)
    } catch {
      // gone meanwhile
    }
  }
  walk(cg)
  return pids
}

/** Run a program in the project folder, in a cgroup of its own; what it left running afterwards (undefined: cannot tell here). */
async function runAndWatch(file: string, args: string[], env = userEnv()) {
  const cg = runCgroup()
  const r = cg ? run(dir, 'sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, file, ...args], { env }) : run(dir, file, args, { env })
  if (!cg) return { ...r, left: undefined }
  // Lab hosts end when their init's pipe closes: give the last ones a moment.
  let left = procsUnder(cg)
  for (let i = 0; i < 100 && left.length; i++) {
    await new Promise((res) => setTimeout(res, 100))
    left = procsUnder(cg)
  }
  const shown = left.map((p) => `${p} ${run('/', 'ps', ['-o', 'user=,args=', '-p', String(p)]).stdout.trim()}`)
  for (const p of left) {
    try {
      process.kill(p, 'SIGKILL')
    } catch {
      // gone
    }
  }
  await new Promise((res) => setTimeout(res, 200))
  try {
    rmdirSync(cg)
  } catch {
    // the machine's own cleanup: an empty cgroup costs nothing
  }
  return { ...r, left: shown }
}

t.test('the package ships the library, its types and zx', async (t) => {
  const pkg = JSON.parse(readFileSync(join(dir, 'node_modules/nslab/package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }
  t.same(pkg.exports['.'], { types: './dist/runner/api/index.d.ts', import: './dist/runner/api/index.js', default: './dist/runner/api/index.js' })
  t.ok(existsSync(join(dir, 'node_modules/nslab/dist/runner/api/index.d.ts')))
  t.ok(existsSync(join(dir, 'node_modules/zx/package.json')), 'zx is installed with it')
  t.ok(existsSync(join(dir, 'node_modules/nslab/labs/snat-outbound.md')), 'the shipped labs')
  const v = run(dir, 'node_modules/.bin/nslab', ['--version'])
  t.equal(v.stdout.trim(), '0.1.0', 'and the command')
})

t.test('a TypeScript user’s code type-checks against the shipped types', async (t) => {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true }, include: ['*.ts'] }),
  )
  writeFileSync(join(dir, 'nslab.test.ts'), examples.get('nslab.test.ts') ?? '')
  // Wrong uses must be errors: were the types `any`, these expectations would be unused, and fail.
  writeFileSync(
    join(dir, 'wrong.ts'),
    [
      "import { labHost, runLab, type LabHost, type CheckResult, type LabResult } from 'nslab'",
      "// @ts-expect-error: docker is a boolean",
      "void labHost({ docker: 'yes' })",
      "// @ts-expect-error: no such option",
      "void runLab('x.md', { engin: 'netns' })",
      'export async function f(h: LabHost): Promise<[CheckResult, LabResult, string]> {',
      "  // @ts-expect-error: check takes a line",
      '  void h.check(1)',
      "  return [await h.check('ping box1 host'), await runLab('x.md'), (await h.on('box1').$`hostname`.nothrow()).stdout]",
      '}',
      '',
    ].join('\n'),
  )
  const r = run(dir, 'node_modules/.bin/tsc', ['-p', '.'])
  t.equal(r.code, 0, r.code === 0 ? 'it exits 0' : r.output)
})

t.test('docs/api.md’s node-tap test passes, and leaves nothing behind', async (t) => {
  t.ok(examples.has('nslab.test.ts'), 'docs/api.md has it')
  t.match(examples.get('nslab.test.ts'), /from 'nslab'/)
  writeFileSync(join(dir, 'nslab.test.ts'), examples.get('nslab.test.ts')!)
  const r = await runAndWatch('node_modules/.bin/tap', ['--disable-coverage', '--allow-incomplete-coverage', 'nslab.test.ts'])
  t.equal(r.code, 0, r.code === 0 ? 'it exits 0' : r.output)
  const summary = /^# \{ total: (\d+), pass: (\d+) \}$/m.exec(r.stdout)
  t.ok(summary && summary[1] === summary[2] && Number(summary[1]) >= 8, `every assertion passed: ${summary?.[0]}`)
  if (r.left === undefined) t.skip('no cgroup to count what is left (not root)', () => {})
  else t.same(r.left, [], 'no process left')
})

t.test('docs/api.md’s zx script runs by its #! line', async (t) => {
  const script = examples.get('report.mjs')
  t.match(script, /^#!\/usr\/bin\/env zx\n/)
  writeFileSync(join(dir, 'report.mjs'), script!)
  chmodSync(join(dir, 'report.mjs'), 0o755)
  const env = userEnv({ PATH: `${join(dir, 'node_modules/.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` })
  const r = await runAndWatch('./report.mjs', [], env)
  t.equal(r.code, 0, r.code === 0 ? 'it exits 0' : r.output)
  t.match(r.stdout, /^host: 172\.17\.0\.1\/16 198\.51\.100\.2\/24 \(default via 198\.51\.100\.1 dev eth0.*\)$/m)
  t.match(r.stdout, /^box1: 172\.17\.0\.2\/16 \(default via 172\.17\.0\.1 dev eth0.*\)$/m)
  t.match(r.stdout, /^internet: 198\.51\.100\.1\/24 203\.0\.113\.10\/32 \(no default route\)$/m)
  t.match(r.stdout, /^box1 got a reply from box2 at 172\.17\.0\.3/m)
  if (r.left !== undefined) t.same(r.left, [], 'no process left')
})

t.test('a node-tap test that times out takes its lab host with it', async (t) => {
  const word = `hangmark${process.pid}`
  writeFileSync(
    join(dir, 'hang.test.mjs'),
    [
      "import t from 'tap'",
      "import { labHost } from 'nslab'",
      "t.test('hangs', async () => {",
      "  const host = await labHost({ docker: true, containers: ['box1'] })",
      `  await host.on('box1').$\`exec -a ${word} sleep 1000\``,
      '})',
      '',
    ].join('\n'),
  )
  const r = await runAndWatch('node_modules/.bin/tap', ['--disable-coverage', '--allow-incomplete-coverage', '--timeout=20', 'hang.test.mjs'])
  t.not(r.code, 0, 'tap reports the timeout')
  t.match(r.output, /timeout/i)
  if (r.left === undefined) t.skip('no cgroup to count what is left (not root)', () => {})
  else t.same(r.left, [], 'no process left')
})

t.test('the machine is as it was', async (t) => {
  t.same(machineState(), before)
})
