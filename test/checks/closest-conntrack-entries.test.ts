// The order a failing conntrack check names entries in, on a real listing
// (test/fixtures/conntrack/extended.stdout, whose first entry is the IGMP
// report the bridge sent: protocol unknown, unreplied).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { closestConntrackEntries } from '../../checks/closest-conntrack-entries.js'
import { parseConntrack, type ConntrackEntry } from '../../checks/parse-conntrack.js'

const entries = parseConntrack(readFileSync(new URL('../fixtures/conntrack/extended.stdout', import.meta.url), 'utf8')).entries
const tcp = { holds: (e: ConntrackEntry) => e.proto === 'tcp' }
const unreplied = { holds: (e: ConntrackEntry) => e.flags.includes('UNREPLIED') }

t.equal(entries[0]!.proto, 'unknown', 'the capture lists the IGMP entry first')
t.ok(entries[0]!.flags.includes('UNREPLIED'))

t.test('`tcp unreplied` with no such entry: the closest is a tcp entry, not the unreplied IGMP one', async (t) => {
  const closest = closestConntrackEntries(entries, [tcp, unreplied], 'tcp')
  t.equal(closest[0]!.proto, 'tcp')
  t.equal(closest.length, entries.length, 'every entry, ordered')
  const firstOther = closest.findIndex((e) => e.proto !== 'tcp')
  t.ok(closest.slice(firstOther).every((e) => e.proto !== 'tcp'), 'every tcp entry before any other')
})

t.test('within the protocol, or with none named: the most words met, then the kernel\'s order', async (t) => {
  const closest = closestConntrackEntries(entries, [unreplied])
  t.equal(closest[0], entries[0], 'no protocol named: the first unreplied entry as listed')
  t.ok(closest.slice(0, closest.findIndex((e) => !e.flags.includes('UNREPLIED'))).every((e) => e.flags.includes('UNREPLIED')), 'the unreplied ones first')
  const unrepliedUdp = closestConntrackEntries(entries, [{ holds: (e) => e.proto === 'udp' }, unreplied], 'udp')[0]!
  t.equal(unrepliedUdp.proto, 'udp')
  t.ok(unrepliedUdp.flags.includes('UNREPLIED'), 'the udp entry that meets both words')
})
