// The commands of a tutorial's code block, and what the tutorial shows each
// printing: `$ ` and `# ` prompts (and user@host:~$ ones) taken off, lines
// continued with a backslash or a `> ` prompt joined, the lines after a
// command up to the next prompt its output. A block without prompts is all
// commands (bash, sh) or all output (a plain block after a command).

export interface TutorialCommand {
  /** The command as typed, prompt taken off (several lines when continued). */
  text: string
  /** What the tutorial shows it printing (possibly nothing). */
  output: string[]
}

/** Languages of blocks of commands; `console`-like ones may hold prompts and outputs. */
export const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'zsh', 'console', 'shell-session', 'shellsession', 'terminal', 'sh-session', 'bash-session', 'shell-script', 'shellscript'])
const SESSION_LANGS = new Set(['console', 'shell-session', 'shellsession', 'terminal', 'sh-session', 'bash-session'])
/** Blocks that show what something printed. */
export const OUTPUT_LANGS = new Set(['', 'text', 'txt', 'output', 'plaintext', 'plain', 'log', 'none'])

/** A prompt: `$ `, `user@host:~$ `, `[root@host ~]# `, `root@host:/# `, `% `; `# ` only where root prompts are told apart from comments. */
const USER_PROMPT = /^(?:[\w.-]+@[\w.-]+(?::[^\s$#]*)?|\[[\w.-]+@[\w.-]+ [^\]]*\])?\s?[$%]\s/
const ROOT_PROMPT = /^(?:[\w.-]+@[\w.-]+(?::[^\s$#]*)?|\[[\w.-]+@[\w.-]+ [^\]]*\])\s?#\s|^#\s/
/** Words that start commands: a line `# ip link` in a session block is a root prompt, `# now the bridge` a comment. */
const COMMAND_WORDS = new Set([
  'sudo', 'ip', 'iptables', 'ip6tables', 'nft', 'ping', 'curl', 'wget', 'echo', 'cat', 'ls', 'nsenter', 'unshare', 'bridge', 'brctl',
  'sysctl', 'tcpdump', 'docker', 'ss', 'netstat', 'nc', 'ncat', 'socat', 'python3', 'python', 'ifconfig', 'route', 'arp', 'mkdir',
  'touch', 'ln', 'rm', 'mount', 'umount', 'modprobe', 'conntrack', 'traceroute', 'tracepath', 'dig', 'nslookup', 'host', 'export',
  'cd', 'grep', 'ethtool', 'lsns', 'readlink', 'ps', 'kill', 'systemctl', 'apt', 'apt-get', 'yum', 'dnf', 'exit', 'hostname',
  'tee', 'printf', 'set', 'for', 'while', 'if', 'true', 'false', 'chmod', 'cp', 'mv', 'sh', 'bash', 'nginx', 'busybox', 'iperf3',
])

/** The commands of one code block and their outputs; undefined when the block holds none (an output block). */
export function tutorialCommands(lang: string, content: string): TutorialCommand[] | undefined {
  const lines = content.replace(/\r\n/g, '\n').split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const session = SESSION_LANGS.has(lang)
  const promptOf = (l: string): string | undefined => {
    const u = USER_PROMPT.exec(l)
    if (u) return u[0]
    const r = ROOT_PROMPT.exec(l)
    if (!r) return undefined
    // "# word": a root prompt where the block is a session or has no other prompt, and the word starts a command.
    if (r[0].startsWith('#') && !COMMAND_WORDS.has(l.slice(r[0].length).trim().split(/\s+/)[0] ?? '')) return undefined
    if (r[0].startsWith('#') && !session && !hasUserPrompt) return undefined
    return r[0]
  }
  const hasUserPrompt = lines.some((l) => USER_PROMPT.test(l))
  const prompted = lines.some((l) => promptOf(l) !== undefined)
  if (!prompted) {
    // No prompts: a script (its comments kept), or, in a session block, what something printed.
    if (session) return undefined
    const text = lines.join('\n').trim()
    return text ? [{ text, output: [] }] : []
  }
  const out: TutorialCommand[] = []
  let current: TutorialCommand | undefined
  let continued = false
  for (const l of lines) {
    const p = promptOf(l)
    if (continued && current) {
      // A continued command: the next line, with or without a "> " prompt.
      const rest = l.replace(/^> /, '')
      current.text += `\n${rest}`
      continued = /\\$/.test(rest) || openHereDoc(current.text)
      continue
    }
    if (p !== undefined) {
      current = { text: l.slice(p.length), output: [] }
      out.push(current)
      continued = /\\$/.test(current.text) || openHereDoc(current.text)
      continue
    }
    if (current) current.output.push(l)
  }
  for (const c of out) while (c.output.length && c.output[c.output.length - 1]!.trim() === '') c.output.pop()
  return out
}

/** A command whose here-document has not ended yet (its next lines are the document). */
function openHereDoc(text: string): boolean {
  const m = /<<-?\s*['"]?(\w+)['"]?/.exec(text)
  if (!m) return false
  return !new RegExp(`\\n\\t*${m[1]}$`).test(text)
}
