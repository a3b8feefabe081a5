// Where things of the engine live inside a docker-engine lab host (its own
// /run and /var/lib, so none of them is the machine's).
import { LOG_DIR, SANDBOX_DIR } from '../sandbox-paths.js'

/** dockerd's socket: the default path (/var/run is /run), so a plain `docker` finds it. */
export const DOCKER_SOCKET = '/run/docker.sock'
/** nslab's own files for the engine (its daemon.json). */
export const DOCKER_DIR = `${SANDBOX_DIR}/docker`
export const DOCKERD_LOG = `${LOG_DIR}/dockerd.log`
/** Where the root file systems being made into images are found inside the builder's lab host. */
export const BUILD_TARS = '/var/lib/nslab-images'
/** When each phase of the lab host's start ended (a name and the epoch seconds a line). */
export const UP_TRACE = `${LOG_DIR}/docker-up.trace`
/** containerd's socket, where dockerd would make it (nslab starts containerd itself, beside dockerd). */
export const CONTAINERD_SOCKET = '/run/docker/containerd/containerd.sock'
export const CONTAINERD_CONFIG = `${SANDBOX_DIR}/docker/containerd.toml`
