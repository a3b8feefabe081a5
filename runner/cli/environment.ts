import { CI_LOGS_WITH_COLOR } from '../util/colors.js'

/**
 * Every environment variable nslab reads. `nslab --help` prints this table,
 * docs/reference.md is generated from it, and test/docs/reference.test.ts
 * fails when a module reads one that is not here.
 */
export const ENVIRONMENT: readonly { name: string; what: string }[] = [
  { name: 'NO_COLOR', what: 'set and not empty: no colour (no-color.org)' },
  { name: 'FORCE_COLOR', what: 'colour even when not a terminal ("0" or "false": none); wins over NO_COLOR. --color and --no-color win over both' },
  { name: 'CI', what: `set, with one of ${CI_LOGS_WITH_COLOR.join(', ')}: colour in the CI log` },
  { name: 'TERM', what: 'dumb: no colour; passed on to lab shells' },
  { name: 'NSLAB_DEBUG', what: 'set: an internal error (exit 70) prints where it happened; exit: after its work, what still keeps nslab running; code-cache: whether the command was compiled from a code cache made at build time, and which (a lint\'s; a run\'s for the commands that run a lab host)' },
  { name: 'NSLAB_STATE_DIR', what: "where learner mode keeps its sessions: a folder of the user's own (default $XDG_RUNTIME_DIR/nslab-UID, else /tmp/nslab-UID)" },
  { name: 'XDG_RUNTIME_DIR', what: 'see NSLAB_STATE_DIR' },
  { name: 'NSLAB_CACHE', what: 'where run --kernel keeps the kernels it fetched (default $XDG_CACHE_HOME/nslab, else ~/.cache/nslab)' },
  { name: 'XDG_CACHE_HOME', what: 'see NSLAB_CACHE' },
  { name: 'HOME', what: 'where ~ is (see NSLAB_CACHE)' },
  { name: 'NSLAB_TIME_SCALE', what: "how many times slower than usual this machine is (1 to 100, default 1): stretches nslab's own fixed time limits, not a lab's" },
  { name: 'NSLAB_SANDBOX_UID', what: 'as root: the unused uid that lab hosts run as (default 1800000000)' },
  { name: 'NSLAB_SANDBOX_BUILDER', what: 'util-linux: lab hosts build their root with mount, ln, pivot_root … instead of one perl process (the default where perl is)' },
  { name: 'NSLAB_AGENT', what: "0: nslab check runs in a node process of its own, not in the session agent (a process of nslab up's that answers nslab check in the time of its checks), and nslab up and check start none" },
  { name: 'NSLAB_FORKER', what: "0: short-lived processes are started by node's own spawn, not by the forker (one perl process that forks them; the default where perl is)" },
  { name: 'NSLAB_VM_KEEP', what: "set: run --kernel keeps each VM's work folder (to look into a failed boot)" },
  { name: 'NODE_EXTRA_CA_CERTS', what: "not read by nslab's own node, which makes no TLS connection: the installed nslab command starts node without it (node would first parse every certificate in the file: 35 ms with Debian's bundle) and gives it back to every process nslab starts" },
  { name: 'PATH', what: 'where nslab finds ip, iptables, nsenter, … (it also looks in /usr/sbin and /sbin)' },
]

/** Read by nslab's own processes only, set by nslab for them: not for a user to set. */
export const INTERNAL_ENVIRONMENT: readonly string[] = ['NSLAB_GRADE_PRIVATE_IPC', 'NSLAB_MAKE_CODE_CACHE', '_NSLAB_NODE_EXTRA_CA_CERTS']

/** Set by nslab inside a lab host, for the lab's scripts and the lab shell. */
export const LAB_ENVIRONMENT: readonly { name: string; what: string }[] = [
  { name: 'NSLAB_MACHINE', what: 'the machine a script or shell runs on: host, a container, or internet' },
  { name: 'NSLAB_LAB', what: 'in nslab shell: the name of the lab that is up' },
]
