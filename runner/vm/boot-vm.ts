import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { start } from '../host/exec.js'
import type { Kernel } from './fetch-kernel.js'
import type { GuestView } from './guest-view.js'
import { NslabError } from '../util/nslab-error.js'
import { plainText } from '../util/plain-text.js'
import { findProgram } from '../host/require-programs.js'

export type Accel = 'kvm' | 'tcg'

export interface BootVmOptions {
  kernel: Kernel
  /** Path of the initramfs (buildInitramfs). */
  initramfs: string
  /** A host path the guest runs with /bin/sh once it is up; the VM powers off after it. */
  runScript: string
  /** Where console.log goes. */
  workDir: string
  accel: Accel
  /** -cpu model; default host with KVM (as kvmWorks found it runs), TCG_CPU with TCG. */
  cpu?: string
  /** The whole VM's time limit: past it qemu is killed. */
  timeoutMs: number
  /** Modules the guest loads before the run script. */
  preload?: string[]
  memoryMb?: number
  /** vCPUs; default 2 with KVM, 1 with TCG. */
  cpus?: number
  /** Each line the guest writes to its events port (virtio-serial "nslab.events"). */
  onLine?: (line: string) => void
  /** Kill the VM when it has said nothing on its port by then (a KVM that stalls). */
  firstLineTimeoutMs?: number
  signal?: AbortSignal
  /**
   * Only this of the machine's files in the guest's view (guestView), rather
   * than its whole root. Needs root (a mount namespace for qemu).
   */
  view?: GuestView
}

export interface VmRun {
  /** qemu's pid (gone by the time this is returned). */
  pid: number
  /** qemu's exit status (0 after the guest powers off, or after a panic, thanks to -no-reboot). */
  exitCode: number | null
  signal?: string
  timedOut: boolean
  aborted: boolean
  durationMs: number
  /** The end of the guest's console (serial port), for evidence. */
  consoleTail: string
  /** What qemu itself said on stderr. */
  qemuSays: string
  /** The guest's CPU faulted while handling a fault and reset: the kernel never got going. */
  tripleFault: boolean
  /** Killed because it said nothing within firstLineTimeoutMs. */
  stalled: boolean
  consoleLog: string
}

/** Lines of console kept as evidence. */
const TAIL_LINES = 40
const QEMU = 'qemu-system-x86_64'

/**
 * The CPU of a TCG guest: the baseline x86-64 Debian builds for, with RDRAND
 * (random.trust_cpu seeds the kernel's entropy at once). A CPU with fewer
 * features boots faster under emulation (some 1 s less than `max`: less code
 * for the kernel to patch, no XSAVE state to switch), and nothing a lab runs
 * needs more.
 */
export const TCG_CPU = 'qemu64,+rdrand'

/**
 * The guest's view, assembled in qemu's own mount namespace (private: nothing
 * of it is seen outside, and it goes with qemu): a tmpfs root, each path of
 * the view bound onto it (a top-level link made again as a link), what is to
 * be hidden covered (an empty tmpfs on a folder, /dev/null on a file), the
 * mount points the guest's init needs; then qemu, under setpriv --pdeathsig.
 * Arguments: ROOT PATH… -- HIDE… -- COMMAND…
 */
const VIEW_SCRIPT = `set -e
R=$1; shift
mount -t tmpfs -o mode=755 nslab-view "$R"
while [ "$1" != -- ]; do
  p=$1; shift
  mkdir -p "$R\${p%/*}"
  if [ -L "$p" ] && [ "\${p%/*}" = "" ]; then ln -s "$(readlink "$p")" "$R$p"
  elif [ -d "$p" ]; then mkdir -p "$R$p"; mount --rbind "$p" "$R$p"
  else : > "$R$p"; mount --bind "$p" "$R$p"
  fi
done
shift
while [ "$1" != -- ]; do
  for f in "$R"$1; do
    if [ -L "$f" ]; then :
    elif [ -d "$f" ]; then mount -t tmpfs -o mode=755,size=16k nslab-hidden "$f"
    elif [ -e "$f" ]; then mount --bind /dev/null "$f"
    fi
  done
  shift
done
shift
for d in proc sys dev run tmp root; do [ -e "$R/$d" ] || mkdir "$R/$d"; done
exec "$@"
`

/** Where the guest's view is assembled (with opts.view). */
function viewRoot(opts: Pick<BootVmOptions, 'workDir'>): string {
  return join(opts.workDir, 'view')
}

/** The qemu command line of a VM, exported for tests and for `--verbose`. */
export function qemuArgs(opts: BootVmOptions): string[] {
  const { kernel } = opts
  const append = [
    'console=ttyS0',
    // What a kernel says before its console is up is evidence too, when it cannot boot.
    'earlyprintk=serial,ttyS0',
    'panic=-1',
    // Warnings and worse only, but not 'quiet': the boot stages' own lines are a failed boot's evidence.
    'loglevel=4',
    // A throwaway guest: no mitigations to pay for, a TSC to trust (TCG's drifts and trips the watchdog).
    'mitigations=off',
    // The crypto self-tests cost seconds under emulation and test nothing a lab needs.
    'cryptomgr.notests',
    'tsc=reliable',
    'no_timer_check',
    'random.trust_cpu=on',
    'i8042.noaux',
    'i8042.nokbd',
    // Virtio's PCI functions use MSI-X; routing legacy interrupts through ACPI's link objects costs
    // some 0.3 s per device under emulation.
    'acpi=noirq',
    'rdinit=/init',
    `nslab.run=${opts.runScript}`,
    ...(kernel.modulesDir && kernel.release ? [`nslab.modules=${kernel.modulesDir}`, `nslab.release=${kernel.release}`] : []),
    ...(opts.preload?.length ? [`nslab.preload=${opts.preload.join(',')}`] : []),
  ]
  return [
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-no-reboot',
    '-nic', 'none',
    ...(opts.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', opts.cpu ?? 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', opts.cpu ?? TCG_CPU]),
    '-M', 'pc',
    '-m', String(opts.memoryMb ?? 1024),
    // One vCPU under TCG: with two, a kernel patching its own code (int3 text pokes) now and then
    // races qemu's translation on the other vCPU and oopses at boot ("Oops: int3").
    '-smp', String(opts.cpus ?? (opts.accel === 'kvm' ? 2 : 1)),
    '-kernel', kernel.image,
    '-initrd', opts.initramfs,
    '-append', append.join(' '),
    '-serial', `file:${join(opts.workDir, 'console.log')}`,
    // CPU resets go to a log: a triple fault (a kernel that cannot even start) says so there, and nowhere else.
    '-d', 'cpu_reset',
    '-D', join(opts.workDir, 'qemu.log'),
    // The host's files, read-only: the guest lays a tmpfs over them.
    '-fsdev', `local,id=nslabroot,path=${opts.view ? viewRoot(opts) : '/'},security_model=none,readonly=on,multidevs=remap`,
    '-device', 'virtio-9p-pci,fsdev=nslabroot,mount_tag=nslabroot,disable-legacy=on',
    // Events come back on qemu's stdout through a virtio-serial port.
    // Room for one port (port 0 is kept for a console), modern virtio only: fewer queues to set up at boot.
    '-device', 'virtio-serial-pci,max_ports=2,disable-legacy=on',
    '-chardev', 'stdio,id=events,signal=off',
    '-device', 'virtserialport,chardev=events,name=nslab.events',
    '-device', 'virtio-rng-pci,disable-legacy=on',
  ]
}

/**
 * Boot a throwaway VM and wait for it to end: it powers off when its run
 * script ends; a panic ends it too (-no-reboot); a hang ends at the time
 * limit, when qemu is killed. qemu runs under setpriv --pdeathsig, so it
 * dies with this process: no qemu is ever left behind.
 */
export async function bootVm(opts: BootVmOptions): Promise<VmRun> {
  const qemu = findProgram(QEMU)
  if (!qemu) throw new NslabError({ code: 'PREREQUISITE', message: `this machine lacks \`${QEMU}\``, fix: 'apt-get install qemu-system-x86' })
  const setpriv = findProgram('setpriv')
  const args = qemuArgs(opts)
  let command = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', qemu, ...args] : [qemu, ...args]
  if (opts.view) {
    if (process.getuid?.() !== 0) throw new NslabError({ code: 'PREREQUISITE', message: "a VM with a confined view of this machine's files needs root (a mount namespace for qemu)" })
    await mkdir(viewRoot(opts), { recursive: true })
    const { paths, hide } = opts.view
    command = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', VIEW_SCRIPT, 'nslab-vm-view', viewRoot(opts), ...paths, '--', ...hide, '--', ...command]
  }
  const t0 = performance.now()
  const running = start({
    file: command[0]!,
    args: command.slice(1),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    timeoutMs: opts.timeoutMs,
    machine: 'vm',
    command: `${QEMU} … (${opts.kernel.spec})`,
    maxOutputBytes: 1024 * 1024 * 1024,
    // The guest is gone once qemu exits; its port has nothing more to say.
    pipeGraceMs: 500,
    keepStdin: true,
  })
  let aborted = false
  const abort = () => {
    aborted = true
    running.kill('SIGKILL')
  }
  opts.signal?.addEventListener('abort', abort, { once: true })
  if (opts.signal?.aborted) abort()
  let stalled = false
  const watchdog =
    opts.firstLineTimeoutMs !== undefined
      ? setTimeout(() => {
          stalled = true
          running.kill('SIGKILL')
        }, opts.firstLineTimeoutMs)
      : undefined
  if (running.child.stdout) {
    createInterface({ input: running.child.stdout, crlfDelay: Infinity }).on('line', (l) => {
      clearTimeout(watchdog)
      opts.onLine?.(l)
    })
  }
  const r = await running.done.finally(() => {
    clearTimeout(watchdog)
    opts.signal?.removeEventListener('abort', abort)
  })
  const consoleLog = join(opts.workDir, 'console.log')
  const text = await readFile(consoleLog, 'utf8').catch(() => '')
  const qemuLog = await readFile(join(opts.workDir, 'qemu.log'), 'utf8').catch(() => '')
  const vm: VmRun = {
    pid: running.pid,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    aborted,
    durationMs: Math.round(performance.now() - t0),
    consoleTail: consoleTail(text),
    qemuSays: r.stderr.split('\n').filter((l) => l.trim() && !/host doesn't support requested feature/.test(l)).join('\n'),
    tripleFault: /^Triple fault/m.test(qemuLog),
    stalled,
    consoleLog,
  }
  if (r.signal) vm.signal = r.signal
  return vm
}

/** The last lines of a console, without the terminal's control characters. */
export function consoleTail(text: string, lines = TAIL_LINES): string {
  const clean = plainText(text.replace(/\r/g, '')).replace(/\s+$/, '')
  return clean.split('\n').slice(-lines).join('\n')
}
