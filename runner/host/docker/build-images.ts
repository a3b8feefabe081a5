// The images of docker-engine lab hosts, built once from Debian's packages:
// the registry is not reachable (and a lab must not depend on it), so nslab
// makes the images a Docker tutorial names — busybox from busybox-static,
// debian and nginx with mmdebstrap from this machine's own apt sources — and
// imports them (`docker import`) with a dockerd of its own, in a lab host of
// its own, whose data root becomes the cache (image-cache.ts).
import { chownSync, closeSync, constants, copyFileSync, linkSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../exec.js'
import { findProgram, requirePrograms } from '../require-programs.js'
import { sandboxOwner } from '../sandbox.js'
import { NslabError } from '../../util/nslab-error.js'
import { shellQuote } from '../../util/shell-quote.js'
import { createDockerSandbox } from './create-docker-sandbox.js'
import { BUILD_TARS } from './docker-paths.js'
import { IMAGE_CACHE_FORMAT, imageCacheDir, nslabCacheDir, readImageCache, type CachedImage, type ImageCacheInfo } from './image-cache.js'

/** How each image is made. */
interface Recipe {
  repo: string
  tags: string[]
  /** busybox: busybox-static's binary and its applets; debian: mmdebstrap minbase with these packages. */
  from: 'busybox' | 'debian'
  packages: string[]
  /** Dockerfile instructions docker import applies (CMD, EXPOSE …). */
  changes: string[]
  /** Commands run on the root file system ($1) before it is packed. */
  customize?: string[]
}

/** The images: tags as tutorials write them (see runner/lab/docker-images.ts). */
export function recipes(suite: string, release: string): Recipe[] {
  return [
    { repo: 'busybox', tags: ['latest'], from: 'busybox', packages: ['busybox-static'], changes: ['CMD ["sh"]'] },
    {
      repo: 'debian',
      tags: ['latest', suite, ...(release && release !== suite ? [release] : [])],
      from: 'debian',
      packages: ['iproute2', 'iputils-ping', 'curl', 'iptables', 'procps'],
      changes: ['CMD ["bash"]'],
    },
    {
      repo: 'nginx',
      tags: ['latest'],
      from: 'debian',
      packages: ['nginx-light', 'curl'],
      changes: ['CMD ["nginx", "-g", "daemon off;"]', 'EXPOSE 80'],
      // As the nginx image does: logs to the container's output; the welcome page on IPv4 (a
      // container on Docker's default network has no IPv6).
      customize: [
        'ln -sf /dev/stdout "$1/var/log/nginx/access.log"',
        'ln -sf /dev/stderr "$1/var/log/nginx/error.log"',
        'sed -i "/listen \\[::\\]:80/d" "$1/etc/nginx/sites-available/default"',
      ],
    },
  ]
}

/** A short name of what a recipe makes, so that a changed recipe makes its root file system anew. */
function recipeKey(r: Recipe): string {
  return createHash('sha256').update(JSON.stringify([r.from, r.packages, r.customize ?? []])).digest('hex').slice(0, 12)
}

/** This machine's Debian suite and release number (os-release), which the images follow. */
function debianRelease(): { suite: string; release: string } {
  try {
    const text = readFileSync('/etc/os-release', 'utf8')
    const suite = /^VERSION_CODENAME=(\w+)/m.exec(text)?.[1]
    const release = /^VERSION_ID="?(\d+)/m.exec(text)?.[1]
    if (suite && /^ID=debian$/m.test(text)) return { suite, release: release ?? '' }
  } catch {
    // no os-release
  }
  return { suite: 'bookworm', release: '12' }
}

/** The machine's own apt sources, as files mmdebstrap pastes into the image's (its mirror, its proxy's). */
function aptSources(): string[] {
  const files: string[] = []
  if (existsSync('/etc/apt/sources.list') && /^\s*deb\s/m.test(readFileSync('/etc/apt/sources.list', 'utf8'))) files.push('/etc/apt/sources.list')
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) {
      if (!/\.(list|sources)$/.test(f)) continue
      const p = join('/etc/apt/sources.list.d', f)
      const text = readFileSync(p, 'utf8')
      // Debian's own archives only: a third party's would need keys the image has not.
      if (/deb\.debian\.org|debian-security|\/debian\/?\s/.test(text) && /^\s*(deb\s|Types:)/m.test(text)) files.push(p)
    }
  } catch {
    // no folder
  }
  return files
}

export interface BuildOptions {
  /** Lines of progress (default: none). */
  note?: (line: string) => void
  /**
   * Make the root file systems afresh from the archive too (nslab images --rebuild); otherwise those
   * made before are imported again (a new format of the cache, a new owner uid).
   */
  fresh?: boolean
}

const LOCK = '.build.lock'

/**
 * Build every image into the cache (replacing what is there), as root.
 * Another nslab building at the same time is waited for, and its images taken.
 */
export async function buildImages(opts: BuildOptions = {}): Promise<ImageCacheInfo> {
  const owner = sandboxOwner()
  if (owner === undefined) {
    throw new NslabError({ code: 'PREREQUISITE', message: "building nslab's Docker images needs root (so does engine: docker)", fix: 'run it as root (sudo nslab images --build)' })
  }
  requirePrograms(['dockerd', 'docker', 'containerd', 'runc', 'mmdebstrap', 'busybox', 'tar', 'unshare'])
  const note = opts.note ?? (() => {})
  const base = join(nslabCacheDir(), 'images')
  mkdirSync(base, { recursive: true, mode: 0o755 })
  const release = await takeLock(join(base, LOCK), note)
  const t0 = performance.now()
  const work = join(base, `build-${process.pid}`)
  let stage: string | undefined
  try {
    rmSync(work, { recursive: true, force: true })
    const rootfs = join(base, 'rootfs')
    mkdirSync(rootfs, { recursive: true, mode: 0o755 })
    mkdirSync(join(work, 'tars'), { recursive: true, mode: 0o755 })
    mkdirSync(join(work, 'data'), { mode: 0o700 })
    chownSync(work, owner, owner)
    chownSync(join(work, 'data'), owner, owner)
    const { suite, release: number } = debianRelease()
    const list = recipes(suite, number)
    stage = await mkdtemp(join(tmpdir(), 'nslab-images-'))
    for (const r of list) {
      const t = performance.now()
      note(`building ${r.repo} (${r.from === 'busybox' ? 'busybox-static' : `Debian ${suite}: ${r.packages.join(', ')}`}) …`)
      // Made once per suite and recipe, kept beside the images (root's, never a lab host's).
      const tar = join(rootfs, `${r.repo}-${suite}-${recipeKey(r)}.tar`)
      if (opts.fresh || !existsSync(tar)) {
        const part = tar.replace(/\.tar$/, `.part-${process.pid}.tar`)
        if (r.from === 'busybox') await busyboxRootfs(join(stage, r.repo), part)
        else await debianRootfs(r, suite, part)
        renameSync(part, tar)
        note(`  ${r.repo}: root file system in ${((performance.now() - t) / 1000).toFixed(1)} s`)
      } else note(`  ${r.repo}: root file system made before (nslab images --rebuild makes it afresh)`)
      // Hard-linked where the builder finds it (the same file system), copied where it cannot be.
      try {
        linkSync(tar, join(work, 'tars', `${r.repo}.tar`))
      } catch {
        copyFileSync(tar, join(work, 'tars', `${r.repo}.tar`))
      }
    }
    const images = await importAll(work, list, note)
    // Only the images stay: Docker's other state (containers, networks) is each lab host's own.
    for (const e of readdirSync(join(work, 'data'))) if (e !== 'image' && e !== 'overlay2') rmSync(join(work, 'data', e), { recursive: true, force: true })
    rmSync(join(work, 'tars'), { recursive: true, force: true })
    const info: ImageCacheInfo = {
      format: IMAGE_CACHE_FORMAT,
      owner,
      suite,
      dockerVersion: images.dockerVersion,
      builtAt: new Date().toISOString(),
      buildMs: Math.round(performance.now() - t0),
      images: images.images,
    }
    writeFileSync(join(work, 'images.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 })
    const final = imageCacheDir(owner)
    rmSync(final, { recursive: true, force: true })
    renameSync(work, final)
    return info
  } finally {
    if (stage) await rm(stage, { recursive: true, force: true })
    rmSync(work, { recursive: true, force: true })
    release()
  }
}

let ensuring: Promise<ImageCacheInfo> | undefined

/** The cache, built first when it holds nothing (once per process, whatever the labs running at once). */
export function ensureImages(opts: BuildOptions = {}): Promise<ImageCacheInfo> {
  const owner = sandboxOwner()
  const have = owner !== undefined ? readImageCache(owner) : undefined
  if (have) return Promise.resolve(have)
  ensuring ??= (async () => {
    try {
      // Someone else may have built it meanwhile (then the lock was theirs).
      return (owner !== undefined ? readImageCache(owner) : undefined) ?? (await buildImages(opts))
    } finally {
      ensuring = undefined
    }
  })()
  return ensuring
}

/** Take the build lock (a file made with O_EXCL naming its maker); wait while a live nslab holds it. */
async function takeLock(path: string, note: (l: string) => void): Promise<() => void> {
  let said = false
  for (;;) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
      writeFileSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const holder = Number(readFileSync(path, 'utf8').trim())
    let alive = false
    try {
      process.kill(holder, 0)
      alive = Number.isInteger(holder) && holder > 0
    } catch {
      alive = false
    }
    if (!alive) {
      rmSync(path, { force: true })
      continue
    }
    if (!said) note(`waiting for another nslab (pid ${holder}) that is building the images …`)
    said = true
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** busybox's root file system: the static binary, a link per applet, a root user. */
async function busyboxRootfs(dir: string, tar: string): Promise<void> {
  const busybox = findProgram('busybox')!
  for (const d of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'var']) mkdirSync(join(dir, d), { recursive: true })
  const list = await run({ file: busybox, args: ['--list'], timeoutMs: 10_000 })
  const applets = list.stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox')
  writeFileSync(join(dir, 'bin', 'busybox'), readFileSync(busybox), { mode: 0o755 })
  for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a))
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n')
  const r = await run({ file: 'tar', args: ['-C', dir, '--owner=0', '--group=0', '--numeric-owner', '-cf', tar, '.'], timeoutMs: 60_000 })
  if (r.exitCode !== 0) throw new NslabError({ code: 'PREREQUISITE', message: `could not pack busybox's root file system: ${r.output.trim()}` })
}

/**
 * A Debian root file system with mmdebstrap, from this machine's apt sources.
 * mmdebstrap mounts /proc and /sys in the tree it builds: in a mount
 * namespace of its own, so nothing of it is ever in the machine's mounts.
 */
async function debianRootfs(r: Recipe, suite: string, tar: string): Promise<void> {
  const args = [
    '--mount', '--propagation', 'private', '--fork', '--',
    'mmdebstrap', '--quiet', '--mode=root', '--variant=minbase', `--include=${r.packages.join(',')}`,
    '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-exclude=/usr/share/info/*', '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--aptopt=Acquire::Retries "3"',
    ...(r.customize ?? []).map((c) => `--customize-hook=${c}`),
    suite, tar, ...aptSources(),
  ]
  const res = await run({ file: 'unshare', args, timeoutMs: 20 * 60_000, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...(process.env.http_proxy ? { http_proxy: process.env.http_proxy } : {}), ...(process.env.https_proxy ? { https_proxy: process.env.https_proxy } : {}) } })
  if (res.exitCode !== 0 || !existsSync(tar) || lstatSync(tar).size === 0) {
    throw new NslabError({
      code: 'PREREQUISITE',
      message: `mmdebstrap could not build the ${r.repo} image from this machine's Debian sources (exit ${res.exitCode}):\n${res.output.trim().split('\n').slice(-12).join('\n')}`,
      fix: 'check that apt can reach the archive (apt-get update), or install mmdebstrap (apt-get install mmdebstrap)',
    })
  }
}

/** docker import of every root file system into the cache, by a dockerd of nslab's own; then that dockerd stops cleanly. */
async function importAll(work: string, list: Recipe[], note: (l: string) => void): Promise<{ images: CachedImage[]; dockerVersion: string }> {
  const sb = await createDockerSandbox({ topology: { docker: false, containers: [], internet: false }, name: 'nslab-images', images: { kind: 'build', dir: work } })
  try {
    const images: CachedImage[] = []
    for (const r of list) {
      const [first, ...more] = r.tags
      const ref = `${r.repo}:${first}`
      const changes = r.changes.map((c) => `--change ${shellQuote(c)}`).join(' ')
      const script = [
        `docker import ${changes} ${BUILD_TARS}/${r.repo}.tar ${ref} >/dev/null`,
        ...more.map((t) => `docker tag ${ref} ${r.repo}:${t}`),
        `docker image inspect -f '{{.Id}} {{.Size}}' ${ref}`,
      ].join('\n')
      const res = await sb.exec({ machine: 'host', script, timeoutMs: 10 * 60_000 })
      if (res.exitCode !== 0) throw new NslabError({ code: 'SANDBOX', message: `docker import of ${r.repo} failed: ${res.output.trim()}` })
      const [id, size] = res.stdout.trim().split(/\s+/)
      images.push({ repo: r.repo, tags: r.tags, id: id ?? '', bytes: Number(size ?? 0), packages: r.packages })
      note(`  ${r.repo}: imported as ${r.tags.map((t) => `${r.repo}:${t}`).join(', ')}`)
    }
    const v = await sb.exec({ machine: 'host', script: "docker version --format '{{.Server.Version}}'", timeoutMs: 30_000 })
    // A clean stop: dockerd writes its databases out before it ends.
    await sb.exec({ machine: 'host', script: 'p=$(cat /run/docker.pid); kill -TERM "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.05; done', timeoutMs: 60_000 })
    return { images, dockerVersion: v.stdout.trim() }
  } finally {
    await sb.stop()
  }
}
