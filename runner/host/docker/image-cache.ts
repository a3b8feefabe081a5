// Where the Docker images nslab builds are kept, and what is there. The cache
// is a Docker data root (its image/ and overlay2/ folders) made once by a
// dockerd of nslab's own (build-images.ts), owned by the uids a lab host's
// user namespace maps, so that every lab host's dockerd can use its layers
// without a copy (see docker-host-script.ts). Files the machine's root made
// (images.json) say what it holds.
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** Bumped when what the cache holds changes: an older one is built again. */
export const IMAGE_CACHE_FORMAT = 1

/** One image of the cache, as `nslab images` shows it. */
export interface CachedImage {
  repo: string
  tags: string[]
  /** Docker's image id (sha256:…). */
  id: string
  /** Bytes of its root file system. */
  bytes: number
  /** The Debian packages it was made of (for busybox: busybox-static), with versions. */
  packages: string[]
}

export interface ImageCacheInfo {
  format: number
  /** The uid the lab host's root is outside (the cache's files belong to it and the 65535 after it). */
  owner: number
  /** The Debian suite the images come from. */
  suite: string
  dockerVersion: string
  builtAt: string
  buildMs: number
  images: CachedImage[]
}

/** nslab's cache folder: $NSLAB_CACHE, $XDG_CACHE_HOME/nslab, or ~/.cache/nslab. */
export function nslabCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NSLAB_CACHE) return resolve(env.NSLAB_CACHE)
  const xdg = env.XDG_CACHE_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'nslab')
}

/** The folder of the images for lab hosts whose root is `owner` outside. */
export function imageCacheDir(owner: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(nslabCacheDir(env), 'images', `v${IMAGE_CACHE_FORMAT}-${owner}`)
}

/** What the cache holds, or undefined when it holds nothing usable. */
export function readImageCache(owner: number, env: NodeJS.ProcessEnv = process.env): ImageCacheInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(imageCacheDir(owner, env), 'images.json'), 'utf8')) as ImageCacheInfo
    return info.format === IMAGE_CACHE_FORMAT && info.owner === owner && Array.isArray(info.images) ? info : undefined
  } catch {
    return undefined
  }
}

