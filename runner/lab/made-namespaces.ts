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
      const name = madeBy(c.words, c.literal)
      if (name !== undefined && !made.has(name)) made.set(name, b.contentLine + c.line - 1)
    }
  }
  return made
}

/** The namespace one command makes, if it makes one by a written name. */
export function madeBy(words0: string[], literal0: boolean[]): string | undefined {
  const { words, literal } = unwrapCommand(words0, literal0)
  const cmd = words[0]?.replace(/^.*\//, '')
  if (cmd === 'ip') {
    let k = 1
    while (k < words.length && words[k]!.startsWith('-')) k += /^-(n|netns|rc|family|f|l|loops|b|batch)$/.test(words[k]!) ? 2 : 1
    const object = words[k]
    const sub = words[k + 1]
    const name = words[k + 2]
    if (!object || object.length < 3 || !'netns'.startsWith(object) || !sub || !name || !literal[k + 2]) return undefined
    return (('add'.startsWith(sub) && sub.length >= 1) || ('attach'.startsWith(sub) && sub.length >= 2)) ? name : undefined
  }
  if (cmd === 'ln' || cmd === 'touch' || cmd === 'mount' || cmd === 'unshare') {
    // The namespace file is the last word (ln -s /proc/PID/ns/net /var/run/netns/NAME), or unshare's --net=FILE.
    for (let i = words.length - 1; i > 0; i--) {
      const w = cmd === 'unshare' ? /^--net=(.*)$/.exec(words[i]!)?.[1] : words[i]
      const m = w !== undefined && literal[i] ? NETNS_PATH.exec(w) : null
      if (m) return m[1]
      if (cmd !== 'unshare') break
    }
  }
  return undefined
}
