// docs/reference.md is what nslab's own help says, made from the same
// tables: when a command, option, exit code or environment variable changes
// and the page does not, this fails (npm run docs:reference remakes it). And
// the environment table names every variable nslab's sources read.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import { COMMANDS } from '../../runner/cli/command-table.js'
import { ENVIRONMENT, INTERNAL_ENVIRONMENT } from '../../runner/cli/environment.js'
import { EXIT_CODES } from '../../runner/cli/exit-codes.js'
import { referencePage } from '../../runner/cli/reference-page.js'
import { CLI, requireBuild, ROOT } from '../helpers/learner-cli.js'

t.test('docs/reference.md is the page the help tables make', async (t) => {
  const page = await referencePage()
  const doc = readFileSync(join(ROOT, 'docs/reference.md'), 'utf8')
  t.ok(doc === page, 'docs/reference.md is up to date (npm run docs:reference remakes it)')
  if (doc !== page) {
    const a = doc.split('\n')
    const b = page.split('\n')
    const i = a.findIndex((l, k) => l !== b[k])
    t.equal(a[i], b[i], `first difference, line ${i + 1}`)
  }
  for (const c of COMMANDS) t.match(doc, `## nslab ${c.name}\n`, `nslab ${c.name} has its section`)
  for (const e of EXIT_CODES) t.match(doc, `| ${e.code} |`, `exit ${e.code}`)
  for (const e of ENVIRONMENT) t.match(doc, `| \`${e.name}\` |`, e.name)
})

t.test('what the built nslab prints is what the page says', async (t) => {
  requireBuild()
  const nslab = (args: string[]) => spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  const doc = readFileSync(join(ROOT, 'docs/reference.md'), 'utf8')
  const general = nslab(['--help']).stdout
  for (const e of ENVIRONMENT) t.match(general, new RegExp(`^  ${e.name} `, 'm'), `nslab --help lists ${e.name}`)
  for (const e of EXIT_CODES) t.match(general, new RegExp(`^  ${e.code} `, 'm'), `nslab --help lists exit ${e.code}`)
  for (const c of COMMANDS) {
    const help = nslab(['help', c.name])
    t.equal(help.status, 0, `nslab help ${c.name}`)
    t.ok(doc.includes(`## nslab ${c.name}\n\n\`\`\`text\n${help.stdout.trimEnd()}\n\`\`\``), `the page holds what nslab help ${c.name} prints`)
  }
})

/** The launcher's source: its JavaScript (the text written to nslab.cjs, not the patches of others' code before it) reads variables too. */
const LAUNCHER_SOURCE = join(ROOT, 'scripts/build-bin.mjs')

/** Every `env.NAME` / `process.env.NAME` / `env[NAME]` a source file of nslab reads (the launcher's too). */
function variablesRead(): Map<string, string> {
  const found = new Map<string, string>()
  const scan = (p: string, text: string) => {
    for (const m of text.matchAll(/\b(?:process\.)?env(?:\?\.|\.)([A-Z_][A-Z0-9_]*)\b|\benv\[['"]([A-Z_][A-Z0-9_]*)['"]\]/g)) {
      const name = (m[1] ?? m[2])!
      if (!found.has(name)) found.set(name, relative(ROOT, p))
    }
  }
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (p.endsWith('.ts')) scan(p, readFileSync(p, 'utf8'))
    }
  }
  walk(join(ROOT, 'runner'))
  walk(join(ROOT, 'checks'))
  const launcher = readFileSync(LAUNCHER_SOURCE, 'utf8')
  const at = launcher.indexOf("join(OUT, 'nslab.cjs')")
  if (at < 0) throw new Error(`${LAUNCHER_SOURCE}: the launcher's text was not found`)
  scan(LAUNCHER_SOURCE, launcher.slice(at))
  return found
}

t.test('every environment variable nslab reads is in the table', async (t) => {
  const read = variablesRead()
  t.ok(read.size >= 8, `the scan finds what the sources read (${[...read.keys()].join(', ')})`)
  const listed = new Set([...ENVIRONMENT.map((e) => e.name), ...INTERNAL_ENVIRONMENT])
  for (const [name, file] of read) t.ok(listed.has(name), `${name} (read in ${file}) is in runner/cli/environment.ts`)
  for (const name of ['NSLAB_DEBUG', 'NSLAB_TIME_SCALE', 'NSLAB_STATE_DIR', 'NSLAB_CACHE', 'NSLAB_SANDBOX_UID', 'NO_COLOR', 'FORCE_COLOR', 'CI']) {
    t.ok(listed.has(name), `${name} is listed`)
  }
  for (const e of ENVIRONMENT) {
    // The CI services' own variables are read through one list; the table names them in CI's line.
    t.ok(read.has(e.name) || e.name === 'XDG_RUNTIME_DIR' || e.name === 'XDG_CACHE_HOME' || e.name === 'PATH' || e.name === 'CI', `${e.name} is read somewhere`)
  }
})
