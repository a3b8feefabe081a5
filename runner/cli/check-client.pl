#!perl
# nslab check, asked of the session agent (runner/cli/session-agent.ts says
# why). scripts/build-bin.mjs puts this in the launcher, dist/bin/nslab.cjs,
# whose first lines are sh: `nslab check …` runs `perl -x` on the launcher,
# which starts here. This client sends its arguments, whether its stdout is a
# terminal, its width and its environment (for the colours) to the agent
# already running for the user's labs, prints what comes back and exits with
# the status that comes back. Whenever that cannot be (other arguments, no
# agent, an agent of another build, NSLAB_AGENT=0), node runs nslab as before:
# nothing has been done yet. No module, not even strict: perl starts in 10 ms
# without any, the first of them costs more than the rest of this file.
my @args = @ARGV;
my $build = '@@NSLAB_BUILD@@';

sub node {
  exec 'node', $0, @args;
  print STDERR "nslab: cannot run node: $!\n";
  exit 127;
}

node() if ($ENV{NSLAB_AGENT} // '') eq '0' || ($ENV{NSLAB_DEBUG} // '') ne '';
# Only what the agent serves: check, a lab's name, --verbose.
my ($cmd, @rest) = @args;
node() unless defined $cmd && $cmd eq 'check';
my $names = 0;
for (@rest) {
  next if $_ eq '-v' || $_ eq '--verbose';
  node() unless /\A[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\z/;
  $names++;
}
node() if $names > 1;

# The user's folder of sessions, as runner/learn/session-store.ts finds it,
# and only as it accepts it: a real folder of this user's that nobody else can open.
my $dir = $ENV{NSLAB_STATE_DIR} // '';
$dir = ($ENV{XDG_RUNTIME_DIR} || '/tmp') . "/nslab-$<" if $dir eq '';
$dir =~ s{(.)/+\z}{$1};
my @d = lstat $dir;
node() unless @d && -d _ && $d[4] == $< && ($d[2] & 077) == 0;
my $path = "$dir/agent.sock";
my @s = lstat $path;
node() unless @s && -S _ && $s[4] == $< && length($path) < 108;
# AF_UNIX, SOCK_STREAM; a struct sockaddr_un by hand (Socket is a module).
socket(my $agent, 1, 1, 0) or node();
connect($agent, pack('S', 1) . $path . "\0") or node();

my ($tty, $cols) = (-t STDOUT ? 1 : 0, 0);
if ($tty) {
  my $ws = "\0" x 8;
  # TIOCGWINSZ: rows, columns.
  $cols = (unpack 'S4', $ws)[1] if ioctl(STDOUT, 0x5413, $ws);
}
my $req = join("\0", 'nslab-agent/1', $build, $tty, $cols, scalar(@args), @args, map({ "$_=$ENV{$_}" } sort keys %ENV)) . "\0\0";
while (length $req) {
  my $w = syswrite($agent, $req);
  node() unless defined $w;
  substr($req, 0, $w) = '';
}

sub put {
  my ($fh, $data) = @_;
  while (length $data) {
    my $w = syswrite($fh, $data);
    return unless defined $w;
    substr($data, 0, $w) = '';
  }
}

# Frames: "o N\n" and N bytes for stdout, "e N\n" for stderr, "x STATUS\n" at
# the end; "n\n" first and alone: not served here.
my ($buf, $framed) = ('', 0);
for (;;) {
  while ($buf =~ /\A([oexn])(?: ([0-9]+))?\n/) {
    my ($kind, $n, $head) = ($1, $2 // 0, length($1) + (defined $2 ? 1 + length($2) : 0) + 1);
    if ($kind eq 'n') {
      close $agent;
      node();
    }
    exit $n if $kind eq 'x';
    last if length($buf) < $head + $n;
    put($kind eq 'o' ? \*STDOUT : \*STDERR, substr($buf, $head, $n));
    substr($buf, 0, $head + $n) = '';
    $framed = 1;
  }
  my $r = sysread($agent, $buf, 65536, length $buf);
  next if $r;
  # Gone before it said anything: nothing was done, node does it.
  node() unless $framed;
  print STDERR "nslab: the session agent ended before its answer did (NSLAB_AGENT=0 runs nslab check without it)\n";
  exit 70;
}
__END__
