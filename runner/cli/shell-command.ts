// nslab shell: a shell on the lab host. The prompt names the lab and the
// progress; leaving the shell leaves the lab up. Inside it, `nslab check`,
// `nslab hint`, `nslab solve` and `nslab status` work too: the shell runs
// them through a pair of pipes to this process, which runs them here, on the
// real machine's side, and prints to the same terminal.
import { createInterface } from 'node:readline'
import { colorEnabled, createColors } from '../util/colors.js'
import { interactive, warmForker } from '../host/exec.js'
import { attachSession, commandFor, PROGRESS_FILE, resolveSession, sandboxIsOurs, sessionLab, writeInside, writeProgress, type LearnerContext } from '../learn/learner-session.js'
import { labTasks } from '../lab/lab-tasks.js'
import { machinesOf } from '../lab/lab.js'
import { NslabError } from '../util/nslab-error.js'
import { afterTerminator, COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { reportFatal } from './report-fatal.js'
import { GUARD, sandboxEnv, type Sandbox } from '../host/sandbox.js'
import { CLOSE_FDS } from '../host/sandbox-script.js'
import { HIDDEN_NS_DIR, NETNS_DIR, SANDBOX_DIR } from '../host/sandbox-paths.js'
import { learnerWords } from '../learn/learner-words.js'
import type { Session } from '../learn/session-store.js'

export const SHELL_HELP = `Usage: nslab shell [NAME] [--on MACHINE] [-- COMMAND [ARG…]]

A shell on the lab host of a lab that is up (default: the only one up). Its
prompt shows the lab and your progress; exit (or Ctrl-D) leaves it, and the lab
stays up. In it, nslab check, nslab hint, nslab solve and nslab status work,
and \`on MACHINE [COMMAND…]\` runs a command (or a shell) on a container or on
internet.

  --on MACHINE              a shell on a container or on internet instead of the lab host
  -- COMMAND ARG…           run that command there, each argument one word (as docker
                            exec does), and exit with its status (for scripts and tests)
  -- 'COMMAND LINE'         one argument alone is a command line, run as bash -c runs
                            it: pipes, ;, $VARIABLES of the lab host
${COMMON_OPTIONS_HELP}`

export const SHELL_OPTIONS = { on: { type: 'string' } } as const

const RC_FILE = `${SANDBOX_DIR}/shellrc`

/** The environment of a shell on the lab host: a root login there, not the caller's. */
function shellEnv(s: Session, machine: string): NodeJS.ProcessEnv {
  return sandboxEnv(machine, s.sandbox.iptables, {
    NSLAB_LAB: s.name,
    ...(process.env.NO_COLOR ? { NO_COLOR: process.env.NO_COLOR } : {}),
  }, s.sandbox.engine)
}

/**
 * The lab shell's startup file. The prompt reads the progress that nslab
 * check writes into the lab host; `nslab` talks to the nslab shell process
 * through fds 3 and 4, moved out of the way of the learner's own redirections.
 */
function rcFile(s: Session, color: boolean): string {
  const name = s.name // checked: letters, digits, - _ . only
  const tag = color ? `\\[\\e[1;36m\\][${name} \${__nslab_progress}]\\[\\e[0m\\]` : `[${name} \${__nslab_progress}]`
  return `# nslab: startup file of the lab shell of ${name}
read -r _a _b _c </proc/self/uid_map; [ "$_c" != 4294967295 ] || { echo "nslab: refusing to run outside a sandbox" >&2; exit 125; }; unset _a _b _c
[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc
cd /root 2>/dev/null || cd /
__nslab_progress=?
__nslab_prompt() { read -r __nslab_progress <${PROGRESS_FILE} 2>/dev/null || __nslab_progress=?; }
PROMPT_COMMAND=__nslab_prompt
if [ "\${NSLAB_MACHINE:-host}" = host ]; then __nslab_at='\\h'; else __nslab_at=$NSLAB_MACHINE; fi
PS1='${tag} \\u@'"$__nslab_at"':\\w\\$ '
if [ -z "\${__nslab_req:-}" ] && { true >&3; } 2>/dev/null && { true <&4; } 2>/dev/null; then
  exec {__nslab_req}>&3 {__nslab_rep}<&4 3>&- 4>&-
  export __nslab_req __nslab_rep
fi
# Nothing else the caller had open reaches the lab.
for _f in /proc/self/fd/*; do _f=\${_f##*/}; case $_f in 0|1|2|255|"\${__nslab_req:-}"|"\${__nslab_rep:-}") ;; *) [ ! -e /proc/self/fd/$_f ] || exec {_f}>&- ;; esac; done; unset _f
nslab() {
  local IFS=$'\\x1f' __r
  if [ -z "\${__nslab_req:-}" ] || ! { printf '%s\\n' "$*" >&"$__nslab_req"; } 2>/dev/null; then
    echo "nslab: not reachable from this shell; run it outside the lab (another terminal)" >&2
    return 2
  fi
  IFS= read -r __r <&"$__nslab_rep" || { echo "nslab: no answer" >&2; return 2; }
  return "$__r"
}
on() {
  local m=\${1:?usage: on MACHINE [COMMAND…] (machines: ${machinesOf(s.sandbox.topology).join(' ')})}; shift
  local ns
  case $m in
    host) ns=/proc/1/ns/net ;;
    internet) ns=${HIDDEN_NS_DIR}/internet ;;
    *) ns=${NETNS_DIR}/$m ;;
  esac
  [ -e "$ns" ] || { echo "on: no machine $m" >&2; return 2; }
  if [ $# -eq 0 ]; then NSLAB_MACHINE=$m nsenter --net="$ns" bash --rcfile ${RC_FILE} -i; else nsenter --net="$ns" "$@"; fi
}
`
}

export async function shellCommand(argv: string[], ctx: LearnerContext = {}): Promise<number> {
  if (ctx.inside) throw new NslabError({ code: 'USAGE', message: 'you are in the lab shell already (on MACHINE runs a shell on a container)' })
  const v = readCommandArgs(argv, { command: 'nslab shell', usage: 'nslab shell [NAME] [--on MACHINE] -- COMMAND…', options: SHELL_OPTIONS })
  if (v.values.help) {
    process.stdout.write(SHELL_HELP)
    return 0
  }
  const machine = v.values.on ?? 'host'
  const { before, after: command } = afterTerminator(v)
  if (before.length > 1) throw new UsageError('nslab shell', `takes one lab name; a command goes after --: nslab shell ${before[0]} -- ${before.slice(1).join(' ')}`)
  const name = before[0] ?? ctx.session
  if (command !== undefined && command.length === 0) throw new UsageError('nslab shell', 'nothing to run after --')
  const s = resolveSession(name)
  const sandbox = attachSession(s)
  if (command) return await runOne(s, sandbox, machine, command)
  return await interactiveShell(s, sandbox, machine)
}

/**
 * `nslab shell NAME -- CMD ARG…`: that command with those arguments, each one
 * word as docker exec keeps them (ssh would join them into a line), on this terminal;
 * `nslab shell NAME -- 'CMD LINE'`, one argument: a command line, as bash -c
 * runs it. The words are the learner's own, typed on this command line: on
 * the lab host's command line they tell nobody anything new.
 */
async function runOne(s: Session, sandbox: Sandbox, machine: string, words: string[]): Promise<number> {
  // Nothing the caller had open (beyond the terminal) reaches the lab.
  const argv =
    words.length === 1
      ? sandbox.enterArgv(machine, ['bash', '--noprofile', '--norc', '-c', `${GUARD}${CLOSE_FDS}\n${words[0]}`])
      : sandbox.enterArgv(machine, ['bash', '--noprofile', '--norc', '-c', `${GUARD}${CLOSE_FDS}\nexec "$@"`, 'nslab-shell', ...words])
  return await interactive({ file: argv[0]!, args: argv.slice(1), env: shellEnv(s, machine) }).done
}

async function interactiveShell(s: Session, sandbox: Sandbox, machine: string): Promise<number> {
  const color = colorEnabled(process.stdout)
  const c = createColors(color)
  await writeInside(s, sandbox, RC_FILE, rcFile(s, color))
  await writeProgress(s, sandbox, true)
  const lab = await sessionLab(s)
  const tasks = labTasks(lab)
  const current = tasks.tasks.find((t) => !s.passed.includes(t.index))
  const w = learnerWords(lab.lang)
  const task = current ? { n: current.index + 1, total: tasks.tasks.length, title: current.title } : undefined
  process.stdout.write(
    `${w.shellOn(c.bold(s.name), machine === 'host' ? undefined : machine, task)}\n` + c.dim(`${w.shellIn(machinesOf(s.sandbox.topology).join(', '))}\n`),
  )
  const argv = sandbox.enterArgv(machine, ['bash', '--rcfile', RC_FILE, '-i'])
  const shell = interactive({ file: argv[0]!, args: argv.slice(1), env: shellEnv(s, machine), extraPipes: 2 })
  const [requests, replies] = shell.pipes
  if (requests && replies) {
    serve(requests, replies, s.name)
    // The checks of an `nslab check` typed in the shell start through the forker: started now, not on the first.
    warmForker()
  }
  const code = await shell.done
  if (sandboxIsOurs(s)) process.stdout.write(c.dim(`${w.leftShell(s.name, commandFor('check', s), commandFor('down', s))}\n`))
  else process.stdout.write(`${w.hostEnded(s.name)}\n`)
  return code
}

/** Commands the lab shell may ask for. Those that would end the shell's own lab host are not among them. */
const INSIDE = new Set(['check', 'hint', 'solve', 'status', 'help', '--help', '-h'])
const INSIDE_COMMANDS: Record<string, () => Promise<(argv: string[], ctx: LearnerContext) => Promise<number>>> = {
  check: async () => (await import('./check-command.js')).checkCommand,
  hint: async () => (await import('./hint-command.js')).hintCommand,
  solve: async () => (await import('./solve-command.js')).solveCommand,
  status: async () => (await import('./status-command.js')).statusCommand,
}

/** Run the lab shell's `nslab …` requests here, one at a time, and answer each with its exit status. */
function serve(requests: NodeJS.ReadableStream, replies: NodeJS.WritableStream, session: string): void {
  const lines = createInterface({ input: requests })
  let queue = Promise.resolve()
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      const [cmd = 'help', ...args] = line.split('\x1f').filter((w, i) => i > 0 || w !== '')
      let code: number
      try {
        if (!INSIDE.has(cmd)) {
          process.stderr.write(
            `nslab ${cmd}: not from inside the lab shell. Here: nslab check, hint, solve, status. ${cmd === 'down' || cmd === 'reset' ? `Leave the shell (exit), then nslab ${cmd}.` : ''}\n`,
          )
          code = 2
        } else if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
          process.stdout.write('In the lab shell: nslab check · nslab hint · nslab solve [--all] · nslab status · on MACHINE [COMMAND…]\n')
          code = 0
        } else {
          code = await (await INSIDE_COMMANDS[cmd]!())(args, { session, inside: true })
        }
      } catch (e) {
        code = reportFatal(e)
      }
      replies.write(`${code}\n`)
    })
  })
  lines.on('error', () => {})
  ;(replies as NodeJS.WritableStream & { on(e: 'error', f: () => void): unknown }).on('error', () => {})
}
