// IPv4 addresses and CIDRs, checked by hand so that every rejection can say
// exactly what is wrong ("the prefix length is 0 to 32").

export type IPv4Result = { value: number } | { error: string }
export type CidrResult = { address: number; prefix: number } | { error: string }

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** A dotted quad as an unsigned 32-bit number. Leading zeros are refused: some tools read them as octal. */
export function parseIPv4(text: string): IPv4Result {
  const m = DOTTED.exec(text)
  if (!m) return { error: `"${text}" is not an IPv4 address: write four numbers from 0 to 255 with dots, e.g. 172.17.0.2` }
  let value = 0
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!
    const n = Number(part)
    if (n > 255) return { error: `"${text}" is not an IPv4 address: ${part} is more than 255` }
    if (part.length > 1 && part.startsWith('0')) return { error: `"${text}" is not an IPv4 address: write ${part} without its leading zero` }
    value = value * 256 + n
  }
  return { value }
}

/** `ADDRESS/PREFIX`; the address may have host bits set (172.17.0.1/16 is the bridge's own address). */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/')
  if (slash < 0) return { error: `"${text}" has no prefix length: write it as ADDRESS/PREFIX, e.g. 172.17.0.0/16` }
  const addr = parseIPv4(text.slice(0, slash))
  if ('error' in addr) return { error: `"${text}" is not a CIDR: ${addr.error.replace(/^"[^"]*" is not an IPv4 address: /, '')}` }
  const p = text.slice(slash + 1)
  if (!/^\d{1,2}$/.test(p) || Number(p) > 32) return { error: `"${text}" is not a CIDR: the prefix length is 0 to 32` }
  return { address: addr.value, prefix: Number(p) }
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')
}

/** The network mask of a prefix length as an unsigned number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** Does the subnet `net/prefix` hold `value`? */
export function inSubnet(value: number, net: number, prefix: number): boolean {
  const mask = maskOf(prefix)
  return ((value & mask) >>> 0) === ((net & mask) >>> 0)
}
