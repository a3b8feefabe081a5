/**
 * The lab host's init as one perl process, where perl builds the lab's root and launches its own
 * init (sandbox-script's usual case): what the init's bash did around the builder (join the
 * limits, close inherited descriptors, start Docker's rules, write /etc/hosts, hold the machines'
 * namespaces, say go, wait) done by the builder's own process. Bash's start, its reading of the
 * script and its fork of perl were a fifth of a lab host's start here (about 12 ms of 70 to its
 * `ready`, measured side by side: bench/README.md). The engine's lab host and the util-linux
 * builder keep the bash init (sandboxScript).
 *
 * The program is read from fd 3 by PERL_INIT_LOADER (never the command line, which anyone may
 * read in /proc), as bash read its script. No module is loaded; system calls by number.
 */
import type { LimitsPlan } from './lab-limits.js'
import { perlSyscalls, perlText as str } from './perl-root-builder.js'

/** `perl -e` this: reads the init's program from fd 3 to its end, closes it, runs it. */
export const PERL_INIT_LOADER = 'my $p = do { local $/; open(my $f, "<&=", 3) or die "nslab: the init has no program: $!\\n"; my $t = <$f>; close $f; $t }; eval $p; die $@ if $@; exit 0'

export interface PerlInitParts {
  /** Descriptors at 4, 5, … to write 0 to (the lab's cgroups), then rlimits to set: lab-limits' plan. */
  limits?: LimitsPlan
  /** Docker's rules: `echo 1 > ip_forward`, then the restore program fed them, in the background. */
  rules?: { restore: string; text: string; first: boolean }
  /** perlRootBuilder's program, its launcher given `inInit` (the init goes on after it). */
  builder: string
  /** Files written once the builder is done (/etc/hosts, the namespaces' settings script, route_localnet's 1): path, content; one not written ends the init. */
  files: [string, string][]
  /** Machines' network namespaces held open at these descriptors: [fd, path]. */
  anchors: [number, string][]
  /** The FIFO the lab's own init waits on. */
  goFifo: string
  /** Stay until SIGTERM (learner mode) rather than until stdin ends. */
  persistent: boolean
}

const RLIMIT = { core: 4, nproc: 6, as: 9 } as const

/** The init's perl program (its lines in the order bash ran them in sandboxScript). */
export function perlLabHostInit(o: PerlInitParts, arch: string = process.arch): string {
  const n = perlSyscalls(arch)
  const p: string[] = []
  // Ends the init at once with a status, as bash's `exit` (perl's own exit would tear its interpreter down first).
  p.push(`sub quit { syscall(${n.exit_group}, $_[0] + 0) }`)
  if (o.limits) {
    // Writing 0 moves the writer: nothing of the lab runs outside its limits, or nothing runs.
    for (let i = 0; i < o.limits.cgroupFds; i++) {
      p.push(`{ my $c; open($c, ">&=", ${4 + i}) and syswrite($c, "0\\n") and close($c) or do { print STDERR "nslab: cannot join the lab host's cgroup\\n"; quit(125) } }`)
    }
    // Best effort, as `ulimit … 2>/dev/null || :` was.
    for (const r of o.limits.rlimits) p.push(`{ my $l = pack("QQ", ${r.value}, ${r.value}); syscall(${n.setrlimit}, ${RLIMIT[r.resource]}, $l) }`)
  }
  // Every inherited descriptor above 2 closed: nothing of the lab may write to what nslab's caller had open.
  p.push(`{ opendir(my $d, "/proc/self/fd") or die "nslab: /proc/self/fd: $!\\n"; my $own = fileno $d; my @fd = grep { /\\A\\d+\\z/ && $_ > 2 && $_ != $own } readdir $d; closedir $d; syscall(${n.close}, $_ + 0) for @fd }`)
  p.push('chdir "/" or die "nslab: cd /: $!\\n";')
  // A program fed TEXT on its stdin, in the background: its pid.
  p.push(`sub fed { my ($prog, $text) = @_; pipe(my $r, my $w) or die "nslab: pipe: $!\\n"; my $k = fork; die "nslab: fork: $!\\n" unless defined $k;
  unless ($k) { open(STDIN, "<&", $r) or quit(126); { exec { $prog } $prog } print STDERR "nslab: $prog: $!\\n"; quit(127) }
  close $r; local $SIG{PIPE} = "IGNORE"; print $w $text; close $w; $k }`)
  p.push('my $ipt;')
  const rules = o.rules
    ? [
        `{ my $o; open($o, ">", "/proc/sys/net/ipv4/ip_forward") and print($o "1\\n") and close($o) or die "nslab: /proc/sys/net/ipv4/ip_forward: $!\\n" }`,
        `$ipt = fed(${str(o.rules.restore)}, ${str(o.rules.text)});`,
      ]
    : []
  if (o.rules?.first) p.push(...rules)
  p.push(o.builder)
  if (o.rules && !o.rules.first) p.push(...rules)
  for (const [path, content] of o.files) p.push(`{ my $f = ${str(path)}; my $o; open($o, ">", $f) and print($o ${str(content)}) and close($o) or die "nslab: $f: $!\\n" }`)
  // Docker's rules in, or the init's end with their status (iptables-restore said why).
  p.push('if ($ipt) { waitpid($ipt, 0); quit(($? & 127) ? 128 + ($? & 127) : $? >> 8) if $?; }')
  // Orphans of the lab host's pid namespace come to this process: reaped by the kernel from now on.
  p.push("$SIG{CHLD} = 'IGNORE';")
  // The machines' namespaces held at known descriptors (nslab reaches them through /proc/PID/fd).
  for (const [fd, path] of o.anchors) {
    p.push(`{ my $f = ${str(path)}; open(my $h, "<", $f) or die "nslab: $f: $!\\n"; syscall(${n.dup3}, fileno($h) + 0, ${fd}, 0) >= 0 or die "nslab: $f: $!\\n"; close $h }`)
  }
  p.push(`{ my $o; open($o, ">", ${str(o.goFifo)}) and print($o "go\\n") and close($o) or die "nslab: go: $!\\n" }`)
  if (o.persistent) {
    // Its maker may be gone already (a killed nslab up): then nobody reads "ready", and the lab host stays up for nslab gc.
    p.push("$SIG{$_} = sub { quit(0) } for qw(TERM INT HUP);")
    p.push('open(STDIN, "<", "/dev/null"); open(STDOUT, ">", "/dev/null"); open(STDERR, ">", "/dev/null");')
    p.push('sleep 86400 while 1;')
  } else {
    // Until a line or the end of stdin: nslab closes it to end the lab host.
    p.push('open(STDOUT, ">", "/dev/null"); open(STDERR, ">", "/dev/null");')
    p.push('{ my $b = ""; 1 while sysread(STDIN, $b, 1, length $b) && $b !~ /\\n/ }')
    p.push('quit(0);')
  }
  return p.join('\n') + '\n'
}
