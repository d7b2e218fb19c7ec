import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import {
  MerkleTree,
  MerkleRangeError,
  MerkleShapeError,
  childIndices,
  diffEntries,
  diffTrees,
  differingIndices
} from '../src/merkle.js'

type Content = Map<string, Uint8Array>

const digestArb = fc.uint8Array({ minLength: 16, maxLength: 16 })
/** A small key alphabet so that two random maps share many keys. */
const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '🙂', '/'), minLength: 1, maxLength: 4 })
const contentArb = fc.array(fc.tuple(keyArb, digestArb), { maxLength: 60 }).map((pairs) => new Map(pairs))
/** A small shape so that random maps hit shared and distinct buckets alike. */
const shapeArb = fc.record({ fanout: fc.integer({ min: 2, max: 5 }), depth: fc.integer({ min: 1, max: 3 }) })

function build (content: Content, options?: { fanout: number; depth: number }): MerkleTree {
  const tree = new MerkleTree(options)
  for (const [key, digest] of content) tree.set(key, digest)
  return tree
}

function digestOf (n: number): Uint8Array {
  return sha256(utf8ToBytes(`digest-${n}`)).subarray(0, 16)
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

/** The reference answer: keys whose digests differ, present on one side only included. */
function expectedDiff (a: Content, b: Content): string[] {
  const keys = new Set([...a.keys(), ...b.keys()])
  return [...keys].filter((key) => {
    const x = a.get(key)
    const y = b.get(key)
    return x === undefined || y === undefined || hex(x) !== hex(y)
  }).sort((p, q) => (p < q ? -1 : p > q ? 1 : 0))
}

/** b = a with some keys removed, some changed, some added. */
const pairArb = fc.tuple(contentArb, fc.array(fc.tuple(keyArb, fc.option(digestArb)), { maxLength: 10 })).map(([a, edits]) => {
  const b = new Map(a)
  for (const [key, digest] of edits) {
    if (digest === null) b.delete(key)
    else b.set(key, digest)
  }
  return [a, b] as const
})

describe('MerkleTree diff', () => {
  it('diffTrees finds exactly the keys whose digests differ', () => {
    fc.assert(fc.property(pairArb, shapeArb, ([a, b], shape) => {
      const { keys } = diffTrees(build(a, shape), build(b, shape))
      expect(keys).toEqual(expectedDiff(a, b))
    }), { numRuns: 300 })
  })

  it('diffTrees works on unrelated random maps too', () => {
    fc.assert(fc.property(contentArb, contentArb, (a, b) => {
      expect(diffTrees(build(a), build(b)).keys).toEqual(expectedDiff(a, b))
    }), { numRuns: 200 })
  })

  it('diffTrees is symmetric', () => {
    fc.assert(fc.property(pairArb, shapeArb, ([a, b], shape) => {
      const ta = build(a, shape)
      const tb = build(b, shape)
      expect(diffTrees(ta, tb)).toEqual(diffTrees(tb, ta))
    }), { numRuns: 200 })
  })

  it('roots are equal exactly when contents are identical', () => {
    fc.assert(fc.property(pairArb, shapeArb, ([a, b], shape) => {
      const same = expectedDiff(a, b).length === 0
      expect(hex(build(a, shape).root()) === hex(build(b, shape).root())).toBe(same)
    }), { numRuns: 300 })
  })

  it('cost grows with the difference: 10,000 keys, 1 differing', () => {
    const a = new MerkleTree()
    const b = new MerkleTree()
    for (let i = 0; i < 10_000; i++) {
      a.set(`key-${i}`, digestOf(i))
      b.set(`key-${i}`, digestOf(i))
    }
    expect(diffTrees(a, b)).toEqual({ keys: [], nodesVisited: 1 })
    b.set('key-4242', digestOf(-1))
    const { keys, nodesVisited } = diffTrees(a, b)
    expect(keys).toEqual(['key-4242'])
    expect(nodesVisited).toBeLessThanOrEqual(1 + a.depth * a.fanout)
    b.set('key-4242', null)
    expect(diffTrees(a, b).keys).toEqual(['key-4242'])
    b.set('key-4242', digestOf(4242))
    expect(hex(a.root())).toBe(hex(b.root()))
  })

  it('throws when the shapes differ', () => {
    expect(() => diffTrees(new MerkleTree({ fanout: 4 }), new MerkleTree())).toThrow(MerkleShapeError)
    expect(() => diffTrees(new MerkleTree({ depth: 3 }), new MerkleTree())).toThrow(MerkleShapeError)
  })
})

describe('MerkleTree content', () => {
  it('incremental set/remove sequences give the same root as building from scratch', () => {
    const opArb = fc.tuple(keyArb, fc.option(digestArb, { freq: 3 }))
    fc.assert(fc.property(fc.array(opArb, { maxLength: 120 }), shapeArb, (ops, shape) => {
      const tree = new MerkleTree(shape)
      const content: Content = new Map()
      ops.forEach(([key, digest], step) => {
        tree.set(key, digest)
        if (digest === null) content.delete(key)
        else content.set(key, digest)
        // Read the root mid-sequence too, so lazy recomputation is exercised between writes.
        if (step % 7 === 0) tree.root()
      })
      const fresh = build(content, shape)
      expect(hex(tree.root())).toBe(hex(fresh.root()))
      expect(tree.size).toBe(content.size)
      for (let level = 0; level <= shape.depth; level++) {
        const all = Array.from({ length: shape.fanout ** level }, (_, i) => i)
        expect(tree.nodes(level, all).map(hex)).toEqual(fresh.nodes(level, all).map(hex))
      }
    }), { numRuns: 300 })
  })

  it('is independent of insertion order', () => {
    fc.assert(fc.property(contentArb.chain((c) => fc.tuple(fc.constant(c), fc.shuffledSubarray([...c], { minLength: c.size, maxLength: c.size }))), ([content, shuffled]) => {
      expect(hex(build(new Map(shuffled)).root())).toBe(hex(build(content).root()))
    }), { numRuns: 200 })
  })

  it('empty tree has an all-zero root; removing every key returns to it', () => {
    const tree = new MerkleTree({ fanout: 3, depth: 3 })
    expect(hex(tree.root())).toBe('00'.repeat(16))
    tree.set('x', digestOf(1))
    tree.set('y', digestOf(2))
    expect(hex(tree.root())).not.toBe('00'.repeat(16))
    tree.set('x', null)
    tree.set('y', null)
    tree.set('never-there', null)
    expect(hex(tree.root())).toBe('00'.repeat(16))
    expect(tree.size).toBe(0)
  })

  it('get, size, clear and bucketEntries', () => {
    const tree = new MerkleTree({ fanout: 2, depth: 1 })
    const d = digestOf(7)
    tree.set('b', d)
    tree.set('a', digestOf(8))
    tree.set('b', d)
    expect(tree.size).toBe(2)
    expect(hex(tree.get('b') as Uint8Array)).toBe(hex(d))
    expect(tree.get('zzz')).toBeUndefined()
    expect(tree.bucketEntries([1, 0]).map(([key]) => key)).toEqual(['a', 'b'])
    const bucketOfB = tree.bucketOf('b')
    const twice = tree.bucketEntries([bucketOfB, bucketOfB])
    expect(twice.filter(([key]) => key === 'b')).toHaveLength(1)
    expect(hex(twice.find(([key]) => key === 'b')?.[1] as Uint8Array)).toBe(hex(d))
    tree.clear()
    expect(tree.size).toBe(0)
    expect(tree.bucketEntries([0, 1])).toEqual([])
    expect(hex(tree.root())).toBe('00'.repeat(16))
  })

  it('keeps its own copies of digests and hashes', () => {
    const tree = new MerkleTree()
    const d = digestOf(1)
    tree.set('k', d)
    const root = tree.root()
    d.fill(0)
    tree.root().fill(0)
    ;(tree.get('k') as Uint8Array).fill(0)
    tree.nodes(tree.depth, [tree.bucketOf('k')])[0]?.fill(0)
    expect(hex(tree.root())).toBe(hex(root))
    expect(hex(tree.get('k') as Uint8Array)).toBe(hex(digestOf(1)))
  })

  it('buckets by bytes 4..7 of sha256(key), independent of the partition bytes', () => {
    // 3^5 = 243 buckets: not a power of two, so every one of the four bytes matters.
    const tree = new MerkleTree({ fanout: 3, depth: 5 })
    for (const key of ['a', 'cart:42', 'é🙂', 'k1', 'k2', 'k3']) {
      const h = sha256(utf8ToBytes(key))
      const expected = (((h[4] as number) << 24) | ((h[5] as number) << 16) | ((h[6] as number) << 8) | (h[7] as number)) >>> 0
      expect(tree.bucketOf(key)).toBe(expected % 243)
    }
  })
})

describe('remote exchange helpers', () => {
  it('childIndices lists the children in order', () => {
    expect(childIndices([0], 3)).toEqual([0, 1, 2])
    expect(childIndices([1, 4], 2)).toEqual([2, 3, 8, 9])
    expect(childIndices([], 16)).toEqual([])
  })

  it('differingIndices keeps indices whose hashes differ, and checks reply lengths', () => {
    const x = digestOf(1)
    const y = digestOf(2)
    expect(differingIndices([5, 6, 7], [x, x, y], [x, y, y])).toEqual([6])
    expect(differingIndices([1], [x], [x.subarray(0, 8)])).toEqual([1])
    expect(() => differingIndices([1, 2], [x, x], [x])).toThrow(MerkleShapeError)
  })

  it('diffEntries compares unsorted entry lists', () => {
    const x = digestOf(1)
    const y = digestOf(2)
    expect(diffEntries([['c', x], ['a', x], ['b', x]], [['b', y], ['a', x], ['d', x]])).toEqual(['b', 'c', 'd'])
    expect(diffEntries([], [])).toEqual([])
  })

  it('a step-by-step exchange with the helpers matches diffTrees', () => {
    fc.assert(fc.property(pairArb, ([a, b]) => {
      const local = build(a)
      const remote = build(b)
      let indices = [0]
      for (let level = 0; level <= local.depth && indices.length > 0; level++) {
        const differing = differingIndices(indices, local.nodes(level, indices), remote.nodes(level, indices))
        indices = level < local.depth ? childIndices(differing, local.fanout) : differing
      }
      const keys = diffEntries(local.bucketEntries(indices), remote.bucketEntries(indices))
      expect(keys).toEqual(diffTrees(local, remote).keys)
    }), { numRuns: 100 })
  })
})

describe('argument validation', () => {
  const tree = new MerkleTree({ fanout: 4, depth: 2 })

  it('rejects bad nodes() requests with MerkleRangeError', () => {
    const bad: Array<[number, number[]]> = [
      [-1, [0]], [3, [0]], [1.5, [0]], [Number.NaN, [0]],
      [0, [1]], [1, [4]], [2, [16]], [2, [-1]], [1, [0.5]], [1, [Number.NaN]],
      [0, [0, 0]] // more indices than the level holds
    ]
    for (const [level, indices] of bad) {
      expect(() => tree.nodes(level, indices), `nodes(${level}, [${indices.join()}])`).toThrow(MerkleRangeError)
    }
    expect(() => tree.nodes(1, 'x' as unknown as number[])).toThrow(MerkleRangeError)
    expect(tree.nodes(2, [0, 15])).toHaveLength(2)
    expect(tree.nodes(1, [])).toEqual([])
  })

  it('rejects bad bucketEntries() requests with MerkleRangeError', () => {
    for (const buckets of [[16], [-1], [2.5], [Number.POSITIVE_INFINITY], Array.from({ length: 17 }, () => 0)]) {
      expect(() => tree.bucketEntries(buckets), `bucketEntries([${buckets.join()}])`).toThrow(MerkleRangeError)
    }
    expect(tree.bucketEntries([0, 15])).toEqual([])
  })

  it('rejects bad shapes', () => {
    for (const options of [{ fanout: 1 }, { fanout: 2.5 }, { depth: 0 }, { depth: -1 }, { fanout: 256, depth: 3 }]) {
      expect(() => new MerkleTree(options), JSON.stringify(options)).toThrow(MerkleRangeError)
    }
    const error = (() => { try { tree.nodes(9, [0]) } catch (e) { return e as Error } })()
    expect(error?.name).toBe('MerkleRangeError')
  })
})
