/**
 * The lab host's root file system and the start of its lab's own init done by
 * one perl process, with mount(2), pivot_root(2), unshare(2) and
 * sethostname(2) called directly, instead of some twenty processes of
 * util-linux and coreutils (hostname, mount ×3, mkdir, ln ×5, chmod, unshare,
 * pivot_root, umount). On this kind of machine starting a process costs
 * 5–10 ms, the syscalls themselves well under one: a lab host's start is
 * mostly its processes. perl is there on every Debian and Ubuntu (perl-base
 * is essential); no module is loaded, only the interpreter's own `syscall`.
 *
 * Where perl or a known syscall table is missing, the sandbox script does
 * the same with util-linux's programs (sandboxScript's `builder`).
 */

/** A mount of the lab's root, in the order made: fstab's fields. */
export interface RootMount {
  source: string
  target: string
  /** The file system type; absent for a bind mount. */
  type?: string
  /** fstab's options: flags (nosuid, bind, …) and the file system's own (mode=755, lowerdir=…). */
  options: string
}

/** What the lab host's root needs, in the order it is made. */
export interface RootPlan {
  hostname: string
  /** tmpfs mounts made first (/run and the root's own tmpfs): [target, mode]. */
  tmpfs: [string, string][]
  /** Folders made with their parents. */
  dirs: string[]
  /** Empty files (targets of bind mounts of files). */
  files: string[]
  /** Files written whole: path, content, mode. */
  writes: { path: string; content: string; mode?: number }[]
  /** Symbolic links: [target, path]. */
  links: [string, string][]
  mounts: RootMount[]
  /** Files (among `files`) each made a new network namespace's, as `unshare --net=FILE true` would. */
  netns: string[]
}

/** How the builder also starts the lab's own init (see perlRootBuilder). */
export interface LabLaunch {
  /** Where the lab's root is (it becomes the lab's /). */
  root: string
  /** The lab's init script, run by bash as pid 1 of the lab's pid namespace. */
  initFile: string
  /**
   * A FIFO the builder makes: the lab's own init starts at once and reads it first (its script
   * says so); the lab host's init writes it once the lab may start (Docker's rules are in).
   */
  goFifo: string
  /**
   * The builder runs in the lab host's init itself (perl-lab-host-init), which goes on once the
   * launcher is forked; otherwise the builder is a process of its own that ends there.
   */
  inInit?: boolean
}

export type Syscalls = { mount: number; umount2: number; pivot_root: number; sethostname: number; unshare: number; setns: number; prctl: number; mknodat: number; exit_group: number; setrlimit: number; dup3: number; close: number }

/** Syscall numbers of the architectures nslab knows (Node's process.arch names). */
const SYSCALLS: Record<string, Syscalls> = {
  x64: { mount: 165, umount2: 166, pivot_root: 155, sethostname: 170, unshare: 272, setns: 308, prctl: 157, mknodat: 259, exit_group: 231, setrlimit: 160, dup3: 292, close: 3 },
  arm64: { mount: 40, umount2: 39, pivot_root: 41, sethostname: 161, unshare: 97, setns: 268, prctl: 167, mknodat: 33, exit_group: 94, setrlimit: 164, dup3: 24, close: 57 },
}

/** The syscall numbers of an architecture nslab knows (perlBuilderArch says which). */
export function perlSyscalls(arch: string = process.arch): Syscalls {
  const n = SYSCALLS[arch]
  if (!n) throw new Error(`perl builder: no syscall table for ${arch}`)
  return n
}

/** Whether the perl builder can run on this architecture. */
export function perlBuilderArch(arch: string = process.arch): boolean {
  return arch in SYSCALLS
}

const CLONE_NEWNET = 0x40000000
const MS = { ro: 1, nosuid: 2, nodev: 4, noexec: 8, bind: 4096, rec: 16384, private: 1 << 18, shared: 1 << 20 }
const FLAGS: Record<string, number> = { ro: MS.ro, nosuid: MS.nosuid, nodev: MS.nodev, noexec: MS.noexec, bind: MS.bind, rbind: MS.bind | MS.rec }

/** A perl expression for any text: hex, so that nothing in it can end the here-document or the string. */
export const perlText = (s: string): string => `pack("H*","${Buffer.from(s, 'utf8').toString('hex')}")`
const str = perlText

/**
 * The perl program that builds the lab's root (run by the lab host's init, in its own namespaces),
 * then the network given as perl lines (perl-network-builder: they may call `newns`), and, given
 * `launch`, leaves a launcher of the lab's own init waiting for the word.
 */
export function perlRootBuilder(plan: RootPlan, launch?: LabLaunch, arch: string = process.arch, network: string[] = []): string {
  const n = perlSyscalls(arch)
  // No `use strict`: loading it is 1.6 ms of a lab host's start here; the tests compile the program with -Mstrict.
  const p: string[] = []
  // Copies: syscall passes strings by address and may not be given constants.
  p.push('sub sc { my ($n, $what, @a) = @_; my $r = syscall($n, @a); die "nslab: $what: $!\\n" if $r < 0; $r }')
  p.push(`sub mnt { my ($s, $t, $y, $f, $d) = @_; my @a = ($s, $t, defined $y ? $y : 0, $f, defined $d ? $d : 0); my $r = syscall(${n.mount}, @a); die "nslab: mount $t: $!\\n" if $r < 0 }`)
  p.push(`my $h = ${str(plan.hostname)}; sc(${n.sethostname}, 'sethostname', $h, length $h);`)
  for (const [target, mode] of plan.tmpfs) p.push(`mnt('nslab', ${str(target)}, 'tmpfs', 0, ${str(`mode=${mode}`)});`)
  // mkdir -p, one path at a time: what exists already is fine, a file in the way is not.
  if (plan.dirs.length) p.push(`for my $d (${plan.dirs.map(str).join(',')}) { my $q = ""; for my $c (split m{/}, $d) { next if $c eq ""; $q .= "/$c"; mkdir $q; } -d $d or die "nslab: mkdir $d: $!\\n"; }`)
  if (plan.files.length) p.push(`for my $f (${plan.files.map(str).join(',')}) { open(my $o, ">", $f) or die "nslab: $f: $!\\n"; close $o; }`)
  for (const w of plan.writes) {
    const chmod = w.mode !== undefined ? ` chmod(0${w.mode.toString(8)}, $f) or die "nslab: chmod $f: $!\\n";` : ''
    p.push(`{ my $f = ${str(w.path)}; open(my $o, ">", $f) or die "nslab: $f: $!\\n"; print $o ${str(w.content)}; close $o or die "nslab: $f: $!\\n";${chmod} }`)
  }
  for (const [target, path] of plan.links) p.push(`symlink(${str(target)}, ${str(path)}) or die "nslab: ln " . ${str(path)} . ": $!\\n";`)
  for (const m of plan.mounts) {
    const { flags, data } = mountFlags(m.options)
    p.push(`mnt(${str(m.source)}, ${str(m.target)}, ${m.type && m.type !== 'none' ? str(m.type) : 'undef'}, ${flags}, ${data ? str(data) : 'undef'});`)
  }
  // A network namespace made in this process: unshare into a new one, bind it onto its file, run `$in` there
  // (the network builder opens its sockets and writes its settings), setns back. No fork.
  p.push('my $HOSTNS;')
  p.push(`sub newns { my ($f, $in) = @_; unless ($HOSTNS) { open($HOSTNS, "<", "/proc/self/ns/net") or die "nslab: /proc/self/ns/net: $!\\n" } { open(my $t, ">", $f) or die "nslab: $f: $!\\n"; } sc(${n.unshare}, 'unshare', ${CLONE_NEWNET}); mnt('/proc/self/ns/net', $f, undef, ${MS.bind}, undef); my $r = $in ? $in->() : undef; sc(${n.setns}, 'setns', fileno($HOSTNS), ${CLONE_NEWNET}); $r }`)
  for (const f of plan.netns) p.push(`newns(${str(f)});`)
  if (launch) p.push(...sharedRun(launch))
  // After /run is shared: the namespaces' mounts made now show in the lab's /run too.
  p.push(...network)
  // The launcher forked next would hold it for the lab's life.
  p.push('close $HOSTNS if $HOSTNS;')
  if (launch) p.push(...launcher(n, launch))
  return p.join('\n') + '\n'
}

/**
 * The launcher, forked by the builder once the root and the network are
 * whole: it does what `unshare --pid --mount --fork --kill-child
 * --mount-proc` and the init's `pivot_root . . && umount -l .` did: a mount
 * and a pid namespace of the lab's own, /proc mounted for that pid
 * namespace, the root pivoted and the machine's tree detached, bash running
 * the init file as pid 1. It waits for the init and says
 * `nslab-lab-init-ended STATUS` when it ends. It starts at once: the lab's
 * init waits on the FIFO for the word, so its own start (a bash) is done
 * while Docker's rules still load.
 */
function launcher(n: Syscalls, o: LabLaunch): string[] {
  const p: string[] = []
  p.push(`my $r = ${str(o.root)};`)
  // S_IFIFO | 0600, owned by the lab's root: the lab's init opens it from the lab's /run.
  p.push(`{ my $f = ${str(o.goFifo)}; sc(${n.mknodat}, 'mkfifo', -100, $f, ${0o10000 | 0o600}, 0); }`)
  p.push('my $l = fork; die "nslab: fork: $!\\n" unless defined $l;')
  // In the init, the init goes on and the child is the launcher (it ends by exec or exit_group, never falling out).
  if (o.inInit) p.push('unless ($l) {')
  // The builder's part ends here: exit_group at once (perl's own exit tears down its interpreter first, while the shell waits).
  else p.push(`syscall(${n.exit_group}, 0) if $l;`)
  p.push('open(STDIN, "<", "/dev/null") or die "nslab: /dev/null: $!\\n";')
  // CLONE_NEWNS | CLONE_NEWPID: the next child is pid 1 of the new pid namespace.
  p.push(`sc(${n.unshare}, 'unshare', ${0x20000 | 0x20000000});`)
  p.push(`mnt('none', '/', undef, ${MS.rec | MS.private}, undef);`)
  p.push('my $pid = fork; die "nslab: fork: $!\\n" unless defined $pid;')
  p.push('if ($pid == 0) {')
  // PR_SET_PDEATHSIG, SIGKILL: the init does not outlive this process (unshare's --kill-child).
  p.push(`  sc(${n.prctl}, 'prctl', 1, 9);`)
  p.push(`  mnt('proc', "$r/proc", 'proc', ${MS.nosuid | MS.nodev | MS.noexec}, undef);`)
  p.push('  chdir $r or die "nslab: cd $r: $!\\n";')
  p.push(`  sc(${n.pivot_root}, 'pivot_root', '.', '.');`)
  p.push(`  sc(${n.umount2}, 'umount', '.', 2);`)
  p.push('  chdir "/" or die "nslab: cd /: $!\\n";')
  p.push(`  exec { 'bash' } 'bash', '--noprofile', '--norc', ${str(o.initFile)}; die "nslab: bash: $!\\n";`)
  p.push('}')
  // Its word, then exit_group: perl's exit would first tear its interpreter down, and the lab host's end waits for it.
  p.push(`waitpid($pid, 0); my $st = ($? & 127) ? 128 + ($? & 127) : $? >> 8; $| = 1; print "nslab-lab-init-ended $st\\n"; syscall(${n.exit_group}, $st + 0);`)
  if (o.inInit) p.push('}')
  return p
}

/**
 * /run made a shared mount and bound into the lab's root: the namespaces the network work mounts
 * in it later (/run/netns, the internet's) show in the lab's /run too. /run/netns is made the
 * shared mount `ip netns add` would make of it, so that ip finds it made (one mount of each
 * namespace in the lab's view, not two).
 */
function sharedRun(o: LabLaunch): string[] {
  return [
    `mnt('/run/netns', '/run/netns', undef, ${MS.bind}, undef);`,
    `mnt('none', '/run', undef, ${MS.shared}, undef); mnt('none', '/run/netns', undef, ${MS.shared | MS.rec}, undef);`,
    `mnt('/run', ${str(`${o.root}/run`)}, undef, ${MS.bind | MS.rec}, undef);`,
  ]
}

/** fstab's options as mount(2)'s flags and data. */
function mountFlags(options: string): { flags: number; data: string } {
  let flags = 0
  const data: string[] = []
  for (const o of options.split(',')) {
    if (o === '' || o === 'defaults') continue
    const f = FLAGS[o]
    if (f !== undefined) flags |= f
    else data.push(o)
  }
  return { flags, data: data.join(',') }
}
