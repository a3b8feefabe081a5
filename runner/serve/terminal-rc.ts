// The startup file of a terminal of the page: a root login on one machine of
// the lab host, like the lab shell's (runner/cli/shell-command.ts), whose
// prompt also tells the server that a command has finished (and with what
// status): the FinalTerm "command finished" sequence, OSC 133;D;STATUS, that
// terminals with shell integration (VS Code, iTerm2, WezTerm) read. The server
// re-checks the task at once when it sees one, and Solve knows when each of
// its commands is done; xterm.js ignores the sequence.
import { machinesOf, type Topology } from '../lab/lab.js'
import { CLOSE_FDS } from '../host/sandbox-script.js'
import { HIDDEN_NS_DIR, NETNS_DIR, SANDBOX_DIR } from '../host/sandbox-paths.js'
import { PROGRESS_FILE } from '../learn/learner-session.js'

/** Where it is written, inside the lab host. */
export const TERMINAL_RC = `${SANDBOX_DIR}/pagerc`

/** What the prompt prints before itself: OSC 133;D;status, then BEL. */
export const PROMPT_MARK = /\x1b\]133;D;(\d+)\x07/g

/** The rc file of a page's terminals for the session `name` (letters, digits, - _ . only). */
export function terminalRc(name: string, topology: Topology): string {
  return `# nslab: startup file of a terminal of nslab serve's page, for ${name}
read -r _a _b _c </proc/self/uid_map; [ "$_c" != 4294967295 ] || { echo "nslab: refusing to run outside a sandbox" >&2; exit 125; }; unset _a _b _c
${CLOSE_FDS}
[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc
cd /root 2>/dev/null || cd /
__nslab_progress=?
__nslab_prompt() { local s=$?; printf '\\033]133;D;%s\\007' "$s"; read -r __nslab_progress <${PROGRESS_FILE} 2>/dev/null || __nslab_progress=?; }
PROMPT_COMMAND=__nslab_prompt
if [ "\${NSLAB_MACHINE:-host}" = host ]; then __nslab_at='\\h'; else __nslab_at=$NSLAB_MACHINE; fi
PS1='\\[\\e[1;36m\\][${name} \${__nslab_progress}]\\[\\e[0m\\] \\u@'"$__nslab_at"':\\w\\$ '
# Run and Solve type a block of several lines as one paste: it runs as one command line.
bind 'set enable-bracketed-paste on' 2>/dev/null
nslab() {
  echo "nslab: in the page, tasks check themselves; Hint, Solve and Reset are its buttons." >&2
  echo "       From a terminal of your own machine: nslab check ${name}, nslab hint ${name}" >&2
  return 2
}
on() {
  local m=\${1:?usage: on MACHINE [COMMAND…] (machines: ${machinesOf(topology).join(' ')})}; shift
  local ns
  case $m in
    host) ns=/proc/1/ns/net ;;
    internet) ns=${HIDDEN_NS_DIR}/internet ;;
    *) ns=${NETNS_DIR}/$m ;;
  esac
  [ -e "$ns" ] || { echo "on: no machine $m" >&2; return 2; }
  if [ $# -eq 0 ]; then NSLAB_MACHINE=$m nsenter --net="$ns" bash --rcfile ${TERMINAL_RC} -i; else nsenter --net="$ns" "$@"; fi
}
`
}
