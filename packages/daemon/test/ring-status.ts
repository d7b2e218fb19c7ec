/**
 * GET /status as the operator-command tests read it, and the ring a daemon routes by,
 * rebuilt from the member table it reports (core's fold over join and leave events).
 */
import { buildRing } from '@ringstore/core'
import type { MemberRecord, Ring } from '@ringstore/core'
import { expect } from 'vitest'
import { status } from './support.js'
import type { Daemon } from './support.js'

export interface StatusJson {
  peerId: string
  config: { q: number, n: number }
  members: Array<{ peerId: string, status: string, weight: number, zone: string, reachable: boolean, joinedAt: number, leftAt?: number, stints?: MemberRecord['stints'], incarnation: number, admitted: boolean, admission: { cluster: string, peer: string, maxWeight: number, zone: string } | null }>
  ring: { q: number, members: Array<{ id: string, partitions: number }>, partitionsPerMember: { min: number, max: number, mean: number } | null }
  hintsPending: number
  connected: number
  hintsByTarget: Record<string, number>
  keys: number
  clusterId: string
}

/** The ring a daemon routes by, rebuilt from the member table it reports (core's fold over join/leave events). */
export function ringOf (s: StatusJson): Ring {
  const records = s.members.map((m): MemberRecord => ({
    id: m.peerId, addrs: [], weight: m.weight, zone: m.zone, status: m.status as MemberRecord['status'], incarnation: m.incarnation, heartbeat: 0, joinedAt: m.joinedAt,
    ...(m.leftAt === undefined ? {} : { leftAt: m.leftAt }),
    ...(m.stints === undefined ? {} : { stints: m.stints })
  }))
  const ring = buildRing(records, s.ring.q)
  // The rebuilt ring is the daemon's: same partitions per member as it reports.
  const counts = new Map<string, number>()
  for (const owner of ring.owners) if (owner !== null) counts.set(owner, (counts.get(owner) ?? 0) + 1)
  expect(Object.fromEntries(s.ring.members.filter((m) => m.partitions > 0).map((m) => [m.id, m.partitions]))).toEqual(Object.fromEntries(counts))
  return ring
}

export async function statusJson (d: Daemon): Promise<StatusJson> {
  return await status(d) as unknown as StatusJson
}
