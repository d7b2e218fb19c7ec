/**
 * A key past the 64-entry clock bound (issue 13 item 2): ten peers crash and restart
 * through 3,000 operations on a single key, so its clock sees ~180 actor epochs and every
 * replica truncates on nearly every write. Seed 3 ended with 10 false-sibling violations
 * before the writing store kept, in a write's own truncation, the entries its context
 * newly covered (core `coveredGrown`): a coordinator that never held a value the client
 * had read elsewhere recorded its actor with ts 0 and dropped that record in the same
 * write, so the replicas holding the value kept it beside the write that had seen it.
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
