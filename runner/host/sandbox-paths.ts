// Where things live inside a sandbox's own mount namespace. /run is a fresh
// tmpfs there, so none of this exists on the real machine.
export const SANDBOX_DIR = '/run/.nslab'
export const NETNS_DIR = '/run/netns'
/** Network namespaces of machines that `ip netns list` should not show. */
export const HIDDEN_NS_DIR = `${SANDBOX_DIR}/ns`
export const LOG_DIR = `${SANDBOX_DIR}/log`
export const BIN_DIR = `${SANDBOX_DIR}/bin`

/** Path of a machine's network namespace file, inside the sandbox. */
export function netnsPath(machine: string): string {
  if (machine === 'host' || machine === 'internet') return `${HIDDEN_NS_DIR}/${machine}`
  return `${NETNS_DIR}/${machine}`
}

/**
 * The descriptor of the lab host's init that holds a machine's network
 * namespace (internet, a container of the topology): nslab enters the
 * machine through it, so what the lab later mounts over /run/netns does not
 * change what nslab's checks look at. The host is the init's own namespace.
 */
export function anchorFd(machine: string, topology: { containers: { name: string }[] }): number {
  if (machine === 'internet') return 10
  const i = topology.containers.findIndex((c) => c.name === machine)
  if (i < 0) throw new Error(`anchorFd: no machine ${machine}`)
  return 11 + i
}
