/**
 * The program a check runs for an iptables tool: the back end the lab host was
 * given (`nslab run --iptables legacy`: iptables-legacy-save …), else the
 * machine's default under its plain name. Checks run the machine's programs,
 * not the lab host's PATH, so they name the back end themselves.
 */
export function iptablesTool(tool: 'iptables' | 'iptables-save' | 'iptables-restore', backend: 'nft' | 'legacy' | undefined): string {
  return backend ? tool.replace('iptables', `iptables-${backend}`) : tool
}
