/** One cell of a matrix: a kernel and an iptables back end, and what the guest said of itself. */
export interface Cell {
  /** The --kernel SPEC (spaces, if any, as _). */
  spec: string
  backend: 'nft' | 'legacy'
  /** uname -r in the guest; unknown when it did not boot. */
  release?: string
  /** The version `iptables -V` printed, e.g. v1.8.9. */
  iptablesVersion?: string
}

/**
 * The label every result of a cell carries (LabResult.cell, hence the JUnit
 * test names, TAP and JSON): "debian:bookworm 6.1.0-50-amd64 iptables-nft v1.8.9".
 * Without a boot, only what was asked: "debian:bookworm iptables-nft".
 */
export function cellLabel(c: Cell): string {
  return [c.spec.replace(/\s+/g, '_'), c.release, `iptables-${c.backend}`, c.iptablesVersion].filter(Boolean).join(' ')
}

/** The part of a label that names a column of the matrix, whatever the guest said: spec and back end. */
export function cellKey(c: Pick<Cell, 'spec' | 'backend'>): string {
  return `${c.spec.replace(/\s+/g, '_')} iptables-${c.backend}`
}

/** A label back as a cell; undefined for a label no matrix wrote. */
export function parseCellLabel(label: string): Cell | undefined {
  const m = /^(\S+)(?: (\S+))? iptables-(nft|legacy)(?: (v\S+))?$/.exec(label)
  if (!m) return undefined
  return {
    spec: m[1]!,
    backend: m[3] as Cell['backend'],
    ...(m[2] ? { release: m[2] } : {}),
    ...(m[4] ? { iptablesVersion: m[4] } : {}),
  }
}

/** What `iptables -V` printed ("iptables v1.8.9 (nf_tables)"), back from a cell. */
export function iptablesV(c: Cell): string | undefined {
  return c.iptablesVersion ? `iptables ${c.iptablesVersion} (${c.backend === 'nft' ? 'nf_tables' : 'legacy'})` : undefined
}
