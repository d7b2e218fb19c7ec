/**
 * The Merkle hashes against a reference written from merkle.ts's doc comment alone, with
 * @noble/hashes (not the `#sha256` the tree uses): the hashes go on the wire, so a faster
 * recomputation (issue 14) must give the same bytes, node by node, whatever order writes
 * and reads come in. A pinned root guards against the reference and the tree drifting
 * together.
 */
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { MerkleTree } from '../src/merkle.js'

const HASH_BYTES = 16

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

/** Every level of the tree holding `content`, root first: the definition, computed bottom-up. */
function referenceLevels (content: ReadonlyMap<string, Uint8Array>, fanout: number, depth: number): Uint8Array[][] {
  const buckets = Array.from({ length: fanout ** depth }, () => new Uint8Array(HASH_BYTES))
  for (const [key, digest] of content) {
    const keyBytes = utf8ToBytes(key)
    const h = sha256(keyBytes)
    const bucket = ((((h[4] as number) << 24) | ((h[5] as number) << 16) | ((h[6] as number) << 8) | (h[7] as number)) >>> 0) % buckets.length
    const length = new Uint8Array(4)
    new DataView(length.buffer).setUint32(0, keyBytes.length)
    const entry = sha256(new Uint8Array([...length, ...keyBytes, ...digest]))
    const hash = buckets[bucket] as Uint8Array
    for (let i = 0; i < HASH_BYTES; i++) hash[i] = (hash[i] as number) ^ (entry[i] as number)
  }
  const levels: Uint8Array[][] = [buckets]
  while (levels[0]?.length !== 1) {
    const below = levels[0] as Uint8Array[]
    const above: Uint8Array[] = []
    for (let first = 0; first < below.length; first += fanout) {
      const children = below.slice(first, first + fanout)
      const empty = children.every((child) => child.every((byte) => byte === 0))
      above.push(empty ? new Uint8Array(HASH_BYTES) : sha256(new Uint8Array(children.flatMap((child) => [...child]))).subarray(0, HASH_BYTES))
    }
    levels.unshift(above)
  }
  return levels
}

function expectReference (tree: MerkleTree, content: ReadonlyMap<string, Uint8Array>): void {
  const reference = referenceLevels(content, tree.fanout, tree.depth)
  reference.forEach((hashes, level) => {
    expect(tree.nodes(level, hashes.map((_, i) => i)).map(hex)).toEqual(hashes.map(hex))
  })
}

const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '🙂', '/'), minLength: 1, maxLength: 4 })
const digestArb = fc.uint8Array({ minLength: 16, maxLength: 16 })
const shapeArb = fc.record({ fanout: fc.integer({ min: 2, max: 5 }), depth: fc.integer({ min: 1, max: 3 }) })
/** A write (digest or removal), or a read of one node at some level: partial recomputation. */
const stepArb = fc.oneof(
  { arbitrary: fc.record({ key: keyArb, digest: fc.option(digestArb, { freq: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ level: fc.nat(3), index: fc.nat(200) }), weight: 1 }
)

describe('Merkle hashes against the reference', () => {
  it('every node of every level, after any interleaving of writes and partial reads', () => {
    fc.assert(fc.property(shapeArb, fc.array(stepArb, { maxLength: 100 }), (shape, steps) => {
      const tree = new MerkleTree(shape)
      const content = new Map<string, Uint8Array>()
      for (const step of steps) {
        if ('key' in step) {
          tree.set(step.key, step.digest)
          if (step.digest === null) content.delete(step.key)
          else content.set(step.key, step.digest)
        } else {
          const level = step.level % (shape.depth + 1)
          tree.nodes(level, [step.index % shape.fanout ** level])
        }
      }
      expectReference(tree, content)
    }), { numRuns: 300 })
  })

  it('the default shape (16 × 16) with many keys, read, rewritten and read again', () => {
    const tree = new MerkleTree()
    const content = new Map<string, Uint8Array>()
    const write = (key: string, round: number): void => {
      const digest = sha256(utf8ToBytes(`${key}#${round}`)).subarray(0, HASH_BYTES)
      tree.set(key, digest)
      content.set(key, digest)
    }
    for (let i = 0; i < 600; i++) write(`k${i}`, 0)
    expectReference(tree, content)
    for (let i = 0; i < 600; i += 7) write(`k${i}`, 1)
    tree.nodes(1, [3])
    for (let i = 0; i < 600; i += 5) {
      tree.set(`k${i}`, null)
      content.delete(`k${i}`)
    }
    expectReference(tree, content)
  })

  it('a pinned root, as every earlier version computes it', () => {
    const tree = new MerkleTree()
    for (let i = 0; i < 1000; i++) tree.set(`k${i}`, sha256(utf8ToBytes(`v${i}`)).subarray(0, HASH_BYTES))
    expect(hex(tree.root())).toBe(PINNED_ROOT)
  })
})

/** The root of the pinned tree above, computed by the code of main before issue 14's change. */
const PINNED_ROOT = 'd5bc6dad9e094cf93bd2cd28bece2ae8'
