// A command as tutorials write it, without what only says how or where it
// runs: `sudo -E`, `env A=b`, `ip netns exec NS`, `nsenter --net=…/NS`,
// `ip -n NS`. What is left is the command itself, and the network namespace
// it runs in when the wrappers name one.

import { sudoOptions } from './step-effect.js'

export interface UnwrappedCommand {
  words: string[]
  literal: boolean[]
  /** The network namespace the wrappers name (ip netns exec NS, nsenter --net=/var/run/netns/NS, ip -n NS). */
  netns?: string
  /** It went through sudo. */
  sudo: boolean
  /** A wrapper that enters a namespace was given no command: it would open a shell (nsenter --net=… alone). */
  shell?: string
}

const NETNS_FILE = /^(?:\/var)?\/run\/netns\/([A-Za-z0-9_.@:+-]+)$/

export function unwrapCommand(words0: string[], literal0: boolean[] = words0.map(() => true)): UnwrappedCommand {
  let words = words0
  let literal = literal0
  let netns: string | undefined
  let sudo = false
  const drop = (k: number) => {
    words = words.slice(k)
    literal = literal.slice(k)
  }
  for (let guard = 0; guard < 8 && words.length > 0; guard++) {
    const cmd = words[0]!.replace(/^.*\//, '')
    if (cmd === 'sudo') {
      sudo = true
      drop(1 + sudoOptions(words.slice(1)))
      continue
    }
    if (cmd === 'env' || cmd === 'command' || cmd === 'exec' || cmd === 'time') {
      let k = 1
      while (k < words.length && (/^-/.test(words[k]!) || (cmd === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k]!)))) k++
      drop(k)
      continue
    }
    if (cmd === 'ip') {
      // ip [-n NS] netns exec NS CMD …
      let k = 1
      let n: string | undefined
      while (k < words.length && words[k]!.startsWith('-')) {
        if (/^-(n|netns)$/.test(words[k]!)) n = words[k + 1]
        k += /^-(n|netns|rc|family|f|l|loops|b|batch)$/.test(words[k]!) ? 2 : 1
      }
      const object = words[k]
      if (object && object.length >= 3 && 'netns'.startsWith(object) && words[k + 1] && 'exec'.startsWith(words[k + 1]!) && words[k + 2]) {
        netns = words[k + 2]
        if (words.length <= k + 3) return { words: [], literal: [], netns, sudo, shell: words.slice(0, k + 3).join(' ') }
        drop(k + 3)
        continue
      }
      if (n !== undefined) {
        // ip -n NS OBJECT …: ip itself, in NS.
        netns = n
        const i = words.findIndex((w, j) => j > 0 && /^-(n|netns)$/.test(w))
        return { words: [...words.slice(0, i), ...words.slice(i + 2)], literal: [...literal.slice(0, i), ...literal.slice(i + 2)], netns, sudo }
      }
      break
    }
    if (cmd === 'nsenter') {
      let k = 1
      let n: string | undefined
      let other = false
      while (k < words.length && words[k]!.startsWith('-') && words[k] !== '--') {
        const w = words[k]!
        const m = /^--net(?:=(.*))?$/.exec(w) ?? /^-n(.+)$/.exec(w)
        if (m?.[1]) n = NETNS_FILE.exec(m[1])?.[1] ?? m[1]
        else if (/^-[a-zA-Z]*[tSGw]$|^--(target|setuid|setgid|wd|root)$/.test(w)) {
          k += 2
          other = true
          continue
        }
        k++
      }
      if (words[k] === '--') k++
      if (n !== undefined || other) {
        if (n !== undefined && !n.startsWith('/')) netns = n
        if (k >= words.length) return { words: [], literal: [], ...(netns ? { netns } : {}), sudo, shell: words.slice(0, k).join(' ') }
        drop(k)
        continue
      }
      break
    }
    break
  }
  return { words, literal, ...(netns !== undefined ? { netns } : {}), sudo }
}
