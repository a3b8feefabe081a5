/**
 * The lab host's network built by the perl process that builds its root
 * (perl-root-builder), speaking rtnetlink itself, instead of one `ip -batch`
 * process for the host and one `ip -n NAME -batch` (or nsenter and ip) for
 * each machine: a lab host with two containers and `internet` started four
 * such processes, 15–40 ms each on this kind of machine, where the netlink
 * messages themselves take well under a millisecond in all.
 *
 * The messages are those `ip` sends for the same lines (network-plan's
 * ipLine): the same kernel objects, flags, scopes and route protocol (boot),
 * so that everything a lab shows of its network is the same either way (a
 * test compares them). Namespaces are made in-process: unshare(2) into a new
 * one, bind it onto its file, open a netlink socket there (a socket stays in
 * the namespace it was made in), and setns(2) back; so one process speaks to
 * every namespace, and none is forked.
 */
import type { NetOp, NetworkPlan } from './network-plan.js'
import { NETNS_DIR } from './sandbox-paths.js'

/** RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE. */
const RTM = { link: 16, addr: 20, route: 24 }
/** NLM_F_CREATE | NLM_F_EXCL: what ip asks when it adds. */
const CREATE = 0x600

/** A perl expression for any text: hex, so that nothing in it is perl. */
const str = (s: string): string => `pack("H*","${Buffer.from(s, 'utf8').toString('hex')}")`
/** An IPv4 address's four bytes. */
function inet(ip: string): string {
  // The lab's addresses are checked where it is read: one that is not is nslab's bug.
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(ip)) throw new Error(`perl network builder: not an IPv4 address: ${ip}`)
  return `pack("C4",${ip.split('.').map(Number).join(',')})`
}

/** A setting of the host's: written before its network is made (so that its links take conf/default's). */
export interface HostSetting {
  path: string
  value: string
  /** What to say (and end) if it cannot be written; none: best effort (the distro's). */
  failure?: string
}

/**
 * The perl lines that build the network of `plan`, after the host's `settings`. `create` are
 * namespace files made first (the internet machine's); `sysctl` are [path, value] written in each
 * container's new namespace before anything is in it (the settings a new namespace inherits from
 * the machine's), best effort as systemd's sysctl.d does. They need the root builder's `newns`.
 */
export function perlNetworkBuilder(plan: NetworkPlan, o: { create: string[]; settings: HostSetting[]; sysctl: [string, string][] }): string[] {
  const p: string[] = []
  // A request and its ack; an error's errno becomes $! and the ip line it stands for the message.
  p.push('my $SEQ = 0;')
  p.push('sub at { my ($t, $d) = @_; my $l = 4 + length $d; pack("SS", $l, $t) . $d . ("\\0" x (-$l & 3)) }')
  p.push('sub nl { my ($k, $what, $type, $flags, $body) = @_; my $m = pack("LSSLL", 16 + length $body, $type, $flags | 5, ++$SEQ, 0) . $body; defined(send($k->[0], $m, 0)) or die "nslab: ip $what: $!\\n"; my $b = ""; defined(recv($k->[0], $b, 8192, 0)) or die "nslab: ip $what: $!\\n"; my ($t, $e) = unpack("x4 S x10 l", $b); if ($t == 2 && $e) { $! = -$e; die "nslab: ip $what: $!\\n" } }')
  // SIOCGIFINDEX on a socket of the namespace: a device's index by its name.
  p.push('sub ix { my ($k, $d) = @_; my $r = pack("a16 x24", $d); ioctl($k->[1], 0x8933, $r) or die "nslab: ip: Cannot find device \\"$d\\": $!\\n"; unpack("x16 l", $r) }')
  p.push('sub ifi { pack("CxSlLL", 0, 0, @_) }')
  // A namespace's sockets: netlink, and an inet one for ioctls. (perl makes them close-on-exec.)
  p.push('sub socks { socket(my $s, 16, 3, 0) or die "nslab: netlink: $!\\n"; socket(my $u, 2, 2, 0) or die "nslab: socket: $!\\n"; [$s, $u] }')
  // A machine's namespace, made with its settings and its sockets (and a descriptor of it, for veth peers).
  p.push('sub machine { my ($f, @w) = @_; newns($f, sub { while (my ($path, $v) = splice(@w, 0, 2)) { if (open(my $o, ">", $path)) { print $o "$v\\n"; close $o } } my $k = socks(); open(my $fd, "<", $f) or die "nslab: $f: $!\\n"; push @$k, $fd; $k }) }')
  p.push('my %NS; my $K = socks();')
  for (const f of o.create) p.push(`$NS{${str(f)}} = machine(${str(f)});`)
  for (const x of o.settings) {
    const write = `(open($o, ">", ${str(x.path)}) and print($o ${str(`${x.value}\n`)}) and close($o))`
    p.push(`{ my $o; ${write}${x.failure ? ` or die ${str(`${x.failure}\n`)}` : ''}; }`)
  }
  const sysctl = o.sysctl.flatMap(([path, v]) => [str(path), str(v)]).join(', ')
  const nsFile = (ns: string) => (ns.includes('/') ? ns : `${NETNS_DIR}/${ns}`)
  const line = (k: string, op: NetOp): string => {
    switch (op.op) {
      case 'up':
        return `nl(${k}, "link set " . ${str(op.dev)} . " up", ${RTM.link}, 0, ifi(ix(${k}, ${str(op.dev)}), 1, 1));`
      case 'bridge':
        return `nl(${k}, "link add " . ${str(op.name)} . " type bridge", ${RTM.link}, ${CREATE}, ifi(0, 0, 0) . at(3, ${str(op.name)} . "\\0") . at(18, at(1, "bridge")));`
      case 'netns':
        return `$NS{${str(nsFile(op.name))}} = machine(${str(nsFile(op.name))}${sysctl ? `, ${sysctl}` : ''});`
      case 'veth': {
        // IFLA_LINKINFO { KIND veth, DATA { VETH_INFO_PEER: ifinfomsg, IFNAME, NET_NS_FD } }
        const peer = `ifi(0, 0, 0) . at(3, ${str(op.peer)} . "\\0") . at(28, pack("L", fileno($NS{${str(nsFile(op.ns))}}->[2])))`
        return `nl(${k}, "link add " . ${str(op.name)} . " type veth", ${RTM.link}, ${CREATE}, ifi(0, 0, 0) . at(3, ${str(op.name)} . "\\0") . at(18, at(1, "veth") . at(2, at(1, ${peer}))));`
      }
      case 'master':
        return `nl(${k}, "link set " . ${str(op.dev)} . " master", ${RTM.link}, 0, ifi(ix(${k}, ${str(op.dev)}), 1, 1) . at(10, pack("L", ix(${k}, ${str(op.master)}))));`
      case 'mac':
        return `nl(${k}, "link set " . ${str(op.dev)} . " address", ${RTM.link}, 0, ifi(ix(${k}, ${str(op.dev)}), 0, 0) . at(1, pack("H*", "${op.mac.replace(/:/g, '')}")));`
      case 'addr': {
        // ifaddrmsg: AF_INET, the prefix, no flags, ip's default scope (host for 127/8), the index; IFA_LOCAL and IFA_ADDRESS.
        const scope = op.ip.startsWith('127.') ? 254 : 0
        return `{ my $a = ${inet(op.ip)}; nl(${k}, "addr add " . ${str(`${op.ip}/${op.prefix}`)}, ${RTM.addr}, ${CREATE}, pack("CCCCL", 2, ${op.prefix}, 0, ${scope}, ix(${k}, ${str(op.dev)})) . at(2, $a) . at(1, $a)); }`
      }
      case 'default':
        // rtmsg: AF_INET, /0, the main table, protocol boot (ip's), universe scope, unicast; RTA_GATEWAY.
        return `nl(${k}, "route add default via " . ${str(op.via)}, ${RTM.route}, ${CREATE}, pack("C8L", 2, 0, 0, 0, 254, 3, 0, 1, 0) . at(5, ${inet(op.via)}));`
    }
  }
  for (const op of plan.host) p.push(line('$K', op))
  for (const m of plan.machines) {
    p.push(`{ my $k = $NS{${str(m.file)}};`)
    for (const op of m.ops) p.push(line('$k', op))
    p.push('}')
  }
  // Nothing of it is kept: the launcher forked next would hold these for the lab's life.
  p.push('undef %NS; undef $K;')
  return p
}
