import { NslabError } from '../util/nslab-error.js'

/** Debian suites whose kernels nslab knows how to fetch (any other suite name is tried as well). */
export const DEBIAN_SUITES = ['bookworm', 'bookworm-backports', 'trixie', 'trixie-backports', 'forky', 'sid']

export type KernelSpec =
  /** The newest linux-image-amd64 of a Debian suite. */
  | { kind: 'debian'; suite: string; text: string }
  /** A kernel someone built: its image, and its lib/modules/RELEASE folder (or a root that holds one). */
  | { kind: 'image'; image: string; modules?: string; text: string }

/**
 * What `--kernel SPEC` names: `debian:SUITE`, or `IMAGE[:MODULES]` — a
 * kernel image (bzImage, vmlinuz) and the folder its modules were installed
 * to (`make modules_install INSTALL_MOD_PATH=DIR` gives DIR/lib/modules/RELEASE).
 */
export function parseKernelSpec(text: string): KernelSpec {
  const t = text.trim()
  if (t === '') throw new NslabError({ code: 'USAGE', message: '--kernel takes debian:SUITE or IMAGE[:MODULES], not an empty string' })
  const debian = /^debian:(.*)$/.exec(t)
  if (debian) {
    const suite = debian[1]!
    if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(suite)) {
      throw new NslabError({
        code: 'USAGE',
        message: `--kernel ${t}: "${suite}" is not a Debian suite name`,
        fix: `one of ${DEBIAN_SUITES.map((s) => `debian:${s}`).join(', ')}`,
      })
    }
    return { kind: 'debian', suite, text: t }
  }
  if (/^[a-z]+:[a-z]/.test(t) && !t.startsWith('/') && !t.startsWith('.')) {
    throw new NslabError({
      code: 'USAGE',
      message: `--kernel ${t}: unknown kind of kernel "${t.split(':')[0]}"`,
      fix: `debian:SUITE (e.g. debian:bookworm) or a kernel image path, IMAGE[:MODULES]`,
    })
  }
  const colon = t.lastIndexOf(':')
  if (colon > 0) return { kind: 'image', image: t.slice(0, colon), modules: t.slice(colon + 1), text: t }
  return { kind: 'image', image: t, text: t }
}

/** How reports name a kernel: the spec as given, an image without its modules folder. */
export function specLabel(spec: KernelSpec): string {
  return spec.kind === 'debian' ? spec.text : spec.image
}
