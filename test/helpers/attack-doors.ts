// The three ways lab code gets onto a lab host — a step of `nslab run`, a
// graded answer of `nslab grade`, a learner's command in `nslab shell` — for
// the attack suite: each runs a script there and hands back what it printed.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isRoot, nslab, OTHER_UID, type As, type NslabOptions, type NslabResult } from './nslab-as.js'

export type Door = 'run' | 'grade' | 'learner'
export const DOORS: Door[] = ['run', 'grade', 'learner']

const TOPOLOGY = ['topology:', '  docker: true', '  containers: [box1]']

/** A lab file: front matter and Markdown body. */
export function writeLab(dir: string, name: string, body: string, front: string[] = TOPOLOGY): string {
  const file = join(dir, `${name}.md`)
  writeFileSync(file, ['---', `title: ${name}`, 'timeout: 90s', ...front, '---', '', `# ${name}`, '', body, ''].join('\n'))
  return file
}

/** A fenced block; the fence is longer than any run of backticks inside. */
export function block(info: string, content: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${info}\n${content.replace(/\n?$/, '\n')}${fence}\n`
}

export interface JsonBlock {
  kind: string
  role: string | null
  status: string
  exec: { output: string; exitCode: number | null } | null
  checks: { ok: boolean; sentence: string }[]
}
export interface RunReport {
  labs: { status: string; blocks: JsonBlock[] }[]
}
export interface GradeReport {
  submissions: {
    name: string
    points: number
    max: number
    status: string
    reason: string | null
    exercises: { id: string; points: number; max: number; status: string }[]
    run: { blocks: JsonBlock[] }
  }[]
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** `nslab run LAB --json`. */
export async function runLab(as: As, lab: string, o: NslabOptions): Promise<{ res: NslabResult; report?: RunReport }> {
  const json = join(o.home, `run-${Date.now()}.json`)
  const res = await nslab(as, ['run', lab, '--json', json], o)
  const report = readJson<RunReport>(json)
  return { res, ...(report ? { report } : {}) }
}

/**
 * A class folder (mode 0700, the nslab user's) with one folder per learner
 * and a file per answer: { learner: { exerciseId: script } }.
 */
export function writeClass(dir: string, as: As, answers: Record<string, Record<string, string>>): string[] {
  const cls = join(dir, 'class')
  mkdirSync(cls, { mode: 0o700 })
  const paths: string[] = []
  for (const [name, files] of Object.entries(answers)) {
    const d = join(cls, name)
    mkdirSync(d)
    for (const [id, script] of Object.entries(files)) writeFileSync(join(d, `${id}.sh`), script)
    paths.push(d)
  }
  if (as === 'user' && isRoot) spawnSync('chown', ['-R', `${OTHER_UID}:${OTHER_UID}`, cls])
  return paths
}

/** `nslab grade LAB SUBMISSIONS --json -j N`. */
export async function gradeLab(as: As, lab: string, submissions: string[], o: NslabOptions & { jobs?: number }): Promise<{ res: NslabResult; report?: GradeReport }> {
  const json = join(o.home, `grade-${Date.now()}.json`)
  const res = await nslab(as, ['grade', lab, ...submissions, '--json', json, '-j', String(o.jobs ?? 1)], o)
  const report = readJson<GradeReport>(json)
  return { res, ...(report ? { report } : {}) }
}

/** Learner mode for one user: up, shell -- CMD, check, down; cleanup takes down whatever is left. */
export function learnerOf(as: As, o: NslabOptions) {
  return {
    up: (lab: string, name: string) => nslab(as, ['up', lab, '--name', name], o),
    shell: (name: string, cmd: string) => nslab(as, ['shell', name, '--', cmd], o),
    check: (name: string) => nslab(as, ['check', name], o),
    solve: (name: string) => nslab(as, ['solve', name], o),
    down: (name: string) => nslab(as, ['down', name], o),
    session: (name: string): { passed: number[] } | undefined => readJson(join(o.home, 'state', `${name}.json`)),
    cleanup: async () => {
      const plain = { home: o.home }
      await nslab(as, ['down', '--all'], plain)
      await nslab(as, ['gc'], plain)
    },
  }
}

/** The output of every script block of a run (steps, answers), in order. */
export const outputOf = (blocks: JsonBlock[] | undefined) =>
  (blocks ?? [])
    .filter((b) => b.kind === 'script')
    .map((b) => b.exec?.output ?? '')
    .join('\n')

export interface Attempt {
  /** What the attack printed (its step, answer or shell command). */
  output: string
  /** Every nslab command it took, for the messages of failed assertions. */
  log: string
}

const said = (what: string, r: NslabResult) => `$ nslab ${what} → ${r.signal ?? `exit ${r.code}`} (${Math.round(r.ms)} ms)\n${r.stdout.slice(-1500)}${r.stderr.slice(-1500)}`

/**
 * Run SCRIPT on a lab host through DOOR: as the one step of a lab; as the
 * answer of the one exercise of a lab (graded, a class of one); as the
 * command of `nslab shell` on a lab that is up (then taken down, so that what
 * its teardown lets out is seen too).
 */
export async function attackThrough(door: Door, as: As, script: string, o: NslabOptions & { dir: string }): Promise<Attempt> {
  if (door === 'run') {
    const lab = writeLab(o.dir, 'attack-run', block('sh step timeout=90s', script))
    const { res, report } = await runLab(as, lab, o)
    return { output: outputOf(report?.labs[0]?.blocks), log: said('run', res) }
  }
  if (door === 'grade') {
    const lab = writeLab(o.dir, 'attack-grade', [block('sh solution id=task timeout=90s', 'touch /root/done'), block('check', 'sh host "test -f /root/done"')].join('\n'))
    const [sub] = writeClass(o.dir, as, { mallory: { task: `${script}\ntouch /root/done\n` } })
    const { res, report } = await gradeLab(as, lab, [sub!], o)
    const blocks = report?.submissions[0]?.run.blocks.filter((b) => b.role === 'solution')
    return { output: outputOf(blocks), log: said('grade', res) }
  }
  const lab = writeLab(o.dir, 'attack-learner', [block('sh step', 'true'), block('check', 'sh host "true"')].join('\n'))
  const L = learnerOf(as, o)
  try {
    const up = await L.up(lab, 'attack')
    const sh = await L.shell('attack', script)
    const down = await L.down('attack')
    return { output: sh.stdout + sh.stderr, log: [said('up', up), said('shell', sh), said('down', down)].join('\n') }
  } finally {
    await L.cleanup()
  }
}
