/**
 * `npx tsx --conditions=@ringstore/source bench/ring-churn.ts [--json FILE]`: what churn
 * costs the ring's fold, without and with checkpoints (issue 13 item 4, ring-checkpoint.ts).
 * Q=1024, 30 active members of weight 1-3 in 3 zones; each cycle one new member joins and
 * one active member leaves. Uncompacted, a table keeps every member ever seen and a full
 * fold (what a restarted peer or a late older event costs) replays every join and leave.
 * Compacted, a checkpoint is taken at the latest event every 64 events and the records it
 * makes compactable are dropped: the table keeps the active members and the recent leavers,
 * and a full fold starts from the checkpoint. Both rings are checked equal. The engine runs
 * the same compaction once its members agree on a checkpoint (peer's
 * cluster/membership-checkpoints.ts, config `ringCheckpoints`).
 */
import { writeFileSync } from 'node:fs'
import { buildRing, compactable, ringCheckpoint } from '../packages/core/src/ring.js'
import type { RingCheckpoint } from '../packages/core/src/ring.js'
import { leaveRecord, newMemberRecord } from '../packages/core/src/membership.js'
import type { MemberRecord } from '../packages/core/src/types.js'

const Q = 1024
const ACTIVE = 30
const CHECKPOINT_EVERY = 64

export interface ChurnRow {
  readonly cycles: number
  readonly full: { readonly records: number, readonly events: number, readonly foldMs: number }
  readonly compacted: { readonly records: number, readonly events: number, readonly foldMs: number }
}

function median (run: () => void): number {
  const times = Array.from({ length: 5 }, () => {
    const start = performance.now()
    run()
    return performance.now() - start
  }).sort((a, b) => a - b)
  return times[2] ?? 0
}

function eventCount (records: readonly MemberRecord[], cut = -1): number {
  let n = 0
  for (const r of records) {
    if (r.joinedAt > cut) n++
    if (r.status !== 'active' && Math.max(r.leftAt ?? 0, r.joinedAt) > cut) n++
  }
  return n
}

export function churnRow (cycles: number): ChurnRow {
  const table = new Map<string, MemberRecord>()
  let time = 1
  let next = 0
  const join = (): void => {
    const id = `m${next++}`
    table.set(id, newMemberRecord({ id, addrs: [], weight: 1 + (next % 3), zone: `z${next % 3}`, joinedAt: time++ }))
  }
  for (let i = 0; i < ACTIVE; i++) join()
  let checkpoint: RingCheckpoint | undefined
  const kept = new Map(table)
  let sinceCheckpoint = 0
  for (let c = 0; c < cycles; c++) {
    join()
    const active = [...table.values()].filter((r) => r.status === 'active')
    const leaver = active[(c * 7) % active.length] as MemberRecord
    table.set(leaver.id, leaveRecord(leaver, time++))
    for (const id of [`m${next - 1}`, leaver.id]) kept.set(id, table.get(id) as MemberRecord)
    sinceCheckpoint += 2
    if (sinceCheckpoint >= CHECKPOINT_EVERY) {
      checkpoint = ringCheckpoint([...kept.values()], Q, time - 1, checkpoint)
      const cp = checkpoint
      for (const [id, r] of kept) if (compactable(r, cp)) kept.delete(id)
      sinceCheckpoint = 0
    }
  }
  const all = [...table.values()]
  const compact = [...kept.values()]
  const fullRing = buildRing(all, Q)
  const compactRing = buildRing(compact, Q, checkpoint)
  if (JSON.stringify([fullRing.owners, fullRing.ranks]) !== JSON.stringify([compactRing.owners, compactRing.ranks])) {
    throw new Error(`after ${cycles} cycles the compacted ring differs from the full fold`)
  }
  return {
    cycles,
    full: { records: all.length, events: eventCount(all), foldMs: median(() => buildRing(all, Q)) },
    compacted: { records: compact.length, events: eventCount(compact, checkpoint?.cut), foldMs: median(() => buildRing(compact, Q, checkpoint)) }
  }
}

export function churnTable (rows: readonly ChurnRow[]): string {
  return [
    `### Churn: a whole fold after K cycles (one join, one leave each), Q=${Q}, ${ACTIVE} active members, a checkpoint every ${CHECKPOINT_EVERY} events`,
    '',
    '| K | records kept: full / compacted | events folded: full / compacted | fold ms: full / compacted |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.cycles} | ${r.full.records} / ${r.compacted.records} | ${r.full.events} / ${r.compacted.events} | ${r.full.foldMs.toFixed(1)} / ${r.compacted.foldMs.toFixed(1)} |`)
  ].join('\n')
}

function main (): void {
  const jsonAt = process.argv.indexOf('--json')
  const rows = [100, 500, 2000].map(churnRow)
  console.log(churnTable(rows))
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1] ?? 'ring-churn.json', JSON.stringify(rows, null, 2))
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) main()
