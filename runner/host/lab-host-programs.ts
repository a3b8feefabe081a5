// Programs nslab puts first on the PATH of a lab host (BIN_DIR), as scripts
// the lab host's init writes there: `sudo`, since tutorials type it and a lab
// host runs everything as root already; and, when the lab host has sysctl
// settings, an `ip` that gives a namespace `ip netns add` makes those
// settings, as a distro's new namespaces inherit them from its own.

import type { SysctlSetting } from '../lab/lab.js'
import { SANDBOX_DIR } from './sandbox-paths.js'

/** The script that writes the settings every network namespace of the lab host gets (run inside one). */
export const SYSCTL_NS_SCRIPT = `${SANDBOX_DIR}/sysctl-ns`

/**
 * sudo that runs its command as written: -E, -H, -n, -S and the like change
 * nothing in a lab host; -u root (or #0) only; -i and -s run the command
 * through a shell, or open one; NAME=value words before the command are set.
 */
export const SUDO_SCRIPT = [
  "#!/bin/bash",
  "# nslab's sudo: everything in a lab host runs as root already; this runs the command as written.",
  "not_root() { echo \"sudo: everything in a lab host runs as root: $1 is not possible here\" >&2; exit 1; }",
  "shell=",
  "while [ $# -gt 0 ]; do",
  "  case $1 in",
  "    --) shift; break ;;",
  "    -u|--user) case $2 in root|0|'#0') ;; *) not_root \"-u $2\" ;; esac; shift 2 ;;",
  "    --user=*) case ${1#--user=} in root|'#0') ;; *) not_root \"$1\" ;; esac; shift ;;",
  "    -g|--group) case $2 in root|0|'#0') ;; *) not_root \"-g $2\" ;; esac; shift 2 ;;",
  "    -D|--chdir) cd \"$2\" || exit 1; shift 2 ;;",
  "    --chdir=*) cd \"${1#--chdir=}\" || exit 1; shift ;;",
  "    -C|-h|-p|-r|-t|-T|-U|--close-from|--host|--prompt|--role|--type|--command-timeout|--other-user) shift 2 ;;",
  "    -i|--login|-s|--shell) shell=1; shift ;;",
  "    -l|--list) printf 'User root may run the following commands on this host:\\n    (ALL : ALL) ALL\\n'; exit 0 ;;",
  "    -v|--validate|-k|--reset-timestamp|-K|--remove-timestamp) shift; [ $# -gt 0 ] || exit 0 ;;",
  "    -V|--version) echo \"Sudo (nslab): runs the command as root\"; exit 0 ;;",
  "    --*) shift ;;",
  "    -?*)",
  "      # A cluster of flags (-nE); one that takes a value takes the next word (-Eu root).",
  "      f=$1; shift",
  "      case $f in *[is]*) shell=1 ;; esac",
  "      case $f in",
  "        *u) case $1 in root|0|'#0') ;; *) not_root \"-u $1\" ;; esac; shift ;;",
  "        *D) cd \"$1\" || exit 1; shift ;;",
  "        *[gCdhprTU]) shift ;;",
  "      esac ;;",
  "    *) break ;;",
  "  esac",
  "done",
  "while [ $# -gt 0 ] && [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do export \"$1\"; shift; done",
  "if [ -n \"$shell\" ]; then",
  "  [ $# -gt 0 ] || exec bash",
  "  exec bash -c \"$*\"",
  "fi",
  "[ $# -gt 0 ] || { echo \"usage: sudo COMMAND\" >&2; exit 1; }",
  "exec \"$@\"",
  "",
].join('\n')

/** `ip` that runs the machine's ip (realIp), then gives a namespace `ip netns add` made the lab host's settings. */
export function ipScript(realIp: string): string {
  // POSIX sh, not bash: every ip of a lab's steps goes through it, and dash starts in half the time.
  return [
    "#!/bin/sh",
    "# nslab's ip: the machine's own; a namespace ip netns add makes then gets the lab host's sysctl",
    "# settings, as a distro's new namespaces inherit them from its own.",
    "s= o= c= n=",
    "for a do",
    "  if [ -n \"$s\" ]; then s=",
    "  elif [ -z \"$o\" ]; then",
    "    case $a in -n|-netns|-rc|-rcvbuf|-family|-f|-l|-loops|-b|-batch) s=1 ;; -*) ;; *) o=$a ;; esac",
    "  elif [ -z \"$c\" ]; then c=$a",
    "  else n=$a; break",
    "  fi",
    "done",
    "case $o:$c in",
    "  net:a|net:ad|net:add|netn:a|netn:ad|netn:add|netns:a|netns:ad|netns:add) ;;",
    "  *) exec " + realIp + " \"$@\" ;;",
    "esac",
    realIp + " \"$@\" || exit",
    "[ -z \"$n\" ] || nsenter --net=\"/run/netns/$n\" /bin/sh " + SYSCTL_NS_SCRIPT + " 2>/dev/null",
    "exit 0",
    "",
  ].join('\n')
}

/** A sysctl key's file under /proc/sys: dots part it, a slash in a part stands for a dot (eth0/100 is eth0.100). */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.split('.').map((p) => p.replace(/\//g, '.')).join('/')}`
}

/**
 * The settings a new network namespace inherits (the kernel copies IPv4's
 * conf/all and conf/default, forwarding among them, from the machine's
 * namespace): these reach every namespace of the lab host; the others are
 * the lab host's own.
 */
export function inherited(s: SysctlSetting): boolean {
  return /^net\.ipv4\.conf\.(all|default)\./.test(s.key) || s.key === 'net.ipv4.ip_forward'
}
