// Issue 12, class 4: answers on command lines. A graded answer passed as
// `bash -c SCRIPT` can be read from /proc/PID/cmdline by anyone, also by a
// learner graded beside it, although the class folder is mode 0700. Here a
// class of three is graded at once (-j 3): alice's answer holds a secret word
// and takes its time; bob's and carol's look for that word in every
// /proc/*/cmdline they can see (their lab's own /proc, and the one under
// it), and the test does the same from outside, all through the grading.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { block, gradeLab, outputOf, writeClass, writeLab } from '../helpers/attack-doors.js'
import { PEOPLE, requireBuild, scratch } from '../helpers/nslab-as.js'

requireBuild()

/** Command lines of every process holding the word, right now. */
function cmdlinesWith(word: string): string[] {
  const found: string[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const c = readFileSync(`/proc/${d}/cmdline`, 'utf8')
      if (c.includes(word)) found.push(`${d}: ${c.replace(/\0/g, ' ').slice(0, 200)}`)
    } catch {
      // ended meanwhile
    }
  }
  return found
}

/** An answer that looks for the word (given in halves, so its own command line would not hold it) for up to 8 s. */
const scanner = (halves: [string, string]) => String.raw`set +e
export S1=${halves[0]} S2=${halves[1]}
export FIND='my $s = $ENV{S1} . $ENV{S2}; for my $p (glob "/proc/[0-9]*/cmdline") { open(my $f, "<", $p) or next; local $/; my $c = <$f>; if (defined $c && index($c, $s) >= 0) { print "FOUND-SECRET in $p\n"; exit 0 } } exit 1'
cd /
n=0; end=$((SECONDS + 8))
while [ $SECONDS -lt $end ]; do
  n=$((n + 1))
  perl -e "$FIND" && break
  unshare --mount bash -c 'umount /proc 2>/dev/null || umount -l /proc 2>/dev/null; perl -e "$FIND"' && break
  sleep 0.2
done
echo "SCANNED $n times"
touch /root/done
`

for (const as of PEOPLE) {
  t.test(`as ${as}: an answer being graded is on no command line`, async (t) => {
    const s = scratch(as)
    t.teardown(s.cleanup)
    const secret = `nslabsecret${randomBytes(6).toString('hex')}`
    const halves: [string, string] = [secret.slice(0, 7), secret.slice(7)]
    const lab = writeLab(s.dir, 'cmdline', [block('sh solution id=task timeout=60s', 'touch /root/done'), block('check', 'sh host "test -f /root/done"')].join('\n'))
    const subs = writeClass(s.dir, as, {
      alice: { task: `echo holder-ran\n: ${secret}\nsleep 6\ntouch /root/done\n` },
      bob: { task: scanner(halves) },
      carol: { task: scanner(halves) },
    })
    // From outside, every 50 ms while the class is graded.
    let scans = 0
    const seen = new Set<string>()
    let grading = true
    const watcher = (async () => {
      while (grading) {
        for (const c of cmdlinesWith(secret)) seen.add(c)
        scans++
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    const { res, report } = await gradeLab(as, lab, subs, { home: `${s.dir}/home`, jobs: 3 })
    grading = false
    await watcher
    const by = new Map((report?.submissions ?? []).map((g) => [g.name, g]))
    const out = (name: string) => outputOf(by.get(name)?.run.blocks.filter((b) => b.role === 'solution'))
    t.match(out('alice'), /holder-ran/, "alice's answer ran", { stdout: res.stdout, stderr: res.stderr })
    for (const name of ['bob', 'carol']) {
      t.match(out(name), /SCANNED \d+ times/, `${name}'s answer looked`)
      t.notMatch(out(name), /FOUND-SECRET/, `${name}'s answer did not find alice's word`)
    }
    t.ok(scans >= 20, `the test looked from outside throughout (${scans} times)`)
    t.same([...seen], [], "alice's word was on no command line of the machine")
  })
}
