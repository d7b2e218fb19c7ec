import { describe, expect, it } from 'vitest'
import { ConfigError, resolveConfig } from '../src/config.js'
import { MAX_REPLICAS } from '../src/constants.js'
import { InvalidOptionsError } from '../src/errors.js'
import { coordinatePut } from '../src/protocol/coordinate-put.js'
import type { MintOutcome, PutCommand } from '../src/protocol/coordinate-put.js'
import { quorumProblem, resolveQuorum } from '../src/quorum.js'

describe('resolveQuorum', () => {
  const defaults = { n: 3, r: 2, w: 2 }
  it('takes the defaults and per-request overrides', () => {
    expect(resolveQuorum(defaults, {})).toEqual({ n: 3, r: 2, w: 2 })
    expect(resolveQuorum(defaults, { w: 1 })).toEqual({ n: 3, r: 2, w: 1 })
    expect(resolveQuorum(defaults, { n: 1 })).toEqual({ n: 1, r: 1, w: 1 })
  })

  it('refuses r or w above n, zero, fractions', () => {
    expect(() => resolveQuorum(defaults, { w: 4 })).toThrow(InvalidOptionsError)
    expect(() => resolveQuorum(defaults, { r: 0 })).toThrow(InvalidOptionsError)
    expect(() => resolveQuorum(defaults, { n: 2.5 })).toThrow(InvalidOptionsError)
    expect(() => resolveQuorum(defaults, { n: 1000 })).toThrow(InvalidOptionsError)
  })
})

describe('one home for n, r, w', () => {
  const minter = { mint: async (_command: PutCommand): Promise<MintOutcome> => ({ kind: 'ok', context: [], dot: ['a:1', 1], acks: 1 }) }
  const forwarded = (n: number, w: number) => coordinatePut.serve({ coordinator: minter }, { type: 'coordinate-put', key: 'k', value: null, context: [], n, w, ts: 1 }, 'p')
  const messageOf = async (run: () => unknown): Promise<string> => {
    try {
      await run()
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    }
    return 'accepted'
  }

  it('the cluster config, a caller\'s options and a forwarded put are refused with the same message', async () => {
    for (const [n, w] of [[0, 1], [MAX_REPLICAS + 1, 1], [3, 4], [3, 0], [2.5, 1]] as const) {
      const expected = quorumProblem(n, { r: 1, w })
      expect(expected).toBeDefined()
      expect(await messageOf(() => resolveConfig({ n, r: 1, w }))).toBe(expected)
      expect(await messageOf(() => resolveQuorum({ n: 3, r: 2, w: 2 }, { n, r: 1, w }))).toBe(expected)
      expect(await messageOf(() => forwarded(n, w))).toBe(quorumProblem(n, { w }))
    }
    expect(() => resolveConfig({ n: 0 })).toThrow(ConfigError)
    await expect(forwarded(3, 4)).rejects.toThrow(InvalidOptionsError)
  })

  it('accepts 1 ≤ r, w ≤ n ≤ MAX_REPLICAS', async () => {
    expect(quorumProblem(MAX_REPLICAS, { r: MAX_REPLICAS, w: 1 })).toBeUndefined()
    expect(resolveConfig({ n: 5, r: 5, w: 5 }).n).toBe(5)
    expect(await messageOf(() => forwarded(MAX_REPLICAS, MAX_REPLICAS))).toBe('accepted')
  })
})
