import type { Topology } from '../lab/lab.js'
import { INTERNET } from './network-plan.js'
import { machineAddresses } from './sandbox-script.js'

/**
 * The address a check uses for machine NAME, as machine FROM sees it. The
 * names in /etc/hosts are the lab host's view (host is docker0's address);
 * two places see it otherwise:
 * - from `internet`, the lab host is its outside address (198.51.100.2):
 *   docker0's is behind it and unreachable from there;
 * - as a gateway (`route … via internet`), a machine is its address on the
 *   link to FROM: internet is 198.51.100.1, not the 203.0.113.10 it also answers.
 * Undefined for a name that is no machine of the lab.
 */
export function addressFrom(topology: Topology, name: string, from?: string, as: 'target' | 'gateway' = 'target'): string | undefined {
  if (topology.internet) {
    if (name === 'host' && from === 'internet') return INTERNET.hostAddress
    if (name === 'internet' && as === 'gateway') return INTERNET.address
  }
  return machineAddresses(topology).get(name)
}
