// What of this machine's files a confined VM sees. A matrix VM sees the
// whole root, read-only (its labs are the instructor's). A VM that grades
// hostile answers must assume an answer may become root of the guest (a
// kernel bug is why it runs there), and a guest's root reads whatever its
// view holds and can carry it back in a grade's output. So its view is only
// what the guest runs on: the system folders, without the secrets known to
// live there (password hashes, host keys, mail, logs, other people's
// temporary files), node, nslab, the kernel's modules and the job. Not /root,
// /home, /tmp, /srv, /mnt, nor any folder of the machine's own (/work, …).
import { existsSync, realpathSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Kernel } from './fetch-kernel.js'

export interface GuestView {
  /** Host paths the guest sees, at the same paths (folders, files or top-level links). */
  paths: string[]
  /** Paths (shell patterns) inside those hidden from it: an empty folder or an empty file in their place. */
  hide: string[]
}

/** The system: programs, libraries, their configuration and state. */
const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/var', '/opt']

/** Secrets known to live in the system folders; what is not here and is readable by root is in view. */
export const HIDDEN = [
  '/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/security/opasswd',
  '/etc/ssh/ssh_host_*', '/etc/ssl/private', '/etc/credstore', '/etc/credstore.encrypted',
  '/etc/wireguard', '/etc/NetworkManager/system-connections', '/etc/ipsec.secrets', '/etc/ipsec.d/private',
  '/etc/ppp/chap-secrets', '/etc/ppp/pap-secrets', '/etc/krb5.keytab', '/etc/letsencrypt', '/etc/docker/key.json',
  '/var/backups', '/var/log', '/var/mail', '/var/spool', '/var/tmp', '/var/lib/docker', '/var/lib/containerd',
  '/var/lib/libvirt', '/var/lib/mysql', '/var/lib/postgresql', '/var/lib/sss', '/var/lib/private', '/var/lib/nslab',
]

/** The view of a guest that runs node and nslab's built guest program on the kernel, for its job's files. */
export function guestView(opts: { kernel: Kernel; nslabRoot: string; files: string[] }): GuestView {
  const node = realpathSync(process.execPath)
  const wanted = [...SYSTEM, dirname(dirname(node)), opts.nslabRoot, ...(opts.kernel.modulesDir ? [opts.kernel.modulesDir] : []), ...opts.files]
  return { paths: outermost(wanted.filter((p) => existsSync(p))), hide: HIDDEN }
}

/** Each path once, and none inside another (that one brings it). */
export function outermost(paths: string[]): string[] {
  const sorted = [...new Set(paths.map((p) => p.replace(/\/+$/, '') || '/'))].sort()
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => q === '/' || p.startsWith(`${q}/`)))
}
