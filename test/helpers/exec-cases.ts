// What exec.ts's start() promises, whichever way it starts a process (the
// forker, or node's own spawn with NSLAB_FORKER=0): shared by
// test/host/exec.test.ts and test/host/exec-spawned.test.ts.
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TAP } from 'tap'
import { isAlive, run, start } from '../../runner/host/exec.js'
import { NslabError } from '../../runner/util/nslab-error.js'
import { namespaceHolder } from './namespace-holder.js'

const sh = (script: string, o: Partial<Parameters<typeof run>[0]> = {}) => run({ file: '/bin/sh', args: ['-c', script], env: { PATH: '/usr/bin:/bin' }, ...o })

export function execCases(t: TAP): void {
  t.test('exit codes, both streams and the output in order', async (t) => {
    const r = await sh('echo out; echo err >&2; echo out2; exit 3')
    t.equal(r.exitCode, 3)
    t.equal(r.stdout, 'out\nout2\n')
    t.equal(r.stderr, 'err\n')
    // Two pipes: their interleaving is the kernel's; every line is there.
    t.same(r.output.split('\n').sort(), ['', 'err', 'out', 'out2'])
    t.equal(r.timedOut, false)
    t.equal(r.signal, undefined)
  })

  t.test('a signal that ended it is named', async (t) => {
    const r = await sh('kill -TERM $$')
    t.equal(r.exitCode, null)
    t.equal(r.signal, 'SIGTERM')
  })

  t.test('input on stdin, a script on fd 3, the environment whole', async (t) => {
    const r = await run({ file: '/bin/sh', args: ['-c', 'cat; cat <&3; echo "[$FOO][$HOME]"'], env: { PATH: '/usr/bin:/bin', FOO: 'a b=c' }, input: 'in\n', script: 'script\n' })
    t.equal(r.stdout, 'in\nscript\n[a b=c][]\n')
  })

  t.test('binary output and output far past a pipe, whole', async (t) => {
    const r = await sh('head -c 3000000 /dev/zero | tr "\\0" x; printf "\\001\\002\\n"')
    t.equal(r.stdout.length, 3000003)
    t.equal(r.stdout.slice(-3), '\u0001\u0002\n')
  })

  t.test('input and a script bigger than a pipe reach the process', async (t) => {
    const big = 'y'.repeat(500_000)
    const r = await run({ file: '/bin/sh', args: ['-c', 'wc -c; wc -c <&3'], env: { PATH: '/usr/bin:/bin' }, input: big, script: big + big })
    t.same(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean), ['500000', '1000000'])
  })

  t.test('a program that is not there is a PREREQUISITE error', async (t) => {
    const e = await run({ file: 'nslab-no-such-program', args: [], env: { PATH: '/usr/bin:/bin' } }).catch((e: unknown) => e)
    t.ok(e instanceof NslabError && e.code === 'PREREQUISITE', String(e))
  })

  t.test('PATH of the given environment finds the program', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nslab-exec-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'nslab-here'), '#!/bin/sh\necho here\n', { mode: 0o755 })
    const r = await run({ file: 'nslab-here', args: [], env: { PATH: `${dir}:/usr/bin:/bin` } })
    t.equal(r.stdout, 'here\n')
  })

  t.test('a timeout kills the whole process group, and says so', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nslab-exec-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const r = await sh(`sleep 30 & echo $! > ${dir}/bg; sleep 30`, { timeoutMs: 300 })
    t.equal(r.timedOut, true)
    // Its children are killed first: the shell may end by itself (137) or by the kill.
    t.ok(r.signal === 'SIGKILL' || r.exitCode === 137, `it ended: ${r.exitCode} ${r.signal}`)
    const bg = Number(readFileSync(join(dir, 'bg'), 'utf8'))
    t.ok(bg > 0)
    const deadline = Date.now() + 5000
    while (isAlive(bg) && !/\) Z /.test(readFileSync(`/proc/${bg}/stat`, 'utf8')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    t.notOk(isAlive(bg) && !/\) Z /.test(readFileSync(`/proc/${bg}/stat`, 'utf8')), 'its background child is gone too')
  })

  t.test('kill() before and after the pid is known; its own process group', async (t) => {
    const early = start({ file: '/bin/sleep', args: ['30'], env: { PATH: '/usr/bin:/bin' } })
    early.kill('SIGTERM', false)
    const r = await early.done
    t.equal(r.signal, 'SIGTERM', 'killed as soon as it had started')
    const late = start({ file: '/bin/sh', args: ['-c', 'cut -d" " -f5 /proc/$$/stat; sleep 30'], env: { PATH: '/usr/bin:/bin' } })
    await new Promise((r) => setTimeout(r, 300))
    t.ok(late.pid > 0, 'the pid is known')
    late.kill('SIGKILL')
    const l = await late.done
    t.ok(l.signal === 'SIGKILL' || l.exitCode === 137, `it ended: ${l.exitCode} ${l.signal}`)
    t.equal(Number(l.stdout.trim()), late.pid, 'it leads a process group of its own')
  })

  t.test('output past the cap is cut, and the process killed', async (t) => {
    const r = await run({ file: 'yes', args: [], env: { PATH: '/usr/bin:/bin' }, maxOutputBytes: 100_000 })
    t.equal(r.truncated, true)
    t.equal(r.stdout.length, 100_000)
    t.equal(r.signal, 'SIGKILL')
  })

  t.test('a background child holding the pipes does not hold the result', async (t) => {
    const t0 = Date.now()
    const dir = mkdtempSync(join(tmpdir(), 'nslab-exec-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const r = await sh(`(sleep 20; echo late) & echo $! > ${dir}/bg; echo now`, { pipeGraceMs: 100 })
    t.equal(r.stdout, 'now\n')
    t.equal(r.exitCode, 0)
    t.ok(Date.now() - t0 < 15_000, 'it did not wait for the background child')
    process.kill(Number(readFileSync(join(dir, 'bg'), 'utf8')), 'SIGKILL')
  })

  t.test('descriptors handed on at 4, as they were opened (one to write)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nslab-exec-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'r'), 'readable\n')
    const rd = openSync(join(dir, 'r'), 'r')
    const wr = openSync(join(dir, 'w'), 'w')
    try {
      const r = await sh('cat <&4; echo written >&5; ls /proc/self/fd | sort -n | tr "\\n" " "', { fds: [rd, wr] })
      t.match(r.stdout, /^readable\n/)
      t.equal(readFileSync(join(dir, 'w'), 'utf8'), 'written\n')
      // 0-2, 4, 5 and ls's own directory (3); nothing of the forker's (whatever the test runner hands down, above 200).
      const fds = (r.stdout.split('\n')[1] ?? '').trim().split(' ').map(Number)
      t.same(fds.filter((fd) => fd > 5 && fd < 200), [], `no descriptor beyond those: ${fds.join(' ')}`)
    } finally {
      closeSync(rd)
      closeSync(wr)
    }
  })

  t.test('as another uid and gid, with no supplementary group of ours', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    const r = await sh('id -u; id -g; id -G', { uid: 65534, gid: 65534 })
    t.same(r.stdout.trim().split('\n'), ['65534', '65534', '65534'])
  })

  t.test('many at once, each its own result', async (t) => {
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => sh(`echo ${i}; exit ${i % 7}`)))
    t.same(
      rs.map((r) => [r.stdout, r.exitCode]),
      Array.from({ length: 40 }, (_, i) => [`${i}\n`, i % 7]),
    )
  })

  t.test('namespaces entered as nsenter enters them: user first where it must be, then a pid namespace', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    // Namespaces of a process of this test's own (a user, network and pid namespace, nothing of the machine's).
    const inner = await namespaceHolder(t, ['--user', '--map-root-user', '--net', '--pid', '--fork', '--mount-proc'])
    t.ok(inner, 'the holder runs')
    const enter = [
      { ns: 'user' as const, path: `/proc/${inner}/ns/user` },
      { ns: 'net' as const, path: `/proc/${inner}/ns/net` },
    ]
    const r = await run({ file: '/bin/sh', args: ['-c', 'readlink /proc/self/ns/net; readlink /proc/self/ns/user'], env: { PATH: '/usr/bin:/bin' }, enter })
    t.equal(r.exitCode, 0, r.stderr)
    t.equal(r.stdout, `${readlinkSync(`/proc/${inner}/ns/net`)}\n${readlinkSync(`/proc/${inner}/ns/user`)}\n`, 'in its network and user namespaces')
    // A pid namespace: the program runs as a process of it, and its end is the result's.
    const pidNs = [...enter, { ns: 'pid' as const, path: `/proc/${inner}/ns/pid` }]
    const p = await run({ file: '/bin/sh', args: ['-c', 'grep NSpid /proc/self/status; exit 7'], env: { PATH: '/usr/bin:/bin' }, enter: pidNs })
    t.equal(p.exitCode, 7, 'its exit status')
    t.match(p.stdout, /^NSpid:\t\d+\t\d+\n$/, 'a pid in the namespace too')
    const k = await run({ file: '/bin/sh', args: ['-c', 'kill -TERM $$'], env: { PATH: '/usr/bin:/bin' }, enter: pidNs })
    t.equal(k.signal, 'SIGTERM', 'the signal that ended it')
    // One started in the same moment as a process that waits in a pid namespace ends when it ends: the process
    // between (outside the namespace, waiting) holds none of its pipes open (here: the one to cat's stdin).
    const t0 = performance.now()
    const quick = run({ file: '/bin/cat', args: [], env: { PATH: '/usr/bin:/bin' }, input: 'quick\n' })
    const slow = run({ file: '/bin/sh', args: ['-c', 'sleep 2'], env: { PATH: '/usr/bin:/bin' }, enter: pidNs })
    t.equal((await quick).stdout, 'quick\n')
    t.ok(performance.now() - t0 < 1700, 'it did not wait for the other')
    t.equal((await slow).exitCode, 0)
    // A file that is no namespace of that kind: a result (exit 1, why), not an exception.
    const wrong = await run({ file: '/bin/true', args: [], env: { PATH: '/usr/bin:/bin' }, enter: [{ ns: 'net', path: `/proc/${inner}/ns/user` }] })
    t.equal(wrong.exitCode, 1, 'refused')
    t.not(wrong.stderr, '', 'with a reason')
  })
}
