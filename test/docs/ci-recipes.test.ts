// The CI recipes of docs/ci/ are what a lab author copies: they must parse,
// run nslab's real commands with real options, on Node.js 20 or newer, keep
// the JUnit report they ask nslab for, and deal with Ubuntu's AppArmor
// setting. Their nslab command lines are checked against the command table
// (the same one `nslab --help` prints), option by option.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { COMMANDS, findCommand } from '../../runner/cli/command-table.js'
import { COMMON_OPTIONS } from '../../runner/cli/parse-command-args.js'
import { ROOT } from '../helpers/learner-cli.js'

const CI = join(ROOT, 'docs/ci')
const recipes = readdirSync(CI).filter((f) => /\.ya?ml$/.test(f))

/** The shell command lines of a recipe: GitHub's run: steps, GitLab's scripts. */
function commandLines(doc: Record<string, unknown>): string[] {
  const lines: string[] = []
  const add = (script: unknown) => {
    const parts = Array.isArray(script) ? script : typeof script === 'string' ? [script] : []
    for (const p of parts) if (typeof p === 'string') lines.push(...p.replace(/\\\n\s*/g, ' ').split('\n'))
  }
  const jobs = (doc.jobs ?? doc) as Record<string, unknown>
  for (const job of Object.values(jobs)) {
    if (typeof job !== 'object' || job === null) continue
    const j = job as Record<string, unknown>
    for (const step of (j.steps as unknown[] | undefined) ?? []) add((step as Record<string, unknown>).run)
    for (const key of ['before_script', 'script', 'after_script']) add(j[key])
  }
  return lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
}

/** Shell words, quotes removed; ; && || | end a command. Enough for a recipe's lines. */
function commands(line: string): string[][] {
  const out: string[][] = [[]]
  let word: string | undefined
  let quote: string | undefined
  const end = () => {
    if (word !== undefined) out[out.length - 1]!.push(word)
    word = undefined
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
      else word = (word ?? '') + c
    } else if (c === '"' || c === "'") {
      quote = c
      word ??= ''
    } else if (c === ' ' || c === '\t') end()
    else if (c === ';' || c === '|' || c === '&') {
      end()
      if (out[out.length - 1]!.length) out.push([])
    } else word = (word ?? '') + c
  }
  end()
  return out.filter((c) => c.length)
}

/** The nslab command lines of a recipe, from its lines (nslab, npx nslab, sudo … nslab). */
function nslabCalls(lines: string[]): string[][] {
  return lines.flatMap(commands).flatMap((words) => {
    const at = words.indexOf('nslab')
    return at >= 0 && (at === 0 || ['npx', 'sudo', 'env', 'exec'].includes(words[at - 1]!) || words[at - 1]!.includes('=')) ? [words.slice(at + 1)] : []
  })
}

t.test('there are recipes for GitHub Actions and GitLab CI, and a page about them', async (t) => {
  t.same(recipes.sort(), ['github-actions.yml', 'gitlab-ci.yml'])
  t.match(readFileSync(join(CI, 'README.md'), 'utf8'), /apparmor_restrict_unprivileged_userns/)
})

for (const file of recipes) {
  t.test(file, async (t) => {
    const text = readFileSync(join(CI, file), 'utf8')
    const doc = parse(text) as Record<string, unknown>
    t.type(doc, 'object', 'it is YAML')
    const lines = commandLines(doc)
    const calls = nslabCalls(lines)
    t.ok(calls.length > 0, 'it runs nslab')
    t.ok(lines.some((l) => /npm install -g /.test(l)), 'it installs nslab with npm install -g')

    let junit: string | undefined
    for (const args of calls) {
      const [name, ...rest] = args
      const entry = findCommand(name ?? '')
      t.ok(entry, `nslab ${name} is a command (of ${COMMANDS.map((c) => c.name).join(', ')})`)
      if (!entry) continue
      const mod = await entry.load()
      const options = { ...COMMON_OPTIONS, ...mod.options }
      const long = new Set(Object.keys(options).map((o) => `--${o}`))
      const short = new Set(Object.values(options).flatMap((o) => ('short' in o && o.short ? [`-${o.short}`] : [])))
      const end = rest.indexOf('--')
      for (const [i, a] of (end < 0 ? rest : rest.slice(0, end)).entries()) {
        if (!a.startsWith('-')) continue
        const name = a.split('=')[0]!
        t.ok(a.startsWith('--') ? long.has(name) : short.has(name), `nslab ${entry.name} takes ${name}`)
        if (name === '--junit') junit = a.includes('=') ? a.slice(8) : rest[i + 1]
      }
      t.ok(mod.help.includes('Usage: nslab'), 'and the help it prints says how')
    }
    t.ok(calls.some((c) => c[0] === 'run' && c.includes('labs/')), 'it runs labs/ with nslab run')
    t.ok(junit, 'it asks for a JUnit report')

    if (file.startsWith('github')) {
      const steps = ((doc.jobs as Record<string, { steps: Record<string, unknown>[] }>).labs?.steps ?? [])
      const node = steps.find((s) => String(s.uses).startsWith('actions/setup-node'))
      t.ok(Number((node?.with as { 'node-version'?: unknown })?.['node-version']) >= 20, 'Node.js 20 or newer')
      const kept = steps.filter((s) => /upload-artifact|junit-report/.test(String(s.uses)))
      t.ok(kept.length && kept.every((s) => s.if === 'always()'), 'the reports are kept when the run fails')
      t.ok(kept.some((s) => JSON.stringify(s.with).includes(junit ?? '?')), 'the JUnit report is uploaded')
      t.ok(lines.some((l) => /sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0/.test(l)), "Ubuntu's AppArmor restriction is lifted on the runner")
    } else {
      const job = (doc as Record<string, Record<string, unknown>>).labs!
      t.ok(Number(/^node:(\d+)/.exec(String(job.image))?.[1]) >= 20, `Node.js 20 or newer (${String(job.image)})`)
      const artifacts = job.artifacts as { when?: string; reports?: { junit?: string } }
      t.equal(artifacts.when, 'always', 'the reports are kept when the run fails')
      t.equal(artifacts.reports?.junit, junit, 'the JUnit report is the one nslab writes')
      t.ok(calls.some((c) => c.includes('--shard')), 'parallel jobs share labs/ with --shard')
    }
  })
}

t.test('a wrong option in a recipe would be caught', async (t) => {
  // The checker itself: it finds nslab in a line, and an option nslab lacks.
  const calls = nslabCalls(['npx nslab run labs/ --junit x.xml --verbos && echo done'])
  t.same(calls, [['run', 'labs/', '--junit', 'x.xml', '--verbos']])
  const mod = await findCommand('run')!.load()
  t.notOk(Object.keys({ ...COMMON_OPTIONS, ...mod.options }).includes('verbos'))
})
