// engine: docker as the runner asks for it: the images (built first when the
// cache holds none), then the lab host. Loaded only for docker-engine labs.
import { requirePrograms } from '../require-programs.js'
import { sandboxOwner, type Sandbox, type SandboxOptions } from '../sandbox.js'
import { NslabError } from '../../util/nslab-error.js'
import { ensureImages } from './build-images.js'
import { createDockerSandbox, NEEDS_ROOT } from './create-docker-sandbox.js'
import { imageCacheDir } from './image-cache.js'

/** Programs a docker-engine lab host runs besides the sealed host's. */
export const DOCKER_PROGRAMS = ['dockerd', 'docker', 'containerd', 'runc', 'docker-proxy', 'curl']

export interface DockerLabHostOptions extends SandboxOptions {
  /** Progress of a first image build. */
  note?: (line: string) => void
}

/** A docker-engine lab host for a topology (the cache's images in it): root only, docker.io installed. */
export async function createDockerLabHost(opts: DockerLabHostOptions): Promise<Sandbox> {
  const owner = sandboxOwner()
  if (owner === undefined) {
    throw new NslabError({ code: 'PREREQUISITE', message: NEEDS_ROOT })
  }
  requirePrograms(['bash', 'unshare', 'nsenter', 'mount', 'pivot_root', 'hostname', 'ip', 'iptables', ...DOCKER_PROGRAMS])
  await ensureImages(opts.note ? { note: opts.note } : {})
  return await createDockerSandbox({ ...opts, images: { kind: 'cache', dir: imageCacheDir(owner) } })
}
