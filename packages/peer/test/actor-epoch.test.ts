/**
 * The epoch rule at open (actor-epoch.ts `epochAtOpen`), case by case. The store-level
 * behaviour (bumps on drop, after a failed staged write, the marker) is in
 * replica-store.test.ts and staged-mint.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { epochAtOpen } from '../src/data/actor-epoch.js'

const nothingSeen = { highestEpoch: 0, corrupt: 0 }

describe('epochAtOpen', () => {
  it('keeps the stored epoch after a clean stop', () => {
    expect(epochAtOpen({ epoch: 4, clean: true }, nothingSeen, 9_000)).toEqual({ epoch: 4, behindData: false, uncleanStop: false })
  })

  it('moves on after an unclean stop', () => {
    expect(epochAtOpen({ epoch: 4, clean: false }, nothingSeen, 9_000)).toEqual({ epoch: 5, behindData: false, uncleanStop: true })
  })

  it('moves past the highest own epoch in the data when the meta records were behind; once, not twice, for an unclean stop', () => {
    expect(epochAtOpen({ epoch: 4, clean: false }, { highestEpoch: 6, corrupt: 0 }, 0)).toEqual({ epoch: 7, behindData: true, uncleanStop: false })
    expect(epochAtOpen({ epoch: 4, clean: true }, { highestEpoch: 4, corrupt: 0 }, 0).epoch).toBe(4)
  })

  it('moves on when a data record is corrupt: our latest dots may have been in it', () => {
    expect(epochAtOpen({ epoch: 4, clean: true }, { highestEpoch: 0, corrupt: 1 }, 0)).toMatchObject({ epoch: 5, behindData: true })
  })

  it('a store without any epoch starts at the wall clock, or past its data if that is higher', () => {
    expect(epochAtOpen({ epoch: undefined, clean: false }, nothingSeen, 5_000.7).epoch).toBe(5_000)
    expect(epochAtOpen({ epoch: undefined, clean: false }, { highestEpoch: 9_000, corrupt: 0 }, 5_000).epoch).toBe(9_001)
    expect(epochAtOpen({ epoch: undefined, clean: true }, nothingSeen, 0).epoch).toBe(1)
  })
})
