import { setMaxListeners } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { dirname } from 'node:path'
import { colorEnabled } from '../util/colors.js'
import { formatDuration } from '../util/format-duration.js'
import type { Grade, GradeLimits, Submission } from '../grade/grade.js'
import { gradeHtml } from '../grade/grade-html.js'
import { gradeJsonText } from '../grade/grade-json.js'
import { gradeSubmission } from '../grade/grade-submission.js'
import { gradebookCsv } from '../grade/gradebook-csv.js'
import { prepareGradingHost, type GradingHost } from '../grade/grading-host.js'
import { interruptOnSignals } from './interrupt-on-signals.js'
import type { Lab } from '../lab/lab.js'
import { labExercises } from '../lab/lab-exercises.js'
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import { formatBytes, loadSubmission } from '../grade/load-submission.js'
import { NslabError } from '../util/nslab-error.js'
import { parseSize } from '../util/parse-size.js'
import { nslabVersion as nslabVersionSync } from '../util/nslab-version.js'
import { asCommandUsage, COMMON_OPTIONS_HELP, readCommandArgs, type ParsedArgs } from './parse-command-args.js'
import { parseDurationArg } from './parse-duration-arg.js'
import { safeTerminal } from '../util/safe-text.js'
import { progressLine, scoreboard } from '../grade/scoreboard.js'

export const GRADE_HELP = `Usage: nslab grade LAB [options] [--] SUBMISSIONS…

Grades learners' answers to a lab's exercises. A submission is a learner's
folder holding one file per exercise, named after the exercise's id
(exercise-1.sh, exercise-2.sh, … unless the lab names them), or a single file
for a lab with one exercise. Each submission runs on a fresh lab host of its
own: setup, steps, the learner's answer in place of each solution, the checks.
An exercise scores the checks after it that pass. Answers are untrusted code:
they run inside their sandbox, within limits (docs/instructors.md).
Put -- before the submissions (nslab grade LAB --csv g.csv -- *): after it,
a name is a submission even when it starts with -.

Reports (FILE - : to stdout, and the progress to stderr):
  --csv FILE             the gradebook as CSV (one row per learner)
  --html FILE            one self-contained page: the class, and every learner's checks
  --json FILE            everything, for scripts (docs/instructors.md)
  --junit FILE           JUnit XML (a test suite per learner)

Options:
  -j, --jobs N           submissions graded in parallel (default: 8 per CPU, at most 64,
                         and one per 256 MB of memory)
  --timeout DURATION     each submission's time limit, as a whole (default 3m)
  --max-output SIZE      what one script may print before it is stopped (default 1M)
  --max-procs N          processes (and threads) of one submission at once (default 256)
  --memory SIZE          memory of one submission's processes together (default 512M)
  --max-file SIZE        largest file an answer may write (default 64M)
  --cpus N               CPUs one submission may use at once (default 1; 0: no limit)
  --walkthrough          also run the checks before the first exercise (no points)
  --iptables nft|legacy  the iptables back end inside the lab hosts
${COMMON_OPTIONS_HELP}Exit: 0 every submission got full marks, 1 some did not (or could not be graded),
2 an invalid lab or usage, 3 the machine lacks a prerequisite.
`

export interface GradeFlags {
  lab: string
  submissions: string[]
  jobs: number
  csv?: string
  html?: string
  json?: string
  junit?: string
  limits: GradeLimits
  walkthrough: boolean
  iptables?: 'nft' | 'legacy'
}

export const DEFAULT_LIMITS: GradeLimits = {
  timeoutMs: 180_000,
  maxOutputBytes: 1024 * 1024,
  maxProcs: 256,
  memoryBytes: 512 * 1024 * 1024,
  fileBytes: 64 * 1024 * 1024,
  cpus: 1,
}

function defaultJobs(): number {
  // Most of a lab's time is waiting (pings, check windows), not computing (bench/README.md#grading);
  // a submission in flight holds about 100 MB (its grader and its lab host).
  return Math.max(2, Math.min(availableParallelism() * 8, 64, Math.floor(totalmem() / (256 * 1024 * 1024))))
}

export const GRADE_OPTIONS = {
  jobs: { type: 'string', short: 'j' },
  csv: { type: 'string' },
  html: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  timeout: { type: 'string' },
  'max-output': { type: 'string' },
  'max-procs': { type: 'string' },
  memory: { type: 'string' },
  'max-file': { type: 'string' },
  cpus: { type: 'string' },
  walkthrough: { type: 'boolean', default: false },
  iptables: { type: 'string' },
} as const

export function parseGradeFlags(argv: string[]): GradeFlags | 'help' {
  // Submissions are learners' folders, named by learners: `nslab grade LAB -- *`.
  const v = readCommandArgs(argv, { command: 'nslab grade', usage: 'nslab grade LAB -- *', options: GRADE_OPTIONS })
  const o = v.values
  if (o.help) return 'help'
  return asCommandUsage('nslab grade', () => gradeFlags(o, v.positionals))
}

function gradeFlags(o: ParsedArgs<typeof GRADE_OPTIONS>['values'], positionals: string[]): GradeFlags {
  const [lab, ...submissions] = positionals
  if (!lab || submissions.length === 0) throw new NslabError({ code: 'USAGE', message: 'needs a lab and at least one submission: nslab grade LAB -- SUBMISSIONS…' })
  const onStdout = (['csv', 'html', 'json', 'junit'] as const).filter((k) => o[k] === '-')
  if (onStdout.length > 1) throw new NslabError({ code: 'USAGE', message: `only one report can go to stdout, not ${onStdout.map((k) => `--${k} -`).join(' and ')}` })
  const int = (text: string | undefined, option: string, fallback: number, min: number): number => {
    if (text === undefined) return fallback
    const n = Number(text)
    if (!Number.isInteger(n) || n < min) throw new NslabError({ code: 'USAGE', message: `${option} takes a whole number ≥ ${min}, not "${text}"` })
    return n
  }
  if (o.iptables !== undefined && o.iptables !== 'nft' && o.iptables !== 'legacy') {
    throw new NslabError({ code: 'USAGE', message: `--iptables takes nft or legacy, not "${o.iptables}"` })
  }
  const cpus = o.cpus === undefined ? DEFAULT_LIMITS.cpus : Number(o.cpus)
  if (!Number.isFinite(cpus) || cpus < 0) throw new NslabError({ code: 'USAGE', message: `--cpus takes a number ≥ 0, not "${o.cpus}"` })
  const flags: GradeFlags = {
    lab,
    submissions,
    jobs: int(o.jobs, '--jobs', defaultJobs(), 1),
    walkthrough: o.walkthrough,
    limits: {
      timeoutMs: o.timeout === undefined ? DEFAULT_LIMITS.timeoutMs : parseDurationArg(o.timeout, '--timeout'),
      maxOutputBytes: o['max-output'] === undefined ? DEFAULT_LIMITS.maxOutputBytes : parseSize(o['max-output'], '--max-output'),
      maxProcs: int(o['max-procs'], '--max-procs', DEFAULT_LIMITS.maxProcs, 16),
      memoryBytes: o.memory === undefined ? DEFAULT_LIMITS.memoryBytes : parseSize(o.memory, '--memory'),
      fileBytes: o['max-file'] === undefined ? DEFAULT_LIMITS.fileBytes : parseSize(o['max-file'], '--max-file'),
      cpus,
    },
  }
  if (flags.limits.memoryBytes < 64 * 1024 * 1024) throw new NslabError({ code: 'USAGE', message: '--memory must be at least 64M: the grader itself needs some' })
  for (const k of ['csv', 'html', 'json', 'junit'] as const) if (o[k]) flags[k] = o[k]
  if (o.iptables) flags.iptables = o.iptables as 'nft' | 'legacy'
  return flags
}

export async function gradeCommand(argv: string[]): Promise<number> {
  const flags = parseGradeFlags(argv)
  if (flags === 'help') {
    process.stdout.write(GRADE_HELP)
    return 0
  }
  const { labs, problems, files } = loadLabs([flags.lab])
  if (problems.length) {
    process.stderr.write(problems.map(formatProblem).join('\n') + `\n${problems.length} problem${problems.length > 1 ? 's' : ''}: nothing was graded\n`)
    return 2
  }
  if (files.length !== 1 || !labs[0]) throw new NslabError({ code: 'USAGE', message: `nslab grade grades one lab; ${flags.lab} holds ${files.length}` })
  const lab = labs[0]
  const exercises = labExercises(lab)
  if (exercises.length === 0) {
    throw new NslabError({ code: 'USAGE', message: `${lab.file} has no exercises (no \`sh solution\` blocks): there is nothing to grade`, file: lab.file })
  }
  const submissions = uniqueNames(flags.submissions.map((p) => loadSubmission(p, exercises.map((e) => e.id))))
  const host = await prepareGradingHost()
  // A report on stdout (--csv -, …) is all of stdout: then people's lines go to stderr.
  const stream = [flags.csv, flags.html, flags.json, flags.junit].includes('-') ? process.stderr : process.stdout
  const color = colorEnabled(stream)
  // Names of labs, exercises and learners are in it: their controls as escapes, our colors kept.
  const out = (s: string) => stream.write(safeTerminal(s))
  out(`Grading ${lab.file} (${exercises.map((e) => `${e.id}: ${e.max} check${e.max === 1 ? '' : 's'}`).join(', ')})\n`)
  out(`${submissions.length} submission${submissions.length === 1 ? '' : 's'}, ${Math.min(flags.jobs, submissions.length)} at a time\n\n`)
  const interrupt = interruptOnSignals()
  let graded
  try {
    graded = await gradeAll({
      lab,
      submissions,
      flags,
      host,
      signal: interrupt.signal,
      onGrade: (g) => out(`${progressLine(g, { color, width: stream.columns ?? 100 })}\n`),
    })
  } finally {
    interrupt.dispose()
    await host.close()
  }
  const { grades, durationMs, startTime, enforcedBy } = graded
  out(`\n${scoreboard(grades, exercises, { color, width: stream.columns ?? 100 })}`)
  out(`graded in ${formatDuration(durationMs)}\n`)

  const version = safeVersion()
  const writes: [string | undefined, () => string | Promise<string>][] = [
    [flags.csv, () => gradebookCsv(grades, exercises)],
    [flags.json, () => gradeJsonText({ version, startTime, durationMs, lab, exercises, limits: flags.limits, enforcedBy, grades })],
    [flags.html, () => gradeHtml({ lab, exercises, grades, limits: flags.limits, enforcedBy, version, startTime, durationMs })],
  ]
  if (flags.junit) {
    const { junitXml } = await import('../report/junit-reporter.js')
    const results = grades.map((g) => g.result)
    writes.push([flags.junit, () => junitXml(results, durationMs)])
  }
  for (const [file, make] of writes) {
    if (!file) continue
    if (file === '-') {
      const text = await make()
      await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()))
      continue
    }
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, await make())
    out(`wrote ${file}\n`)
  }
  if (interrupt.signal.aborted) return interrupt.exitCode()
  return grades.length === submissions.length && grades.every((g) => g.status === 'pass') ? 0 : 1
}

/** Grade every submission, jobs at a time; each in a worker of its own (a slot: its uid). */
export async function gradeAll(opts: {
  lab: Lab
  submissions: Submission[]
  flags: Pick<GradeFlags, 'jobs' | 'limits' | 'walkthrough' | 'iptables'>
  host: GradingHost
  onGrade?: (g: Grade) => void
  /** Ctrl-C: no new submission starts, running ones are ended and reported as not graded. */
  signal?: AbortSignal
}): Promise<{ grades: Grade[]; durationMs: number; startTime: number; enforcedBy: string[] }> {
  const { lab, submissions, flags, host } = opts
  const startTime = Date.now()
  const t0 = performance.now()
  const signal = opts.signal ?? new AbortController().signal
  // Each running submission listens for Ctrl-C on it.
  setMaxListeners(Math.max(10, flags.jobs * 2 + 10), signal)
  const free = Array.from({ length: Math.max(1, Math.min(flags.jobs, submissions.length)) }, (_, i) => i)
  const grades: Grade[] = new Array(submissions.length)
  let next = 0
  const hows = new Set<string>()
  const worker = async () => {
    while (next < submissions.length && !signal.aborted) {
      const i = next++
      const slot = free.shift() ?? 0
      try {
        const g = await gradeSubmission({
          lab,
          submission: submissions[i]!,
          limits: flags.limits,
          host,
          slot,
          jobs: flags.jobs,
          walkthroughChecks: flags.walkthrough,
          signal,
          ...(flags.iptables ? { iptables: flags.iptables } : {}),
        })
        hows.add(g.limitsBy)
        grades[i] = g
        opts.onGrade?.(g)
      } catch (e) {
        // A bug of nslab's on one submission: it is not graded, the others are.
        const sub = submissions[i]!
        const g: Grade = {
          name: sub.name,
          path: sub.path,
          points: 0,
          max: labExercises(lab).reduce((n, x) => n + x.max, 0),
          status: 'error',
          reason: `not graded: nslab failed (${e instanceof Error ? e.message : String(e)})`,
          exercises: [],
          result: { file: lab.file, title: lab.title, status: 'error', durationMs: 0, blocks: [], error: String(e), cell: sub.name },
          limitsHit: [],
          limitsBy: 'none',
          notes: [],
          durationMs: 0,
        }
        if (e instanceof NslabError && e.exitCode === 3) throw e
        grades[i] = g
        opts.onGrade?.(g)
      } finally {
        free.push(slot)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(flags.jobs, submissions.length)) }, worker))
  const done = grades.filter((g): g is Grade => g !== undefined)
  return { grades: done, durationMs: performance.now() - t0, startTime, enforcedBy: enforcedBy(host, flags.limits, [...hows]) }
}

/** How each limit is enforced on this machine, as the reports say it. */
export function enforcedBy(host: GradingHost, limits: GradeLimits, limitsBy: string[] = []): string[] {
  const s: string[] = []
  s.push(
    host.mode === 'isolated'
      ? `answers run as an unused uid (${host.uidBase}+slot) inside their sandbox: the machine's files are out of their reach`
      : "answers run as the user who ran nslab grade: that user's own files are within their reach (run nslab grade as root to isolate them)",
  )
  s.push(`time: each script its block's timeout, the whole submission ${Math.round(limits.timeoutMs / 1000)} s`)
  s.push(`output: ${formatBytes(limits.maxOutputBytes)} per script, then it is stopped`)
  const what = `processes (${limits.maxProcs}), memory (${formatBytes(limits.memoryBytes)})${limits.cpus ? `, CPU (${limits.cpus})` : ''}`
  for (const by of limitsBy.length ? limitsBy : ['rlimits']) {
    s.push(by.startsWith('cgroup') ? `${what}: a cgroup per submission (${by})` : `processes (${limits.maxProcs}) and memory (${formatBytes(limits.memoryBytes)}): rlimits of each answer (RLIMIT_NPROC, RLIMIT_AS)${by === 'rlimits' ? '' : `, because ${by}`}`)
  }
  s.push(`files: ${formatBytes(limits.fileBytes)} per file (RLIMIT_FSIZE)`)
  return s
}

/** Two learners with the same folder name are told apart by their paths. */
function uniqueNames(subs: Submission[]): Submission[] {
  const count = new Map<string, number>()
  for (const s of subs) count.set(s.name, (count.get(s.name) ?? 0) + 1)
  return subs.map((s) => ((count.get(s.name) ?? 0) > 1 ? { ...s, name: s.path.replace(/\/+$/, '') } : s))
}

function safeVersion(): string {
  try {
    return nslabVersionSync()
  } catch {
    return 'unknown'
  }
}
