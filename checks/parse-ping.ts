/**
 * What ping printed, as numbers. Reads iputils and busybox ping alike:
 *   iputils: "1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms"
 *   busybox: "1 packets transmitted, 0 packets received, 100% packet loss"
 * Numbers are parsed, never matched as text: "100% packet loss" is not "0% packet loss".
 */
export interface PingReport {
  /** Whether ping printed its statistics line (it does not when it could not send at all). */
  summary: boolean
  transmitted: number
  received: number
  /** iputils "+N errors": ICMP errors (e.g. Destination Host Unreachable) instead of replies. */
  errors: number
  duplicates: number
  lossPercent: number
  /** iputils "From 172.17.0.2 icmp_seq=1 Destination Host Unreachable": who answered with what. */
  icmpErrors: { from: string; message: string }[]
  /** Round trips in ms (the rtt line: min/avg/max), when there was a reply. */
  rttAvgMs?: number
  rttMinMs?: number
  rttMaxMs?: number
  /** What went wrong when ping could not even send: "Network is unreachable". */
  problem?: string
}

export function parsePing(output: string): PingReport {
  const r: PingReport = { summary: false, transmitted: 0, received: 0, errors: 0, duplicates: 0, lossPercent: 100, icmpErrors: [] }
  const problems: string[] = []
  for (const raw of output.split('\n')) {
    const line = raw.trim()
    if (/^\d+ packets transmitted,/.test(line)) {
      readSummary(line, r)
      continue
    }
    const rtt = /^(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = ([\d.]+)\/([\d.]+)\/([\d.]+)\b/.exec(line)
    if (rtt) {
      r.rttMinMs = Number(rtt[1])
      r.rttAvgMs = Number(rtt[2])
      r.rttMaxMs = Number(rtt[3])
      continue
    }
    const from = /^From (\S+?)(?: \((\S+)\))? icmp_seq=\d+ (.+)$/.exec(line)
    if (from) {
      r.icmpErrors.push({ from: from[2] ?? from[1]!, message: from[3]! })
      continue
    }
    // "ping: connect: Network is unreachable", "ping: sendto: …", "ping: bad address 'x'",
    // "ping: x: Name or service not known", "bash: line 1: ping: command not found".
    const p = /^(?:.*?\bping: )(?:(?:connect|sendto|sendmsg|socket|bind|recvmsg): )?(.+)$/.exec(line)
    if (p && !/^(?:PING|---)/.test(line)) problems.push(p[1]!)
  }
  if (problems.length) r.problem = problems[problems.length - 1]!
  return r
}

function readSummary(line: string, r: PingReport): void {
  r.summary = true
  r.errors = 0
  r.duplicates = 0
  for (const part of line.split(',').map((s) => s.trim())) {
    let m: RegExpExecArray | null
    if ((m = /^(\d+) packets transmitted$/.exec(part))) r.transmitted = Number(m[1])
    else if ((m = /^(\d+) (?:packets )?received$/.exec(part))) r.received = Number(m[1])
    else if ((m = /^\+?(\d+) errors?$/.exec(part))) r.errors = Number(m[1])
    else if ((m = /^\+?(\d+) duplicates?$/.exec(part))) r.duplicates = Number(m[1])
    else if ((m = /^([\d.]+)% packet loss$/.exec(part))) r.lossPercent = Number(m[1])
  }
}
