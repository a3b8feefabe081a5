import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { debianMirror } from './debian-mirror.js'
import { run } from '../host/exec.js'
import { extractVmlinux } from './extract-vmlinux.js'
import type { ExecResult } from '../host/exec-result.js'
import { NslabError } from '../util/nslab-error.js'
import { specLabel, type KernelSpec } from './parse-kernel-spec.js'
import { findProgram } from '../host/require-programs.js'

/** A kernel ready to boot. */
export interface Kernel {
  /** How reports name it: `debian:bookworm`, or the image path as given. */
  spec: string
  /** What qemu boots: the uncompressed vmlinux when it has a PVH entry, else the bzImage. */
  image: string
  /** Its lib/modules/RELEASE folder with modules.dep; none for a kernel with all it needs built in. */
  modulesDir?: string
  /** uname -r, as its modules folder names it. */
  release?: string
  /** The Debian package it came from, with its version. */
  package?: string
  /** The kernel's build config (boot/config-RELEASE), when known. */
  config?: string
}

export interface FetchKernelOptions {
  /** Default: $XDG_CACHE_HOME/nslab or ~/.cache/nslab. */
  cacheDir?: string
  /** One line of progress ("fetching …"), for a person waiting. */
  log?: (line: string) => void
}

/** Where fetched kernels are kept: $NSLAB_CACHE, $XDG_CACHE_HOME/nslab, or ~/.cache/nslab. */
export function kernelCacheDir(): string {
  if (process.env.NSLAB_CACHE) return resolve(process.env.NSLAB_CACHE)
  const xdg = process.env.XDG_CACHE_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'nslab')
}

/** Bumped when what the cache holds changes; an older cache is fetched again. */
const CACHE_FORMAT = 3

const APT_TIMEOUT_MS = 10 * 60_000
/** A fetch by another process older than this is taken to have died. */
const STALE_LOCK_MS = 20 * 60_000

/**
 * A kernel for a spec: a Debian suite's newest linux-image-amd64, fetched
 * with apt from this machine's own Debian mirror into the cache the first
 * time and read from there after; or an image someone built, checked.
 * Throws NslabError with a reason a person can act on.
 */
export async function fetchKernel(spec: KernelSpec, opts: FetchKernelOptions = {}): Promise<Kernel> {
  if (spec.kind === 'image') return imageKernel(spec)
  const root = join(opts.cacheDir ?? kernelCacheDir(), 'kernels')
  const dir = join(root, spec.suite)
  const cached = await readCached(dir, spec.text)
  if (cached) return cached
  await mkdir(root, { recursive: true })
  const lock = join(root, `.${spec.suite}.lock`)
  for (;;) {
    try {
      await mkdir(lock)
      break
    } catch {
      // Another nslab is fetching this suite: wait for it, unless it died.
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? 0)
      if (age > STALE_LOCK_MS) {
        await rm(lock, { recursive: true, force: true })
        continue
      }
      await new Promise((r) => setTimeout(r, 1000))
      const done = await readCached(dir, spec.text)
      if (done) return done
    }
  }
  try {
    const again = await readCached(dir, spec.text)
    if (again) return again
    return await fetchDebian(spec.suite, spec.text, root, dir, opts.log)
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

async function readCached(dir: string, specText: string): Promise<Kernel | undefined> {
  try {
    const k = JSON.parse(await readFile(join(dir, 'kernel.json'), 'utf8')) as Kernel & { cacheFormat?: number }
    if (k.cacheFormat !== CACHE_FORMAT) return undefined
    delete k.cacheFormat
    if (!existsSync(k.image) || (k.modulesDir && !existsSync(join(k.modulesDir, 'modules.dep')))) return undefined
    return { ...k, spec: specText }
  } catch {
    return undefined
  }
}

async function fetchDebian(suite: string, specText: string, root: string, dir: string, log?: (l: string) => void): Promise<Kernel> {
  const fail = (message: string, fix?: string) =>
    new NslabError({ code: 'PREREQUISITE', message: `cannot fetch the kernel of debian:${suite}: ${message}`, ...(fix ? { fix } : {}) })
  for (const p of ['apt-get', 'apt-cache', 'dpkg-deb', 'busybox']) {
    if (!findProgram(p)) throw fail(`this machine lacks \`${p}\``, p === 'busybox' ? 'apt-get install busybox-static' : 'run it on a Debian or Ubuntu machine')
  }
  const mirror = debianMirror()
  if (!mirror) throw fail('no Debian archive found in /etc/apt/sources.list or /etc/apt/sources.list.d', 'add a Debian mirror to apt\'s sources')
  const work = await mkdtemp(join(root, `.fetch-${suite}-`))
  try {
    const apt = join(work, 'apt')
    for (const d of ['state/lists/partial', 'cache/archives/partial', 'parts', 'prefs']) await mkdir(join(apt, d), { recursive: true })
    await writeFile(join(apt, 'state/status'), '')
    const keyring = mirror.signedBy ?? '/usr/share/keyrings/debian-archive-keyring.gpg'
    // A stable release's newest kernel is often a security update: look there too.
    const security = mirror.securityUri && !/^(sid|unstable|experimental)$|-backports$/.test(suite)
    const sourcesList = (withSecurity: boolean) =>
      `deb [signed-by=${keyring}] ${mirror.uri} ${suite} main\n` +
      (withSecurity ? `deb [signed-by=${keyring}] ${mirror.securityUri} ${suite}-security main\n` : '')
    await writeFile(join(apt, 'sources.list'), sourcesList(Boolean(security)))
    // A private apt: its own sources, lists and cache, so the machine's own apt is never touched.
    const aptOpts = [
      `-o`, `Dir::Etc::SourceList=${apt}/sources.list`,
      `-o`, `Dir::Etc::SourceParts=${apt}/parts`,
      `-o`, `Dir::Etc::Preferences=${apt}/prefs/none`,
      `-o`, `Dir::Etc::PreferencesParts=${apt}/prefs`,
      `-o`, `Dir::State=${apt}/state`,
      `-o`, `Dir::State::status=${apt}/state/status`,
      `-o`, `Dir::Cache=${apt}/cache`,
      `-o`, `APT::Sandbox::User=root`,
      `-o`, `Debug::NoLocking=1`,
      `-o`, `Acquire::Languages=none`,
      `-o`, `APT::Architecture=amd64`,
      `-o`, `APT::Architectures=amd64`,
    ]
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', DEBIAN_FRONTEND: 'noninteractive' }
    const step = async (file: string, args: string[], what: string, cwd?: string): Promise<ExecResult> => {
      const r = cwd
        ? await run({ file: 'sh', args: ['-c', 'cd "$1" && shift && exec "$@"', 'sh', cwd, file, ...args], env, timeoutMs: APT_TIMEOUT_MS, command: `${file} ${args.join(' ')}` })
        : await run({ file, args, env, timeoutMs: APT_TIMEOUT_MS })
      if (r.exitCode !== 0) throw fail(`${what} failed${r.timedOut ? ' (timed out)' : ''}: ${lastLines(r.output, 6)}`)
      return r
    }
    log?.(`fetching the kernel of debian:${suite} (once; kept in ${dir})…`)
    try {
      await step('apt-get', [...aptOpts, '-qq', 'update'], `apt-get update for ${suite}`)
    } catch (e) {
      if (!security) throw e
      // No security archive for this suite (yet): the suite alone.
      await writeFile(join(apt, 'sources.list'), sourcesList(false))
      await step('apt-get', [...aptOpts, '-qq', 'update'], `apt-get update for ${suite}`)
    }
    const dep = await step('apt-cache', [...aptOpts, 'depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', 'linux-image-amd64'], 'apt-cache depends linux-image-amd64')
    const pkg = /Depends:\s*<?(linux-image-[^\s>]+)>?/.exec(dep.stdout)?.[1]
    if (!pkg) throw fail(`linux-image-amd64 of ${suite} names no kernel package: ${lastLines(dep.output, 4)}`)
    // Newer kernels come in parts (linux-binary-…, linux-modules-… beside linux-image-…): take those of the same release.
    const release0 = pkg.replace(/^linux-image-/, '')
    const partsOf = await step('apt-cache', [...aptOpts, 'depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', pkg], `apt-cache depends ${pkg}`)
    const parts = [...partsOf.stdout.matchAll(/Depends:\s*<?(linux-[a-z]+-[^\s>]+)>?/g)]
      .map((m) => m[1]!)
      .filter((p) => p.endsWith(`-${release0}`) && p !== pkg)
    const pkgs = [pkg, ...new Set(parts)]
    await step('apt-get', [...aptOpts, '-qq', 'download', ...pkgs], `apt-get download ${pkgs.join(' ')}`, work)
    const debs = readdirSync(work).filter((f) => f.endsWith('.deb'))
    const deb = debs.find((f) => f.startsWith(`${pkg}_`))
    if (!deb) throw fail(`apt-get download ${pkg} left no .deb`)
    const unpacked = join(work, 'root')
    for (const d of debs) {
      await step('dpkg-deb', ['-x', join(work, d), unpacked], `dpkg-deb -x ${d}`)
      await rm(join(work, d), { force: true })
    }
    await rm(apt, { recursive: true, force: true })
    // Older packages ship lib/modules, newer (merged /usr) usr/lib/modules.
    const modulesRoot = ['usr/lib/modules', 'lib/modules'].find((d) => isDir(join(unpacked, d)))
    if (!modulesRoot) throw fail(`${debs.join(', ')} hold no lib/modules`)
    const releases = readdirSync(join(unpacked, modulesRoot))
    const release = releases[0]
    if (!release || releases.length !== 1) throw fail(`${debs.join(', ')} hold ${releases.length} module folders, expected one`)
    // The image is boot/vmlinuz-RELEASE, or (newer) beside the modules as vmlinuz; so is the config.
    const inBoot = (f: string) => (isDir(join(unpacked, 'boot')) ? readdirSync(join(unpacked, 'boot')).find((x) => x.startsWith(f)) : undefined)
    const bootImage = inBoot('vmlinuz')
    const image = bootImage ? join('boot', bootImage) : isFile(join(unpacked, modulesRoot, release, 'vmlinuz')) ? join(modulesRoot, release, 'vmlinuz') : undefined
    if (!image) throw fail(`${debs.join(', ')} hold no vmlinuz`)
    const configFile = inBoot(`config-${release}`) ? join('boot', `config-${release}`) : isFile(join(unpacked, modulesRoot, release, 'config')) ? join(modulesRoot, release, 'config') : undefined
    // Debian builds modules.dep at install time (depmod in its postinst); do the same.
    // busybox depmod looks in BASE/lib/modules.
    const base = modulesRoot === 'lib/modules' ? unpacked : join(unpacked, 'usr')
    await step('busybox', ['depmod', '-b', base, release], `depmod for ${release}`)
    // Booted without decompression it starts seconds sooner under emulation.
    const vmlinux = join('boot', `vmlinux-${release}`)
    await mkdir(join(unpacked, 'boot'), { recursive: true })
    const direct = await extractVmlinux(join(unpacked, image), join(unpacked, vmlinux))
    const version = /_([^_]+)_[^_]+\.deb$/.exec(deb)?.[1]
    const kernel: Kernel = {
      spec: specText,
      image: join(dir, direct ? vmlinux : image),
      modulesDir: join(dir, modulesRoot, release),
      release,
      package: version ? `${pkg} ${version}` : pkg,
      ...(configFile ? { config: join(dir, configFile) } : {}),
    }
    await writeFile(join(unpacked, 'kernel.json'), `${JSON.stringify({ ...kernel, cacheFormat: CACHE_FORMAT }, null, 2)}\n`)
    await rm(dir, { recursive: true, force: true })
    await rename(unpacked, dir)
    log?.(`fetched ${kernel.package} (${release})`)
    return kernel
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** A kernel someone built: the image must exist; its modules folder must have modules.dep. */
function imageKernel(spec: Extract<KernelSpec, { kind: 'image' }>): Kernel {
  const image = resolve(spec.image)
  const bad = (message: string, fix?: string) =>
    new NslabError({ code: 'NOT_FOUND', message: `--kernel ${spec.text}: ${message}`, ...(fix ? { fix } : {}) })
  if (!isFile(image)) throw bad(`no kernel image at ${image}`)
  if (!spec.modules) return { spec: specLabel(spec), image }
  let modulesDir = resolve(spec.modules)
  if (!isDir(modulesDir)) throw bad(`no modules folder at ${modulesDir}`)
  if (!isFile(join(modulesDir, 'modules.dep'))) {
    // A root that holds lib/modules/RELEASE (INSTALL_MOD_PATH), or lib/modules itself.
    const under = [join(modulesDir, 'lib/modules'), modulesDir].find((d) => isDir(d) && readdirSync(d).some((r) => isFile(join(d, r, 'modules.dep'))))
    const releases = under ? readdirSync(under).filter((r) => isFile(join(under, r, 'modules.dep'))) : []
    if (!under || releases.length !== 1) {
      throw bad(
        releases.length > 1 ? `${modulesDir} holds modules of ${releases.length} releases; name one` : `${modulesDir} has no modules.dep`,
        'make modules_install INSTALL_MOD_PATH=DIR, then --kernel IMAGE:DIR/lib/modules/RELEASE',
      )
    }
    modulesDir = join(under, releases[0]!)
  }
  return { spec: specLabel(spec), image, modulesDir, release: basename(modulesDir) }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n') || '(no output)'
}

