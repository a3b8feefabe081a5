// The lab host of engine: docker: the sealed lab host of sandbox.ts with a
// real Docker Engine inside (docs/engines.md, docs/sandbox.md). What it
// changes, and why:
// - its user namespace maps 65536 uids (root of the lab is NSLAB_SANDBOX_UID
//   outside, the others the uids after it, which own nothing on the machine)
//   rather than one: images hold files of many owners (root:shadow, www-data).
//   nslab writes the map itself (as root), so no setuid newuidmap is needed.
// - it gets a cgroup tree of its own it may write below (docker-cgroups.ts):
//   dockerd and runc make their containers' cgroups there.
// - its lab init starts dockerd and the topology's containers
//   (docker-host-script.ts); the images come from nslab's cache, read-only.
import { closeSync, readlinkSync, writeFileSync } from 'node:fs'
import { readLimitCounters } from '../cgroup-limits.js'
import { start } from '../exec.js'
import { CGROUP_FD, type AppliedLimits, type LimitsPlan } from '../lab-limits.js'
import { iptablesBackend } from '../iptables-backend.js'
import { NslabError } from '../../util/nslab-error.js'
import { attachSandbox, hostnameOf, READ_ALL, sandboxFailure, sandboxInits, sandboxOwner, waitReady, type Sandbox, type SandboxHandle, type SandboxOptions } from '../sandbox.js'
import { sandboxScript } from '../sandbox-script.js'
import { scaledMs } from '../../util/time-scale.js'
import { shellQuote } from '../../util/shell-quote.js'
import { createDockerCgroups, type DockerCgroups } from './docker-cgroups.js'
import { CACHE_MOUNT, dockerHostScript, MAX_FILLERS, startOrder, type ImageSource } from './docker-host-script.js'

/** uids (and gids) a docker-engine lab host maps, from its owner up: what Debian gives a user in /etc/subuid. */
export const MAPPED_IDS = 65536

export interface DockerSandboxOptions extends SandboxOptions {
  /** The images the lab's dockerd has. */
  images: ImageSource
}

/** What an ordinary user is told, in one line (exit 3). */
export const NEEDS_ROOT = 'engine: docker runs only as root for now (sudo nslab …): dockerd needs uids and cgroups only root can give a lab host; see docs/engines.md'

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Build a docker-engine lab host: namespaces, cgroups, dockerd, the topology's containers. Root only. */
export async function createDockerSandbox(opts: DockerSandboxOptions): Promise<Sandbox> {
  const t0 = performance.now()
  const { topology } = opts
  const owner = sandboxOwner()
  if (owner === undefined) {
    throw new NslabError({ code: 'PREREQUISITE', message: NEEDS_ROOT })
  }
  if (startOrder(topology).fillers.length > MAX_FILLERS) {
    throw new NslabError({ code: 'SANDBOX', message: `engine: docker starts containers on Docker's default network, which hands out addresses in order: the topology's addresses leave more than ${MAX_FILLERS} free below them` })
  }
  let cg: DockerCgroups
  try {
    cg = createDockerCgroups(owner, opts.limits)
  } catch (e) {
    throw new NslabError({ code: 'PREREQUISITE', message: `engine: docker needs cgroups nslab can make: ${(e as Error).message}`, fix: 'mount the cgroup hierarchies (cgroup v1, or v2 with the controllers delegated to this process\'s cgroup)' })
  }
  // The process's descriptors: 3 the script, then outer/ of every hierarchy, then lab/ of every one.
  const n = cg.outerFds.length
  const labFds = cg.labFds.map((_, i) => CGROUP_FD + n + i)
  const images: ImageSource = opts.images
  const fds = [...cg.outerFds, ...cg.labFds]
  // Every process of the lab host joins outer/ of each hierarchy first (no rlimits: the cgroups limit it).
  const joinOuter: LimitsPlan = { cgroupFds: cg.outerFds.length, rlimits: [] }
  const script = sandboxScript({
    topology,
    persistent: opts.persistent ?? false,
    hostname: hostnameOf(opts.name),
    ...(opts.iptables ? { iptables: opts.iptables } : {}),
    backend: iptablesBackend(opts.iptables),
    limits: joinOuter,
    engine: dockerHostScript({
      topology,
      cgroupVersion: cg.version,
      hierarchies: cg.hierarchies,
      labCgroupFds: labFds,
      images,
      ...(opts.iptables ? { iptables: opts.iptables } : {}),
      daemonWaitS: Math.round(scaledMs(30_000) / 1000),
      hostname: hostnameOf(opts.name),
    }),
  })
  // Started as the owner in a user namespace without a map: the first program waits for the map
  // nslab writes, and only what it execs then is root there (a program's capabilities are set
  // at exec, by the uid it has then). unshare itself needs none for what it does first.
  const wait = `while ! read -r _u _ < /proc/self/uid_map; do sleep 0.005; done; exec unshare --net -- bash --noprofile --norc -c ${shellQuote(`${READ_ALL}; eval "unset _s; $_s"`)}`
  const host = ['unshare', '--user', '--mount', '--pid', '--uts', '--ipc', '--cgroup', '--fork', '--kill-child', '--mount-proc', '--', 'sh', '-c', wait]
  // The images: root binds their folder onto /mnt in a mount namespace of its own (private: nothing
  // reaches the machine), then becomes the owner and makes the lab host's namespaces. Their mount
  // namespace is a copy made by a less privileged user namespace: the kernel locks the bind there,
  // read-only and in place. No fork on the way: the pid nslab started becomes the lab host's unshare.
  const argv =
    images.kind === 'none'
      ? host
      : [
          'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
          `mount --bind ${images.kind === 'cache' ? '-o ro ' : ''}"$1" ${CACHE_MOUNT} && ${images.kind === 'cache' ? `mount -o remount,bind,ro ${CACHE_MOUNT} && ` : ''}shift && exec setpriv --reuid=${owner} --regid=${owner} --clear-groups -- "$@"`,
          'nslab-images', images.dir, ...host,
        ]
  const running = start({
    file: argv[0]!,
    args: argv.slice(1),
    env: { PATH: `${PATH}:${process.env.PATH ?? ''}`, LANG: 'C.UTF-8' },
    keepStdin: !opts.persistent,
    machine: 'sandbox',
    script,
    fds,
    ...(images.kind === 'none' ? { uid: owner, gid: owner } : {}),
    command: 'unshare … (docker-engine lab host init)',
  })
  const fail = async (e: NslabError): Promise<never> => {
    running.kill('SIGKILL', false)
    await running.done.catch(() => undefined)
    await cg.release()
    throw e
  }
  try {
    await writeIdMaps(running.pid, owner)
  } catch (e) {
    return fail(new NslabError({ code: 'SANDBOX', message: `the lab host could not be built: cannot map its uids: ${(e as Error).message}` }))
  }
  // dockerd's start and a container at a time: minutes in a VM under software emulation (×4 there).
  const ready = await waitReady(running, opts.timeoutMs ?? scaledMs(120_000))
  // The lab's init has joined its cgroups by now (or failed): nslab needs only outer/ from here.
  // Taken out of the list as they are closed: release() closes what is left there, and closing a
  // number twice would close what this process opened since under it (another lab host's pipe).
  for (const fd of cg.labFds.splice(0)) closeQuietly(fd)
  if (!ready.ok) {
    const r = await (async () => {
      running.kill('SIGKILL', false)
      return running.done.catch(() => undefined)
    })()
    await cg.release()
    throw sandboxFailure(r?.stderr ?? '', ready.why)
  }
  if (opts.persistent) {
    running.child.unref()
    running.child.stdout?.destroy()
    running.child.stderr?.destroy()
    running.child.stdin?.destroy()
    for (const p of running.child.stdio.slice(3)) (p as { destroy?: () => void } | null)?.destroy?.()
  }
  const inits = sandboxInits(running.pid)
  if (inits.lab === undefined) return fail(new NslabError({ code: 'SANDBOX', message: 'the lab host could not be built: its init was not found' }))
  const h: SandboxHandle = {
    pid: running.pid,
    ...inits,
    topology,
    uid: owner,
    ...(opts.iptables ? { iptables: opts.iptables } : {}),
    engine: 'docker',
    cgroups: cg.tops,
  }
  const dirs = cgroupDirs(cg)
  const limits: AppliedLimits = {
    how: cg.limitsBy ?? `cgroup v${cg.version}`,
    fds: cg.outerFds,
    plan: joinOuter,
    counters: () => readLimitCounters(dirs),
    release: () => cg.release(),
  }
  return attachSandbox(h, {
    upMs: performance.now() - t0,
    ...(opts.persistent ? {} : { running }),
    // Steps and shells join outer/ (with limits or without: dockerd's containers are below it either way).
    limits,
  })
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // closed already
  }
}

/** Where the limit counters are read (the top folder of the pids and memory hierarchies). */
function cgroupDirs(cg: DockerCgroups): { version: 1 | 2; pids?: string; memory?: string } {
  if (cg.version === 2) return { version: 2, pids: cg.tops[0]!, memory: cg.tops[0]! }
  const find = (c: string) => cg.tops.find((_, i) => cg.hierarchies[i]!.options.split(',').includes(c))
  const pids = find('pids')
  const memory = find('memory')
  return { version: 1, ...(pids ? { pids } : {}), ...(memory ? { memory } : {}) }
}

/**
 * Map the lab host's uids and gids: root inside is `owner` outside, and the
 * 65535 uids after it follow. Written by this process (root) once unshare has
 * made the user namespace; the lab host's first program waits for it.
 */
async function writeIdMaps(pid: number, owner: number): Promise<void> {
  const ours = readLink(`/proc/self/ns/user`)
  const until = Date.now() + scaledMs(5000)
  for (;;) {
    const theirs = readLink(`/proc/${pid}/ns/user`)
    if (theirs && theirs !== ours) break
    if (Date.now() > until) throw new Error('unshare made no user namespace')
    await new Promise((r) => setTimeout(r, 1))
  }
  writeFileSync(`/proc/${pid}/uid_map`, `0 ${owner} ${MAPPED_IDS}\n`)
  writeFileSync(`/proc/${pid}/gid_map`, `0 ${owner} ${MAPPED_IDS}\n`)
}

function readLink(p: string): string | undefined {
  try {
    return readlinkSync(p)
  } catch {
    return undefined
  }
}
