// The forker: a small perl process that starts nslab's short-lived processes
// for it. Node's spawn() forks the whole node process and waits in the event
// loop until the child has exec'd: 8–20 ms of a busy process's time per
// check, and a server's page waits meanwhile. perl forks a few megabytes in
// a fraction of that, and node only writes a request. perl-base is in every
// Debian system (nslab's root builder already uses it). No module at all:
// the first process of every command waits for perl's start, which POSIX
// would triple (8 → 28 ms) and strict, warnings, Fcntl and Errno take from
// 10 to 15 ms. The few calls POSIX would give are made by syscall(2), by
// number (ARGV[1] names the architecture: node's process.arch, x64, arm64 or
// riscv64), and Fcntl's and Errno's constants are written out (the same on
// the three). The tests compile it with strict and warnings, and hold the
// constants to Fcntl's and Errno's.
//
// Protocol, binary-safe. Requests on the forker's stdin:
//   S ID LEN\n PAYLOAD   start: PAYLOAD is fields `K LEN\n BYTES`, K one of
//                        f file, a arg (each), e NAME=VALUE (each), d cwd,
//                        u uid, g gid, i stdin text, s script (fd 3),
//                        n a descriptor of PARENT's to hand on (each, from fd 4),
//                        N `TYPE PATH`: a namespace to enter (each; TYPE is
//                        setns(2)'s nstype, which the file must be), as
//                        `nsenter --preserve-credentials` enters them
//                        (one process less for every step and look)
//   D ID 0\n             drop: stop reading its pipes
// Answers on its stdout:
//   P ID PID\n           forked (an F may follow if its exec fails)
//   F ID ERRNO WHERE\n   could not start: errno of WHERE (request, open, fork, setns, exec)
//   O ID LEN\n BYTES     stdout;   E ID LEN\n BYTES  stderr
//   X ID CODE SIGNAL\n   exited (`-` for the one that does not apply)
//   C ID\n               exited and its pipes are closed: the last word
// It ends when its stdin does (node went away); what it started goes on.
export const FORKER_SCRIPT = String.raw`
sub O_RDONLY() { 0 } sub O_NONBLOCK() { 2048 } sub F_GETFL() { 3 } sub F_SETFL() { 4 } sub EAGAIN() { 11 }
my ($parent, $arch) = @ARGV;
my %S = %{ { x64 => { dup3 => 292, setsid => 112, setgroups => 116, setresgid => 119, setresuid => 117, exit_group => 231, epoll_create1 => 291, epoll_ctl => 233, epoll_pwait => 281, setns => 308, close => 3 },
  arm64 => { dup3 => 24, setsid => 157, setgroups => 159, setresgid => 149, setresuid => 147, exit_group => 94, epoll_create1 => 20, epoll_ctl => 21, epoll_pwait => 22, setns => 268, close => 57 } }->{$arch eq 'riscv64' ? 'arm64' : $arch} or die "forker: no $arch\n" };
# Arguments to syscall must be numbers (a string goes as a pointer).
sub sys { my $n = shift; syscall($S{$n}, map { $_ + 0 } @_) }
$SIG{PIPE} = 'IGNORE';
my $chld = 0; $SIG{CHLD} = sub { $chld = 1 };
# Hold fds up to 15 (close-on-exec), so that every pipe is above them and a
# child can dup2 its descriptors onto 0..15 without overwriting a source.
my @hold; while (1) { open(my $h, '<', '/dev/null') or die; last if fileno($h) > 15; push @hold, $h }
# The processes' pipes are read in the order they became readable, which epoll keeps and select does not:
# a stderr line written before a stdout line stays before it when this process was slow to wake (a busy
# machine), as node's own spawn (libuv, epoll) keeps it. struct epoll_event is packed on x86-64 only.
my ($EV, $EVN) = $arch eq 'x64' ? ('L Q', 12) : ('L x4 Q', 16);
my $ep = sys('epoll_create1', 0x80000); die "forker: epoll_create1: $!\n" if $ep < 0;
sub watch { syscall($S{epoll_ctl}, $ep + 0, 1, $_[0] + 0, pack($EV, 0x1 | 0x10, $_[0])) } # ADD, EPOLLIN | EPOLLHUP
# Out of the set before the close: a child between fork and exec still holds a copy of the descriptor.
sub unwatch { syscall($S{epoll_ctl}, $ep + 0, 2, $_[0] + 0, pack($EV, 0, 0)) } # DEL
# The readable pipes, in the order they became so (at most 64 a call; level-triggered: the rest next time).
sub ready { my $buf = "\0" x (64 * $EVN); my $n = syscall($S{epoll_pwait}, $ep + 0, $buf, 64, 0, 0, 8);
  return () if $n <= 0; map { (unpack($EV, substr($buf, $_ * $EVN, $EVN)))[1] } 0 .. $n - 1 }
my $fl = fcntl(STDOUT, F_GETFL, 0); fcntl(STDOUT, F_SETFL, $fl | O_NONBLOCK);
my ($in, $out, $eof) = ('', '', 0);
my (%job, %bypid, %rd, %wr, %pidfd, %xs);
sub nb { my $f = fcntl($_[0], F_GETFL, 0); fcntl($_[0], F_SETFL, $f | O_NONBLOCK) }
sub finish { my $id = shift; my $j = $job{$id} or return; return unless $j->{exited} && !$j->{open}; $out .= "C $id\n"; delete $job{$id} }
sub drop { my $id = shift; my $j = $job{$id} or return;
  for my $k ('out', 'err') { my $h = delete $j->{$k} or next; unwatch(fileno $h); delete $rd{fileno $h}; close $h; $j->{open}-- }
  finish($id) }
# The namespaces, as nsenter enters them: each file opened first (a path may name one of ours: /proc/self/fd/N),
# every one but the user namespace's, then the user namespace's and what could not be entered before it (as an
# unprivileged owner enters its lab host: the user namespace first gives it the right to the others). A pid
# namespace is its children's: where start() could not fork the child in it already (not root), a process of its
# own is forked in it, whose end this one passes on as its own.
sub enter { my @ns = @_; my (@h, @open);
  my $pidns = grep { $_->[0] == 0x20000000 } @ns;
  # Its descriptors, listed while /proc/self is its own (in the lab's mounts it is not: its pid is outside), for
  # the process it forks in a pid namespace to close (none to list without one: each line here is the child's cost).
  if ($pidns) { opendir(my $d, '/proc/self/fd') or return (0, 'setns'); @open = grep { /\A\d+\z/ } readdir $d; closedir $d }
  for (@ns) { sysopen(my $h, $_->[1], O_RDONLY) or return (0, 'setns'); push @h, [$_->[0], $h] }
  my @later; for (grep { $_->[0] != 0x10000000 } @h) { push @later, $_ if syscall($S{setns}, fileno($_->[1]) + 0, $_->[0] + 0) < 0 }
  for ((grep { $_->[0] == 0x10000000 } @h), @later) { syscall($S{setns}, fileno($_->[1]) + 0, $_->[0] + 0) < 0 and return (0, 'setns') }
  close $_->[1] for @h;
  return (1, 'exec') unless $pidns;
  my $k = fork(); return (0, 'fork') unless defined $k;
  return (1, 'exec') if $k == 0;
  # It holds nothing open: not the child's pipes (their ends come when the child's do; its exec status is the
  # child's to write), nor any of the forker's (other jobs' pipes, which would not end while this one waits).
  sys('close', $_) for @open;
  waitpid($k, 0); my $st = $?;
  if ($st & 127) { $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP PIPE); kill($st & 127, $$) }
  sys('exit_group', ($st & 127) ? 1 : $st >> 8) }
# Our own pid namespace, to come back to after a child was forked in a lab host's (only root may: setns needs
# CAP_SYS_ADMIN in its own user namespace; without it enter() forks inside).
my $ownpid; undef $ownpid unless $> == 0 && sysopen($ownpid, '/proc/self/ns/pid', O_RDONLY);
# Make the next fork's child in that pid namespace (the last one named): true when done.
sub pidns { my $e = $_[-1] or return 0; return 0 if $e->[1] =~ m{\A/proc/self/}; sysopen(my $h, $e->[1], O_RDONLY) or return 0;
  return syscall($S{setns}, fileno($h) + 0, 0x20000000) == 0 }
sub start { my ($id, $p) = @_; my (%f, @args, @env, @fds, @ns);
  while (length $p) {
    $p =~ s/\A(\w) (\d+)\n//s or return $out .= "F $id 22 request\n";
    my ($k, $v) = ($1, substr($p, 0, $2, ''));
    if ($k eq 'a') { push @args, $v } elsif ($k eq 'e') { push @env, $v } elsif ($k eq 'n') { push @fds, $v }
    elsif ($k eq 'N') { $v =~ /\A(\d+) (.+)\z/s or return $out .= "F $id 22 request\n"; push @ns, [$1, $2] } else { $f{$k} = $v }
  }
  return $out .= "F $id 22 request\n" if @fds > 12 || !defined $f{f};
  # Opened again as the parent opened it (a cgroup's file to write, a namespace to read).
  my @pass; for my $n (@fds) { my $how = O_RDONLY;
    if (open(my $fi, '<', "/proc/$parent/fdinfo/$n")) { local $/; (<$fi> // '') =~ /^flags:\s*([0-7]+)/m and $how = oct($1) & 3 }
    # Close-on-exec (perl's default above fd 2): the child's copy is the one dup3 makes.
    sysopen(my $fh, "/proc/$parent/fd/$n", $how) or return $out .= "F $id " . ($! + 0) . " open\n"; push @pass, $fh }
  pipe(my $ir, my $iw); pipe(my $or, my $ow); pipe(my $er, my $ew); pipe(my $xr, my $xw);
  my ($sr, $sw); pipe($sr, $sw) if defined $f{s};
  # A pid namespace is entered here when this process may (root): the child is then born in it, and
  # enter() needs no process of its own in it (a fork less: some 4 ms a process here).
  my $inpid = $ownpid && pidns(grep { $_->[0] == 0x20000000 } @ns);
  @ns = grep { $_->[0] != 0x20000000 } @ns if $inpid;
  # The child's environment, made here: what the child does between fork and exec, it does on pages it must copy first.
  local %ENV = map { /\A([^=]*)=(.*)\z/s ? ($1, $2) : () } @env;
  my $pid = fork(); my $e = $! + 0;
  # Ours again for the next job (in the parent: the child may not go back up).
  if ($inpid && ($pid // 1)) { syscall($S{setns}, fileno($ownpid) + 0, 0x20000000) == 0 or die "forker: setns back: $!\n" }
  return $out .= "F $id $e fork\n" unless defined $pid;
  if ($pid == 0) {
    # PIPE ignored would stay so past exec; CHLD's handler exec resets.
    $SIG{PIPE} = 'DEFAULT';
    my $ok = sys('setsid') >= 0;
    for ([$ir, 0], [$ow, 1], [$ew, 2], ($sr ? [$sr, 3] : ()), map { [$pass[$_], 4 + $_] } 0 .. $#pass) { $ok &&= sys('dup3', fileno $_->[0], $_->[1], 0) >= 0 }
    $ok &&= chdir $f{d} if defined $f{d};
    # No supplementary group (setgroups(0), as node's spawn does), then the gid, then the uid.
    $ok &&= sys('setgroups', 0, 0) == 0 && sys('setresgid', $f{g}, $f{g}, $f{g}) == 0 if $ok && defined $f{g};
    $ok &&= sys('setresuid', $f{u}, $f{u}, $f{u}) == 0 if $ok && defined $f{u};
    my $where = $ok ? 'exec' : 'start';
    if ($ok && @ns) { ($ok, $where) = enter(@ns) }
    if ($ok) { exec { $f{f} } (@args ? @args : ($f{f})) }
    syswrite($xw, ($! + 0) . " $where"); sys('exit_group', 127);
  }
  close $_ for grep { defined } ($ir, $ow, $ew, $xw, $sr), @pass;
  # Its pid now; whether exec worked when $xr says (EOF: it did): the next request need not wait for this exec.
  $out .= "P $id $pid\n";
  # Non-blocking: a read that select announced may find the pipe drained already (drain() at its exit).
  nb($_) for $or, $er, $xr;
  my $j = $job{$id} = { pid => $pid, out => $or, err => $er, open => 2, xr => $xr, w => [] };
  $bypid{$pid} = $id; $xs{fileno $xr} = $id; $rd{fileno $or} = [$id, 'O', $or, 'out']; $rd{fileno $er} = [$id, 'E', $er, 'err'];
  watch(fileno $_) for $or, $er;
  # A pidfd (Linux 5.3) turns readable when the process ends: no signal to miss. Without one, SIGCHLD and a poll.
  my $pfd = syscall(434, $pid + 0, 0);
  if ($pfd >= 0 && open(my $ph, '<&=', $pfd)) { $j->{ph} = $ph; $pidfd{$pfd} = $pid }
  for ([$iw, $f{i}], [$sw, $f{s}]) { my ($h, $t) = @$_; next unless $h;
    if (defined $t && length $t) { nb($h); $wr{fileno $h} = [$h, $t]; push @{$j->{w}}, fileno $h } else { close $h } }
}
# Its exec status: nothing (it runs) or errno (it did not start: the job is forgotten, its child reaped unnoticed).
sub execd { my $id = delete $xs{$_[0]}; my $j = defined $id && $job{$id} or return; my $xr = delete $j->{xr};
  my $e = ''; sysread($xr, $e, 32); close $xr; return unless length $e; my $w = $e =~ s/ (\w+)\z// ? $1 : 'exec';
  for my $k ('out', 'err') { my $h = delete $j->{$k} or next; unwatch(fileno $h); delete $rd{fileno $h}; close $h }
  for my $fd (@{$j->{w}}) { my $x = delete $wr{$fd} or next; close $x->[0] }
  if (my $ph = delete $j->{ph}) { delete $pidfd{fileno $ph}; close $ph }
  delete $bypid{$j->{pid}}; delete $job{$id}; $out .= "F $id $e $w\n" }
# What a process wrote before it exited comes before its exit (a megabyte at most: a child of it may go on
# writing), in the order it was written.
sub drain { my $j = shift; for (1 .. 16) { my %mine = map { (fileno($_) => 1) } grep { defined } @$j{'out', 'err'};
  my @fd = grep { $mine{$_} } ready() or last; readable($_) for @fd } }
# Read a pipe that select found readable: its bytes, or its end. False at its end.
sub readable { my $fd = shift; my $x = $rd{$fd} or return 0; my $k = sysread($x->[2], my $b, 65536);
  if ($k) { $out .= "$x->[1] $x->[0] " . length($b) . "\n$b"; return 1 } return 1 if !defined $k && $! == EAGAIN;
  unwatch($fd); delete $rd{$fd}; close $x->[2]; my $j = $job{$x->[0]}; delete $j->{$x->[3]}; $j->{open}--; finish($x->[0]); 0 }
sub reaped { my ($p, $st) = @_; my $id = $bypid{$p}; return unless defined $id; my $j = $job{$id} or return;
  # Its exec status first: a failed exec is a failure to start, not an exit.
  if ($j->{xr}) { execd(fileno $j->{xr}); return unless $job{$id} } delete $bypid{$p};
  if (my $ph = delete $j->{ph}) { delete $pidfd{fileno $ph}; close $ph } drain($j);
  $out .= ($st & 127) ? "X $id - " . ($st & 127) . "\n" : "X $id " . ($st >> 8) . " -\n"; $j->{exited} = 1; finish($id) }
sub reap { $chld = 0; while ((my $p = waitpid(-1, 1)) > 0) { reaped($p, $?) } } # 1: WNOHANG
while (1) {
  reap() if $chld;
  # node went away: what it started goes on without us (as with node's own spawn, its pipes close).
  last if $eof;
  my ($r, $w) = ('', '');
  # Backpressure: while node has a megabyte to read, the processes' pipes wait (and fill, and their writers wait),
  # as they would if node read them itself; else a fast writer (yes) buries what comes after it.
  vec($r, 0, 1) = 1 unless $eof; vec($r, $ep, 1) = 1 if length($out) < 1 << 20;
  vec($w, $_, 1) = 1 for keys %wr; vec($w, 1, 1) = 1 if length $out;
  vec($r, $_, 1) = 1 for keys %pidfd, keys %xs;
  # A SIGCHLD between the reap and select waits at most this long, when a process has no pidfd.
  my $n = select($r, $w, undef, (grep { !$job{$bypid{$_}}{ph} } keys %bypid) ? 0.05 : undef);
  if ($n <= 0) { next }
  for my $fd (keys %xs) { execd($fd) if vec($r, $fd, 1) }
  for my $fd (keys %pidfd) { next unless vec($r, $fd, 1); my $p = $pidfd{$fd}; reaped($p, $?) if waitpid($p, 1) == $p }
  if (vec($w, 1, 1) && length $out) { my $k = syswrite(STDOUT, $out); if (defined $k) { substr($out, 0, $k, '') } elsif ($! != EAGAIN) { exit 0 } }
  for my $fd (keys %wr) { next unless vec($w, $fd, 1); my $x = $wr{$fd}; my $k = syswrite($x->[0], $x->[1]);
    if (defined $k) { substr($x->[1], 0, $k, ''); next if length $x->[1] } elsif ($! == EAGAIN) { next }
    close $x->[0]; delete $wr{$fd} }
  if (vec($r, $ep, 1)) { readable($_) for ready() }
  if (vec($r, 0, 1) && !$eof) { my $k = sysread(STDIN, $in, 65536, length $in); $eof = 1 unless $k;
    while ($in =~ /\A([SD]) (\d+) (\d+)\n/) { my ($c, $id, $len) = ($1, $2, $3); my $h = length($&);
      last if length($in) < $h + $len; substr($in, 0, $h, ''); my $p = substr($in, 0, $len, '');
      if ($c eq 'S') { start($id, $p) } else { drop($id) } } }
}
`
