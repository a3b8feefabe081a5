import { randomBytes } from 'node:crypto'
import { dockerRules } from './docker-rules.js'
import type { Topology } from './lab.js'
import { BIN_DIR, HIDDEN_NS_DIR, LOG_DIR, NETNS_DIR, SANDBOX_DIR } from './sandbox-paths.js'
import { shellQuote } from './shell-quote.js'

export interface SandboxScriptOptions {
  topology: Topology
  /** Make `iptables` the legacy or nft back end inside the sandbox; default: the machine's own. */
  iptables?: 'nft' | 'legacy'
  /** The back end `iptables-restore` is, when known (iptablesBackend): nf_tables' rules load first. */
  backend?: 'nft' | 'legacy'
  /** Keep running until SIGTERM (learner mode) instead of until stdin closes. */
  persistent: boolean
  hostname: string
}

/** Host-side veth names as Docker makes them: "veth" and 7 hex digits. */
export function vethName(): string {
  return `veth${randomBytes(4).toString('hex').slice(0, 7)}`
}

/** Docker's MAC for a container address: 02:42 and the address's four bytes. */
export function dockerMac(ip: string): string {
  return ['02', '42', ...ip.split('.').map((n) => Number(n).toString(16).padStart(2, '0'))].join(':')
}

export const INTERNET = { hostAddress: '198.51.100.2', address: '198.51.100.1', prefix: 24, outside: '203.0.113.10' }

/** The address each machine name stands for inside the sandbox. */
export function machineAddresses(topology: Topology): Map<string, string> {
  const m = new Map<string, string>()
  m.set('host', topology.bridge?.address ?? (topology.internet ? INTERNET.hostAddress : '127.0.0.1'))
  for (const c of topology.containers) m.set(c.name, c.ip)
  if (topology.internet) m.set('internet', INTERNET.outside)
  return m
}

/**
 * The script that pid 1 of a new sandbox runs: its own /run, /tmp and /sys, the
 * host's files behind a throwaway layer, the topology, then "ready" on stdout,
 * then it waits. When it ends, the kernel ends every process of the sandbox
 * and frees its namespaces and mounts: that is the teardown.
 */
export function sandboxScript(opts: SandboxScriptOptions): string {
  const { topology } = opts
  const s: string[] = []
  const bridge = topology.bridge
  const waits: string[] = []
  s.push('set -e')
  // The work runs in parallel where it can: iptables-restore with nf_tables
  // mostly waits on the kernel, and each `ip` or `mount` is a process of its own.
  // sethostname(2): /proc/sys/kernel/hostname is not writable by an ordinary user's namespace root.
  const docker: string[] = []
  if (topology.docker && bridge) {
    // Docker's rules are the longest single piece of the lab host (20–35 ms with nf_tables): they
    // need only this network namespace, and with iptables-legacy a /run of the sandbox's own (it
    // takes its lock there), so they start first, or as soon as that /run exists.
    const restore = opts.iptables ? `/usr/sbin/iptables-${opts.iptables}-restore` : 'iptables-restore'
    docker.push('echo 1 > /proc/sys/net/ipv4/ip_forward')
    docker.push(`${restore} <<'NSLAB_EOF' &\n${dockerRules(bridge, topology.containers)}NSLAB_EOF`)
    docker.push('P_ipt=$!')
    waits.push('$P_ipt')
  }
  const rulesFirst = opts.backend === 'nft'
  if (rulesFirst) s.push(...docker)
  s.push(`hostname ${shellQuote(opts.hostname)}`)
  s.push('mount -t tmpfs -o mode=755 nslab /run')
  if (!rulesFirst) s.push(...docker)
  // One fstab, one `mount -a`: a process per mount would cost more than the rest.
  const dirs = ['etc', 'usr', 'var', 'opt', 'srv', 'home', 'root']
  s.push(`O=${SANDBOX_DIR}; F=$O/fstab; T=''; mk="$O/ns ${NETNS_DIR} ${LOG_DIR} /run/lock${opts.iptables ? ` ${BIN_DIR}` : ''}"`)
  s.push(`for d in ${dirs.join(' ')}; do`)
  s.push('  [ -d /$d ] && [ ! -L /$d ] || continue')
  s.push('  mk="$mk $O/upper/$d $O/work/$d"')
  // Writes to the host's files land in an overlay upper layer inside /run.
  s.push('  T+="overlay /$d overlay lowerdir=/$d,upperdir=$O/upper/$d,workdir=$O/work/$d 0 0"$\'\\n\'')
  s.push('done')
  // The machine's root owns these, and the sandbox's root is not the
  // machine's: files there cannot be copied up, so they are fresh scratch places.
  s.push('for d in /root /srv /var/tmp /var/log /var/lib/nginx; do [ -d $d ] && T+="scratch $d tmpfs mode=755 0 0"$\'\\n\' || true; done')
  s.push('T+="tmp /tmp tmpfs mode=1777 0 0"$\'\\n\'"shm /dev/shm tmpfs mode=1777 0 0"$\'\\n\'"sysfs /sys sysfs ro 0 0"$\'\\n\'"$O/hosts /etc/hosts none bind 0 0"')
  s.push('mkdir -p $mk')
  // The host's network namespace gets a file too: the outer unshare that owns
  // the sandbox is not in it (see createSandbox).
  s.push(`: > ${HIDDEN_NS_DIR}/host`)
  s.push(`T+=$'\\n'"/proc/self/ns/net ${HIDDEN_NS_DIR}/host none bind 0 0"`)
  if (opts.iptables) {
    // iptables of the chosen back end under its plain names: the back end's program bound onto
    // empty files (made by the shell, mounted by the one mount -a) rather than six `ln` processes.
    // xtables-*-multi acts on the name it is called by.
    for (const tool of ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore']) {
      const [base, ...rest] = tool.split('-')
      s.push(`: > ${BIN_DIR}/${tool}`)
      s.push(`T+=$'\\n'"/usr/sbin/${base}-${opts.iptables}${rest.length ? `-${rest.join('-')}` : ''} ${BIN_DIR}/${tool} none bind 0 0"`)
    }
  }
  s.push('echo "$T" > $F')

  const addrs = machineAddresses(topology)
  const hosts = ['127.0.0.1\tlocalhost', `127.0.1.1\t${opts.hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback']
  for (const [name, ip] of addrs) hosts.push(`${ip}\t${name}`)
  s.push(`printf '%s\\n' ${hosts.map(shellQuote).join(' ')} > $O/hosts`)
  // The mounts go on beside the network work below.
  s.push('mount -a -T $F 2>$O/mount.log &')
  s.push('P_mnt=$!')

  if (topology.internet) {
    // Made from the inside, so the outer end lands in pid 1's namespace: the host.
    const inet = [
      'link set lo up',
      'link add eth0 type veth peer name eth0 netns 1',
      `addr add ${INTERNET.address}/${INTERNET.prefix} dev eth0`,
      `addr add ${INTERNET.outside}/32 dev lo`,
      'link set eth0 up',
    ]
    s.push(`: > ${HIDDEN_NS_DIR}/internet`)
    s.push(`unshare --net=${HIDDEN_NS_DIR}/internet ip -batch - <<'NSLAB_EOF' &\n${inet.join('\n')}\nNSLAB_EOF`)
    s.push('P_inet=$!')
  }
  const host: string[] = ['link set lo up']
  const inContainer = new Map<string, string[]>()
  if (bridge) {
    host.push(`link add ${bridge.name} type bridge`)
    host.push(`addr add ${bridge.address}/${bridge.prefix} dev ${bridge.name}`)
    host.push(`link set ${bridge.name} up`)
    for (const c of topology.containers) {
      const veth = vethName()
      host.push(`netns add ${c.name}`)
      host.push(`link add ${veth} type veth peer name eth0 netns ${c.name}`)
      host.push(`link set ${veth} master ${bridge.name} up`)
      inContainer.set(c.name, [
        'link set lo up',
        `link set eth0 address ${dockerMac(c.ip)}`,
        `addr add ${c.ip}/${bridge.prefix} dev eth0`,
        'link set eth0 up',
        `route add default via ${bridge.address}`,
      ])
    }
  }
  s.push(`ip -batch - <<'NSLAB_EOF'\n${host.join('\n')}\nNSLAB_EOF`)
  let n = 0
  for (const [name, cmds] of inContainer) {
    s.push(`ip -n ${name} -batch - <<'NSLAB_EOF' &\n${cmds.join('\n')}\nNSLAB_EOF`)
    s.push(`P_c${n}=$!`)
    waits.push(`$P_c${n++}`)
  }
  if (topology.internet) {
    s.push('wait $P_inet')
    const hostEth = [`addr add ${INTERNET.hostAddress}/${INTERNET.prefix} dev eth0`, 'link set eth0 up', `route add default via ${INTERNET.address}`]
    s.push(`ip -batch - <<'NSLAB_EOF'\n${hostEth.join('\n')}\nNSLAB_EOF`)
  }
  // A failed mount is not fatal (a machine without /opt …); what matters is checked by the labs.
  s.push('wait $P_mnt || true')
  for (const w of waits) s.push(`wait ${w}`)
  for (const c of topology.containers) {
    if (!c.command) continue
    s.push(
      `(cd /root 2>/dev/null || cd /; exec nsenter --net=${NETNS_DIR}/${c.name} bash -c ${shellQuote(c.command)}) </dev/null >>${LOG_DIR}/${c.name}.log 2>&1 &`,
    )
  }
  if (opts.persistent) {
    // Its maker may be gone already (a killed nslab up): then nobody reads
    // "ready", and the lab host stays up for nslab gc to find.
    s.push('echo ready 2>/dev/null || true')
    // pid 1 only gets the signals it handles; bash reaps orphans while it waits.
    s.push("trap 'exit 0' TERM INT HUP")
    s.push('exec </dev/null >/dev/null 2>&1')
    s.push('while :; do sleep 86400 & wait $! || true; done')
  } else {
    s.push('echo ready')
    s.push('read -r _ || true')
  }
  return s.join('\n') + '\n'
}
