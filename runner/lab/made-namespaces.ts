// The network namespaces a lab's scripts make by name — `ip netns add NAME`,
// `ip netns attach NAME PID`, a link or file in /run/netns — so that checks
// and on= may name them as machines. Only names written out count: a name
// built by the shell (ns$i) is bash's to know.

import type { Block } from './lab.js'
import { shellCommands } from './shell-commands.js'
import { unwrapCommand } from './unwrap-command.js'

const NETNS_PATH = /^(?:\/var)?\/run\/netns\/([A-Za-z0-9_.@:+-]+)$/

/** Each name a script block makes, with the file line of the first command that makes it. */
export function madeNamespaces(blocks: Block[]): Map<string, number> {
  const made = new Map<string, number>()
  for (const b of blocks) {
    if (b.kind !== 'script') continue
    for (const c of shellCommands(b.content).commands) {
      for (const name of madeBy(c.words, c.literal)) if (!made.has(name)) made.set(name, b.contentLine + c.line - 1)
    }
  }
  return made
}

/** The namespaces one command makes by a written name. */
export function madeBy(words0: string[], literal0: boolean[]): string[] {
  const { words, literal } = unwrapCommand(words0, literal0)
  const cmd = words[0]?.replace(/^.*\//, '')
  if (cmd === 'ip') {
    let k = 1
    while (k < words.length && words[k]!.startsWith('-')) k += /^-(n|netns|rc|family|f|l|loops|b|batch)$/.test(words[k]!) ? 2 : 1
    const object = words[k]
    const sub = words[k + 1]
    const name = words[k + 2]
    if (!object || object.length < 3 || !'netns'.startsWith(object) || !sub || !name || !literal[k + 2]) return []
    return ('add'.startsWith(sub) && sub.length >= 1) || ('attach'.startsWith(sub) && sub.length >= 2) ? [name] : []
  }
  // The namespace's file: the target of ln and mount (their last word), any file touch makes, unshare's --net=FILE.
  const files = cmd === 'ln' || cmd === 'mount' ? words.slice(-1) : cmd === 'touch' ? words.slice(1) : cmd === 'unshare' ? words.map((w) => /^--net=(.*)$/.exec(w)?.[1] ?? '') : []
  const at = cmd === 'ln' || cmd === 'mount' ? words.length - 1 : cmd === 'touch' ? 1 : 0
  return files.flatMap((w, i) => (literal[at + i] ? [NETNS_PATH.exec(w)?.[1]].filter((n): n is string => !!n) : []))
}
