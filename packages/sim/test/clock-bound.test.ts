/**
 * A key past the 64-entry clock bound (issue 13 item 2): ten peers crash and restart
 * through 3,000 operations on a single key, so its clock sees ~180 actor epochs and every
 * replica truncates on nearly every write. Seed 3 is a run that broke both ways:
 * - before core `discardCovered` stamped context-only entries with the write's time, a
 *   write whose coordinator never held a value it superseded dropped that record in its own
 *   truncation, and the final replicas kept the value beside the write that had seen it
 *   (10 false-sibling violations);
 * - with that fix but the checker's old truncation allowance, two superseded writes whose
 *   actor a later write's older context re-created below their dots read as lost-write.
 */
import { describe, expect, it } from 'vitest'
import { runSeed } from '../src/run.js'
import type { RunOptions } from '../src/run.js'
import { formatFailure } from '../src/summary.js'

const OPTIONS: Partial<RunOptions> = { peers: 10, keys: 1, ops: 3000 }

describe('one key far past the clock bound', () => {
  it('seed 3: no superseded value survives, no acknowledged write is lost', async () => {
    const result = await runSeed(3, OPTIONS)
    expect(result.violations.length === 0 ? '' : formatFailure(result, OPTIONS, 5)).toBe('')
    // Not vacuous: truncation forgot superseded writes' actors on the final replicas.
    expect(result.truncated).toBeGreaterThan(500)
    expect(result.acknowledged).toBeGreaterThan(1000)
  })
})
