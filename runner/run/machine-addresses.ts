// Machine names follow their machines. A lab may re-address a machine of its
// topology in a step (the internet's 203.0.113.10, a container's eth0): after
// a step that changes addresses, nslab reads them again, checks use the new
// ones, and the lab host's /etc/hosts names them, as a person who changed
// them would edit it.

import type { Sandbox } from '../host/sandbox.js'
import { machinesOf, type Topology } from '../lab/lab.js'
import { shellCommands } from '../lab/shell-commands.js'
import { unwrapCommand } from '../lab/unwrap-command.js'
import { parseIpAddr, type IpAddrEntry } from '../../checks/parse-ip-addr.js'

export interface AddressBook {
  /** Each machine's address as the lab host's /etc/hosts names it. */
  names: Map<string, string>
  /** The lab host's address on the internet's link (what the internet reaches it by). */
  hostOutside?: string
  /** The internet's address on that link (what the lab host routes by). */
  internetLink?: string
}

/** Whether a script changes addresses (ip addr add/del/flush/…, ifconfig IF ADDR, links moved or deleted). */
export function changesAddresses(script: string): boolean {
  const parsed = shellCommands(script)
  if (parsed.complex) return true
  return parsed.commands.some((c) => {
    const { words } = unwrapCommand(c.words, c.literal)
    const cmd = words[0]?.replace(/^.*\//, '')
    if (cmd === 'ifconfig') return words.length > 2
    if (cmd !== 'ip') return false
    let k = 1
    while (k < words.length && words[k]!.startsWith('-')) k += /^-(n|netns|rc|family|f|l|loops)$/.test(words[k]!) ? 2 : 1
    if (/^-(b|batch)$/.test(words[k - 1] ?? '')) return true
    const [object, command] = [words[k] ?? '', words[k + 1] ?? '']
    if ('address'.startsWith(object) && object.length >= 1) return /^(add|del|delete|flush|change|replace|a|d)$/.test(command)
    if ('link'.startsWith(object) && object.length >= 1) return /^(del|delete|set|d)$/.test(command)
    return false
  })
}

/** The addresses the machines of the topology have now. */
export async function readAddressBook(sandbox: Sandbox, topology: Topology): Promise<AddressBook> {
  const machines = machinesOf(topology)
  const seen = await Promise.all(
    machines.map(async (m) => {
      const r = await sandbox.look({ machine: m, script: 'ip -j -4 addr show', timeoutMs: 3000 }).catch(() => undefined)
      try {
        return r && r.exitCode === 0 ? parseIpAddr(r.stdout) : undefined
      } catch {
        return undefined
      }
    }),
  )
  const first = (entries: IpAddrEntry[] | undefined, ifname: string, notLoopback = false) =>
    entries?.find((e) => e.ifname === ifname)?.addresses.find((a) => a.family === 'inet' && !(notLoopback && a.local.startsWith('127.')))?.local
  const book: AddressBook = { names: new Map() }
  machines.forEach((m, i) => {
    const e = seen[i]
    let a: string | undefined
    if (m === 'host') a = topology.bridge ? first(e, topology.bridge.name) : topology.internet ? first(e, 'eth0') : undefined
    else if (m === 'internet') a = first(e, 'lo', true)
    else a = first(e, 'eth0')
    if (a) book.names.set(m, a)
    if (m === 'host' && topology.internet) book.hostOutside = first(e, 'eth0')
    if (m === 'internet') book.internetLink = first(e, 'eth0')
  })
  return book
}

/** addressFrom with the addresses of the book, where it has them. */
export function addressIn(book: AddressBook | undefined, sandbox: Sandbox, name: string, from?: string, as: 'target' | 'gateway' = 'target'): string | undefined {
  if (book && sandbox.topology.internet) {
    if (name === 'host' && from === 'internet' && book.hostOutside) return book.hostOutside
    if (name === 'internet' && as === 'gateway' && book.internetLink) return book.internetLink
  }
  const fixed = sandbox.addressOf(name, from, as)
  if (fixed === undefined) return undefined
  if (name === 'host' && from === 'internet') return fixed
  if (name === 'internet' && as === 'gateway') return fixed
  return book?.names.get(name) ?? fixed
}

/** Name the machines in the lab host's /etc/hosts as the book has them (lines of other names stay). */
export async function writeHosts(sandbox: Sandbox, book: AddressBook): Promise<void> {
  const r = await sandbox.exec({ machine: 'host', script: 'cat /etc/hosts', timeoutMs: 3000 })
  if (r.exitCode !== 0) return
  let changed = false
  const lines = r.stdout.split('\n').map((l) => {
    const m = /^(\S+)(\s+)(\S+)\s*$/.exec(l)
    const now = m ? book.names.get(m[3]!) : undefined
    if (!m || now === undefined || now === m[1]) return l
    changed = true
    return `${now}${m[2]}${m[3]}`
  })
  if (!changed) return
  // Written in place: /etc/hosts is a file mounted there, which a rename could not replace.
  await sandbox.exec({ machine: 'host', script: 'cat > /etc/hosts', input: lines.join('\n'), timeoutMs: 3000 })
}
