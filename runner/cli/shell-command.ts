// nslab shell: a shell on the lab host. The prompt names the lab and the
// progress; leaving the shell leaves the lab up. Inside it, `nslab check`,
// `nslab hint`, `nslab solve` and `nslab status` work too: the shell runs
// them through a pair of pipes to this process, which runs them here, on the
// real machine's side, and prints to the same terminal.
import { createInterface } from 'node:readline'
import { colorEnabled, createColors } from '../util/colors.js'
import { interactive } from '../host/exec.js'
import { attachSession, commandFor, PROGRESS_FILE, resolveSession, sandboxIsOurs, sessionLab, writeInside, writeProgress, type LearnerContext } from '../learn/learner-session.js'
import { labTasks } from '../lab/lab-tasks.js'
import { machinesOf } from '../lab/lab.js'
import { NslabError } from '../util/nslab-error.js'
import { reportFatal } from './report-fatal.js'
import { GUARD, sandboxEnv, type Sandbox } from '../host/sandbox.js'
import { CLOSE_FDS } from '../host/sandbox-script.js'
import { HIDDEN_NS_DIR, NETNS_DIR, SANDBOX_DIR } from '../host/sandbox-paths.js'
import type { Session } from '../learn/session-store.js'

export const SHELL_HELP = `Usage: nslab shell [NAME] [--on MACHINE] [-- COMMAND…]

A shell on the lab host of a lab that is up (default: the only one up). Its
prompt shows the lab and your progress; exit (or Ctrl-D) leaves it, and the lab
stays up. In it, nslab check, nslab hint, nslab solve and nslab status work,
and \`on MACHINE [COMMAND…]\` runs a command (or a shell) on a container or on
internet.

  --on MACHINE   a shell on a container or on internet instead of the lab host
  -- COMMAND…    run one command line there, as bash -c would, and exit with
                 its status (for scripts and tests)
`

const RC_FILE = `${SANDBOX_DIR}/shellrc`

/** The environment of a shell on the lab host: a root login there, not the caller's. */
function shellEnv(s: Session, machine: string): NodeJS.ProcessEnv {
  return sandboxEnv(machine, s.sandbox.iptables, {
    NSLAB_LAB: s.name,
    ...(process.env.NO_COLOR ? { NO_COLOR: process.env.NO_COLOR } : {}),
  })
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
  const dash = argv.indexOf('--')
  const opts = dash >= 0 ? argv.slice(0, dash) : argv
  const command = dash >= 0 ? argv.slice(dash + 1) : undefined
  let name: string | undefined
  let machine = 'host'
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i]!
    if (a === '--help' || a === '-h') {
      process.stdout.write(SHELL_HELP)
      return 0
    } else if (a === '--on') {
      const m = opts[++i]
      if (!m) throw new NslabError({ code: 'USAGE', message: `--on needs a machine\n\n${SHELL_HELP}` })
      machine = m
    } else if (a.startsWith('--on=')) machine = a.slice(5)
    else if (a.startsWith('-')) throw new NslabError({ code: 'USAGE', message: `unknown option ${a}\n\n${SHELL_HELP}` })
    else if (name === undefined) name = a
    else throw new NslabError({ code: 'USAGE', message: `nslab shell takes one lab name (a command goes after --)\n\n${SHELL_HELP}` })
  }
  if (command !== undefined && command.length === 0) throw new NslabError({ code: 'USAGE', message: 'nothing to run after --' })
  const s = resolveSession(name)
  const sandbox = attachSession(s)
  if (command) return await runOne(s, sandbox, machine, command.join(' '))
  return await interactiveShell(s, sandbox, machine)
}

/** `nslab shell NAME -- CMD…`: one command line, as bash -c runs it, on this terminal. */
async function runOne(s: Session, sandbox: Sandbox, machine: string, line: string): Promise<number> {
  // Nothing the caller had open (beyond the terminal) reaches the lab.
  const argv = sandbox.enterArgv(machine, ['bash', '--noprofile', '--norc', '-c', `${GUARD}${CLOSE_FDS}\n${line}`])
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
  const where = machine === 'host' ? 'the lab host' : machine
  process.stdout.write(
    `${c.bold(`${s.name}`)}: a shell on ${where}${current ? `, task ${current.index + 1} of ${tasks.tasks.length}: ${current.title}` : ', all tasks done'}.\n` +
      c.dim(`In it: nslab check · nslab hint · nslab solve · on MACHINE (${machinesOf(s.sandbox.topology).join(', ')}). exit leaves; the lab stays up.\n`),
  )
  const argv = sandbox.enterArgv(machine, ['bash', '--rcfile', RC_FILE, '-i'])
  const shell = interactive({ file: argv[0]!, args: argv.slice(1), env: shellEnv(s, machine), extraPipes: 2 })
  const [requests, replies] = shell.pipes
  if (requests && replies) serve(requests, replies, s.name)
  const code = await shell.done
  if (sandboxIsOurs(s)) process.stdout.write(c.dim(`Left the lab shell; ${s.name} is still up (${commandFor('check', s)}, ${commandFor('down', s)}).\n`))
  else process.stdout.write(`The lab host of ${s.name} has ended (nslab down, reset or a kill); the shell with it.\n`)
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
