// What a client of the session agent asks (check-client.pl writes it): NUL-
// ended fields: the protocol's name, the client's build, whether its stdout is
// a terminal, its width (0: none), the number of arguments, the arguments, then
// its environment as NAME=VALUE, and an empty field to end. Or `stop` alone
// (nslab down, once the last lab is down). What comes back is framed by agentFrame.

export const AGENT_PROTOCOL = 'nslab-agent/1'
/** A request is small; more than this is not one. */
export const AGENT_REQUEST_MAX = 256 * 1024

export type AgentRequest =
  | { kind: 'command'; build: string; isTTY: boolean; columns: number | undefined; args: string[]; env: Record<string, string> }
  | { kind: 'stop' }
  | { kind: 'other' }

/** The request in bytes read so far: undefined until it is whole. */
export function parseAgentRequest(bytes: Buffer): AgentRequest | undefined {
  const end = bytes.indexOf('\0\0')
  if (end < 0) return bytes.length > AGENT_REQUEST_MAX ? { kind: 'other' } : undefined
  const fields = bytes.subarray(0, end + 1).toString('utf8').split('\0').slice(0, -1)
  const [protocol, build, tty, cols, argc, ...rest] = fields
  if (protocol === 'stop') return { kind: 'stop' }
  const n = Number(argc)
  if (protocol !== AGENT_PROTOCOL || build === undefined || !Number.isInteger(n) || n < 1 || rest.length < n) return { kind: 'other' }
  const env: Record<string, string> = {}
  for (const pair of rest.slice(n)) {
    const eq = pair.indexOf('=')
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  const columns = Number(cols)
  return { kind: 'command', build, isTTY: tty === '1', columns: Number.isInteger(columns) && columns > 0 ? columns : undefined, args: rest.slice(0, n), env }
}

/** One frame of the answer: o (stdout) and e (stderr) with their bytes, x with the exit status, n: not served here. */
export function agentFrame(kind: 'o' | 'e', text: string): Buffer
export function agentFrame(kind: 'x', status: number): Buffer
export function agentFrame(kind: 'n'): Buffer
export function agentFrame(kind: 'o' | 'e' | 'x' | 'n', data?: string | number): Buffer {
  if (kind === 'n') return Buffer.from('n\n')
  if (kind === 'x') return Buffer.from(`x ${data as number}\n`)
  const bytes = Buffer.from(data as string, 'utf8')
  return Buffer.concat([Buffer.from(`${kind} ${bytes.length}\n`), bytes])
}
