// What `nslab lint` warns of: commands pasted from a tutorial that a person
// types at a terminal but that do something else in a step, which has none.
// A shell opened by `nsenter --net=…` or `ip netns exec X bash` exits at
// once, and the lines after it run on the host; `ping` without -c runs until
// the step's timeout. The lab still runs: these are warnings, each at its line.

import type { Block, ScriptBlock } from './lab.js'
import type { Located } from './build-topology.js'
import { shellCommands, type ShellCommand } from './shell-commands.js'
import { unwrapCommand } from './unwrap-command.js'

const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash', 'fish', 'ash', 'ksh'])

export function labWarnings(blocks: Block[]): Located[] {
  const out: Located[] = []
  for (const b of blocks) {
    if (b.kind !== 'script') continue
    const parsed = shellCommands(b.content)
    const commands = parsed.commands
    commands.forEach((c, i) => {
      const pipedInto = i > 0 && commands[i - 1]!.piped
      const w = interactiveCommand(c, b, pipedInto)
      if (w) out.push({ line: b.contentLine + c.line - 1, message: w })
    })
    if (b.exit === 'any' && !b.background && commands.length > 1) {
      out.push({
        line: b.line,
        message: `with exit=any, bash -e still ends this ${b.role} at the first command that fails, and the lines after it do not run: end a command that may fail with || true (or say exit=N for the last one)`,
      })
    }
  }
  return out
}

/** Why a command does not do in a step what it does at a terminal, if it does not. */
export function interactiveCommand(c: ShellCommand, b: Pick<ScriptBlock, 'background'>, pipedInto = false): string | undefined {
  const u = unwrapCommand(c.words, c.literal)
  const where = u.netns
  const oneCommand = (wrapper: string) =>
    `give each command its own ${wrapper} (${wrapper} ip link set lo up)${where ? `, or put them in a step with on=${where}` : ''}`
  if (u.shell !== undefined) {
    return `"${c.text}" opens a shell, which in a step exits at once (a step has no terminal): the lines after it run on the host${where ? `, not in ${where}` : ''}; ${oneCommand(c.text)}`
  }
  const [cmd0, ...args] = u.words
  if (cmd0 === undefined) {
    if (u.sudo && c.words.some((w) => /^-[a-zA-Z]*[is]$|^--(login|shell)$/.test(w))) {
      return `"${c.text}" opens a root shell, which in a step exits at once: a step runs as root already, so write the commands without sudo -i`
    }
    return undefined
  }
  const cmd = cmd0.replace(/^.*\//, '')
  if (SHELLS.has(cmd) && !c.hereDoc && !pipedInto && args.every((a) => /^-(i|l|-login|-norc|-noprofile)$/.test(a))) {
    const inside = where ? ` in ${where}` : ''
    return `"${c.text}" opens a shell${inside}, which in a step exits at once (a step has no terminal): the lines after it run ${where ? `on the host, not in ${where}` : 'in the step itself'}; ${where ? `run each command as ip netns exec ${where} COMMAND, or put them in a step with on=${where}` : 'write the commands without it'}`
  }
  if (cmd === 'su' && !args.some((a) => a === '-c' || a === '--command' || a.startsWith('--command='))) {
    return `"${c.text}" opens a shell, which in a step exits at once: a step runs as root already, so write the commands without it`
  }
  if (cmd === 'docker' && args[0] === 'exec' && args.some((a) => /^-[a-zA-Z]*[it]/.test(a))) {
    const rest = args.slice(1).filter((a) => !a.startsWith('-'))
    if (rest.length <= 1 || (rest.length === 2 && SHELLS.has(rest[1]!.replace(/^.*\//, '')))) {
      return `"${c.text}" opens a shell in the container, which in a step exits at once: the lines after it run on the host; run each command as docker exec ${rest[0] ?? 'CONTAINER'} COMMAND (without -it)`
    }
  }
  if (cmd === 'unshare' && args.every((a) => a.startsWith('-'))) {
    return `"${c.text}" opens a shell in the new namespaces, which in a step exits at once: the lines after it run outside them; give it the command to run (${c.text} ip link)`
  }
  if (b.background || c.background) return undefined
  if ((cmd === 'ping' || cmd === 'ping6') && !args.some((a) => /^-[a-zA-Z]*[cw]/.test(a) || /^--(count|deadline)/.test(a))) {
    return `"${c.text}" pings until Ctrl-C, so the step runs until its timeout: write ping -c 3 …`
  }
  if (cmd === 'tcpdump' && !args.some((a) => /^-[a-zA-Z]*c/.test(a))) {
    return `"${c.text}" captures until Ctrl-C, so the step runs until its timeout: give it -c N, or make it a background step`
  }
  if (cmd === 'watch' || cmd === 'top' || cmd === 'htop') {
    if (cmd === 'top' && args.some((a) => /^-[a-zA-Z]*b/.test(a))) return undefined
    return `"${c.text}" redraws a terminal until you quit it, so the step runs until its timeout: run the command it shows once`
  }
  if (['vi', 'vim', 'nano', 'emacs', 'nvim'].includes(cmd)) {
    return `"${c.text}" opens an editor, which a step cannot type into: write the file with a here-document (cat > FILE <<'EOF' … EOF)`
  }
  return undefined
}
