/**
 * Members do not keep state per client session: 1,000 browser-tab-like sessions (weight-0
 * engine peers that pull the members' view, write and read a capability key through the
 * client surface, and go away) against 20 members leave the members knowing exactly what
 * they knew after the first 100: 20 member records each, no client held unreachable, no
 * watcher, and the simulated network holds only the members. The 100,000-session figure is
 * `npm run sim -- --client-sessions 100000` (packages/sim/README.md).
 */
import { describe, expect, it } from 'vitest'
import { runClientSessions } from '../src/client-sessions.js'

describe('client sessions against 20 members', () => {
  it('what the members keep after 1,000 sessions is what they kept after 100', async () => {
    const report = await runClientSessions({ members: 20, sessions: 1000, warmup: 100, seed: 1, q: 64 })
    // Not vacuous: the sessions wrote and read through the members.
    expect(report.viewless).toBe(0)
    expect(report.writes).toBe(1000)
    expect(report.writesFailed).toBe(0)
    expect(report.readsFailed).toBe(0)
    const { afterWarmup, atEnd } = report
    expect(atEnd.memberRecords).toBe(20 * 20)
    expect(atEnd.memberRecords).toBe(afterWarmup.memberRecords)
    expect(atEnd.unreachable).toBe(0)
    expect(afterWarmup.unreachable).toBe(0)
    expect(atEnd.watchers).toBe(0)
    expect(atEnd.hubEndpoints).toBe(20)
  }, 120_000)
})
