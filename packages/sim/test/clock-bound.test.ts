/**
 * A key past the 64-entry clock bound (issue 13 item 2): ten peers crash and restart
 * through 3,000 operations on a single key, so its clock sees ~180 actor epochs.
 *
 * Under a plain 64-entry bound (what truncation does once records are old, or past the
 * young bound) every replica truncates on nearly every write. Seed 3 ended with 10
 * false-sibling violations before the writing store kept, in a write's own truncation, the
 * entries its context newly covered (core `coveredGrown`): a coordinator that never held a
 * value the client had read elsewhere recorded its actor with ts 0 and dropped that record
 * in the same write, so the replicas holding the value kept it beside the write that had
 * seen it.
 *
 * Under the engine's own bounds, the same run's records are all young (within a week of
 * the newest, ~180 of at most 256): nothing is truncated at all.
 */
import { describe, expect, it } from 'vitest'
import { countBound } from '@ringstore/core'
import { runSeed } from '../src/run.js'
import type { RunOptions } from '../src/run.js'
import { formatFailure } from '../src/summary.js'

const OPTIONS: Partial<RunOptions> = { peers: 10, keys: 1, ops: 3000 }

describe('one key far past the clock bound', () => {
  it('seed 3 under a plain 64-entry bound: no superseded value survives, no acknowledged write is lost', async () => {
    const options = { ...OPTIONS, truncation: countBound(64) }
    const result = await runSeed(3, options)
    expect(result.violations.length === 0 ? '' : formatFailure(result, options, 5)).toBe('')
    // Not vacuous: truncation forgot superseded writes' actors on the final replicas.
    expect(result.truncated).toBeGreaterThan(500)
    expect(result.acknowledged).toBeGreaterThan(1000)
  })

  it('seed 3 under the engine\'s bounds: young records are kept, so no replica forgets a superseded write', async () => {
    const result = await runSeed(3, OPTIONS)
    expect(result.violations.length === 0 ? '' : formatFailure(result, OPTIONS, 5)).toBe('')
    expect(result.truncated).toBe(0)
    expect(result.acknowledged).toBeGreaterThan(1000)
  })
})
