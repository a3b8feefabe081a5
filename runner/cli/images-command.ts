// `nslab images`: the Docker images of engine: docker lab hosts — what the
// cache holds, and building it (once, from Debian's packages) or again.
import { colorEnabled, createColors } from '../util/colors.js'
import { NslabError } from '../util/nslab-error.js'
import { sandboxOwner } from '../host/sandbox.js'
import { imageCacheDir, readImageCache, type ImageCacheInfo } from '../host/docker/image-cache.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'

export const IMAGES_HELP = `Usage: nslab images [--build | --rebuild]

The Docker images of docker-engine lab hosts (engine: docker): busybox, nginx
and debian, made by nslab from Debian's packages (busybox-static; mmdebstrap
from this machine's apt sources) and tagged as tutorials name them, so that
\`docker run nginx\` works offline. They are built once, by the first
docker-engine lab or by --build, and kept in ~/.cache/nslab/images (or
$NSLAB_CACHE/images). Root only, as engine: docker is.

Options:
  --build                   build them if the cache holds none
  --rebuild                 build them again, from fresh packages
${COMMON_OPTIONS_HELP}`

export const IMAGES_OPTIONS = { build: { type: 'boolean', default: false }, rebuild: { type: 'boolean', default: false } } as const

export async function imagesCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab images', usage: 'nslab images [--build | --rebuild]', options: IMAGES_OPTIONS })
  if (v.values.help) {
    process.stdout.write(IMAGES_HELP)
    return 0
  }
  if (v.positionals.length) throw new UsageError('nslab images', 'takes no lab or file')
  if (v.values.build && v.values.rebuild) throw new UsageError('nslab images', '--build and --rebuild go alone: --rebuild builds in any case')
  const owner = sandboxOwner()
  if (owner === undefined) {
    throw new NslabError({ code: 'PREREQUISITE', message: "nslab's Docker images are root's, as engine: docker is: run nslab images as root (sudo nslab images)" })
  }
  const c = createColors(colorEnabled(process.stdout))
  let info = readImageCache(owner)
  if (v.values.rebuild || (v.values.build && !info)) {
    const { buildImages } = await import('../host/docker/build-images.js')
    const t0 = performance.now()
    info = await buildImages({ fresh: v.values.rebuild === true, note: (l) => process.stdout.write(`${c.dim(l)}\n`) })
    process.stdout.write(`${c.green('✓')} built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`)
  }
  if (!info) {
    process.stdout.write(`No images yet (${imageCacheDir(owner)}).\nThe first docker-engine lab builds them, or: nslab images --build\n`)
    return 0
  }
  process.stdout.write(table(info))
  return 0
}

function table(info: ImageCacheInfo): string {
  const rows = info.images.map((i) => [i.tags.map((t) => `${i.repo}:${t}`).join(' '), i.id.replace(/^sha256:/, '').slice(0, 12), `${(i.bytes / 1e6).toFixed(1)} MB`, i.packages.join(', ')])
  const head = ['IMAGE', 'ID', 'SIZE', 'FROM']
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)))
  const line = (r: string[]) => r.map((x, k) => (k === r.length - 1 ? x : x.padEnd(widths[k]!))).join('  ')
  return [
    line(head),
    ...rows.map(line),
    '',
    `Debian ${info.suite}, imported by dockerd ${info.dockerVersion} on ${info.builtAt.slice(0, 16).replace('T', ' ')} (${(info.buildMs / 1000).toFixed(1)} s); nslab images --rebuild makes them afresh.`,
    '',
  ].join('\n')
}
