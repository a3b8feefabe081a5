/** The built-in chains of each iptables table (the only ones with a policy). */
const BUILTIN: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
}

/** Built-in chains of TABLE; undefined when TABLE is not an iptables table. */
export function builtinChains(table: string): string[] | undefined {
  return Object.hasOwn(BUILTIN, table) ? BUILTIN[table] : undefined
}

export const IPTABLES_TABLES = Object.keys(BUILTIN)
