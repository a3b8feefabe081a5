import { isIPv4 } from 'node:net'
import { machinesOf } from '../runner/lab/lab.js'
import type { CheckContext } from './check-context.js'

/**
 * The address a check uses for machine NAME as machine FROM reaches it. Two
 * machines of the topology: what the lab says (ctx.addressOf). Where either
 * is a network namespace the lab made (`ip netns add netns0`), nothing says
 * it but the machines themselves, so it is read when the check runs: NAME's
 * address on a link it shares with FROM (the one a reply comes back on), else
 * NAME's first address that is not loopback. Undefined for a name that is no
 * machine now.
 */
export async function machineAddress(ctx: CheckContext, name: string, from: string, as: 'target' | 'gateway' = 'target'): Promise<string | undefined> {
  // An address is itself: no machine is named so (the lookup below would only ask the machines to find none).
  if (isIPv4(name)) return name
  const machines = machinesOf(ctx.lab.topology)
  const declared = machines.includes(name) ? ctx.addressOf(name, from, as) : undefined
  if ((machines.includes(name) && machines.includes(from)) || !ctx.addressesOf) return declared
  const [to, mine] = await Promise.all([ctx.addressesOf(name), ctx.addressesOf(from)])
  if (!to) return declared
  for (const a of mine ?? []) {
    const hit = to.find((b) => !b.ip.startsWith('127.') && sameSubnet(a.ip, b.ip, Math.min(a.prefix, b.prefix)))
    if (hit) return hit.ip
  }
  return to.find((b) => !b.ip.startsWith('127.'))?.ip ?? declared
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
}

function sameSubnet(a: string, b: string, prefix: number): boolean {
  if (prefix <= 0) return true
  const shift = 32 - prefix
  return Math.floor(toNumber(a) / 2 ** shift) === Math.floor(toNumber(b) / 2 ** shift)
}
