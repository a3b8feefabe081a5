// A snapshot of this machine's own network and mounts, to prove that nslab
// changed none of it. Reading only: every command here just prints.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

function out(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    return `failed: ${(e as Error).message}`
  }
}

// Counters and timestamps change by themselves; everything else must not.
const stable = (s: string) =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[]'))
    .join('\n')

export interface MachineState {
  iptables: string
  iptablesLegacy: string
  links: string
  addrs: string
  routes: string
  netns: string
  mounts: string
}

export function machineState(): MachineState {
  return {
    iptables: stable(out('iptables-save', [])),
    iptablesLegacy: stable(out('iptables-legacy-save', [])),
    // Link statistics change; names, flags, masters and kinds must not.
    links: out('ip', ['-d', '-o', 'link', 'show']).replace(/ (qlen|numtxqueues|numrxqueues|gso_max_size|gso_max_segs|tso_max_size|tso_max_segs|gro_max_size|gso_ipv4_max_size|gro_ipv4_max_size|parentbus|parentdev) \S+/g, ''),
    addrs: out('ip', ['-o', 'addr', 'show']).replace(/valid_lft \S+ preferred_lft \S+/g, ''),
    routes: out('ip', ['route', 'show', 'table', 'all']),
    netns: out('ip', ['netns', 'list']),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ').slice(4, 6).join(' '))
      .sort()
      .join('\n'),
  }
}
