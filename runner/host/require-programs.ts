import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { NslabError } from '../util/nslab-error.js'

/** The Debian package that brings each program a lab host or a lab may need. */
export const PACKAGE_OF: Record<string, string> = {
  bash: 'bash',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  pivot_root: 'util-linux',
  mount: 'mount',
  hostname: 'hostname',
  ip: 'iproute2',
  bridge: 'iproute2',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-restore': 'iptables',
  'iptables-legacy': 'iptables',
  ping: 'iputils-ping',
  curl: 'curl',
  busybox: 'busybox-static',
  nginx: 'nginx-light',
  brctl: 'bridge-utils',
  conntrack: 'conntrack',
  nft: 'nftables',
  tmux: 'tmux',
  socat: 'socat',
  qemu: 'qemu-system-x86',
  // engine: docker, and the images it runs
  docker: 'docker.io',
  dockerd: 'docker.io',
  'docker-proxy': 'docker.io',
  containerd: 'containerd',
  runc: 'runc',
  mmdebstrap: 'mmdebstrap',
  tar: 'tar',
}

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

/** Where a program is, looking where a root shell would; undefined when absent. */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH]
  for (const d of dirs) {
    if (!d) continue
    const p = join(d, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/** Throw one clear PREREQUISITE error naming the packages to install. */
export function requirePrograms(names: string[]): void {
  const missing = [...new Set(names)].filter((n) => !findProgram(n))
  if (missing.length === 0) return
  const pkgs = [...new Set(missing.map((n) => PACKAGE_OF[n] ?? n))]
  throw new NslabError({
    code: 'PREREQUISITE',
    message: `this machine lacks ${missing.map((m) => `\`${m}\``).join(', ')}`,
    fix: `apt-get install ${pkgs.join(' ')}`,
  })
}
