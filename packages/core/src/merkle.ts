/**
 * Merkle trees for anti-entropy (Dynamo §4.7): one tree per partition, so that two replicas
 * find the keys on which they differ at a cost that grows with the difference, not the data.
 *
 * Shape: fixed per tree. `fanout` children per internal node, `depth` levels below the
 * root; level 0 is the root (1 node), level d has fanout^d nodes, level `depth` holds the
 * fanout^depth leaf buckets. A key lives in the bucket chosen by bytes 4..7 of
 * sha256(utf8 key) — bytes 0..3 pick the partition, so reusing them would put every key of
 * a partition into a few buckets.
 *
 * Hashes (16 bytes each):
 * - entry  = sha256(u32be(keyByteLength) ‖ key ‖ digest)[0..16]; the length prefix keeps
 *            (key, digest) pairs unambiguous whatever the digest length.
 * - bucket = XOR of its entries' hashes, so set/remove are O(1) on the bucket and the
 *            result does not depend on insertion order. An empty bucket is all zero.
 * - inner  = all zero when every child is all zero, else sha256(children concatenated)[0..16].
 *            Hence the empty tree's root is 16 zero bytes, for every shape.
 * Inner nodes are recomputed lazily: a write marks its ancestors dirty, a read recomputes.
 * XOR-of-hashes is not collision resistant against an adversary choosing keys (Wagner's
 * generalised birthday attack); replicas only compare data they hold, so a collision can
 * at worst delay repair of keys an attacker wrote, never corrupt data.
 *
 * The remote exchange (run by the peer engine) mirrors `diffTrees`:
 *   indices = [0]; for level 0..depth: ask `ae-nodes {level, indices}`, keep
 *   `differingIndices`, descend with `childIndices` (until level = depth);
 *   then ask `ae-buckets` for the differing buckets and `diffEntries` them.
 */
import { sha256 } from '#sha256'
import { equalBytes } from './bytes.js'
import { keyHash, utf8 } from './hash.js'
import type { Key } from './types.js'

/** Bytes per node hash: half a SHA-256 is ample to detect accidental divergence. */
export const MERKLE_HASH_BYTES = 16

/** 16 × 16 = 256 leaf buckets: with ~10k keys per partition, ~40 keys per bucket. */
export const MERKLE_DEFAULTS = { fanout: 16, depth: 2 } as const

/**
 * Largest number of leaf buckets a tree may have. One full level then answers in
 * 65,536 × 16 B = 1 MiB of hashes, well inside LIMITS.frameBytes (8 MiB), so any valid
 * `nodes()` request fits one frame.
 */
export const MERKLE_MAX_BUCKETS = 65_536

/** A level, node index or bucket out of range (bad remote request or bad tree options). */
export class MerkleRangeError extends RangeError {
  static override name = 'MerkleRangeError'
  override name = 'MerkleRangeError'
}

/** Two trees (or a tree and a remote reply) do not have the same shape. */
export class MerkleShapeError extends Error {
  static override name = 'MerkleShapeError'
  override name = 'MerkleShapeError'
}

export interface MerkleOptions {
  readonly fanout?: number
  readonly depth?: number
}

export class MerkleTree {
  readonly fanout: number
  readonly depth: number
  readonly #bucketCount: number
  /**
   * The node hashes and dirty flags, allocated with the first key: a daemon holds one tree
   * per partition (q = 1024) and many may stay empty. Until then every hash is all zero.
   * levels[d]: fanout^d hashes of MERKLE_HASH_BYTES each, laid out contiguously;
   * dirty[d][i] = 1: inner node (d, i) must be recomputed. Leaves are never dirty.
   */
  #levels: Uint8Array[] | undefined
  #dirty: Uint8Array[] | undefined
  /**
   * The entries of each leaf bucket, key → digest packed one byte per char (`packDigest`);
   * a bucket's Map exists only while it holds a key. One empty Map per bucket cost ~170 B
   * × 256 buckets × 1024 trees ≈ 45 MB of heap per daemon whatever the data, and a
   * Uint8Array per digest ~220 B against ~32 B for the string (measured:
   * packages/daemon/README.md, "Memory").
   */
  readonly #buckets: Array<Map<Key, string> | undefined>
  #size = 0

  constructor (options: MerkleOptions = {}) {
    const fanout = options.fanout ?? MERKLE_DEFAULTS.fanout
    const depth = options.depth ?? MERKLE_DEFAULTS.depth
    checkShape(fanout, depth)
    this.fanout = fanout
    this.depth = depth
    this.#bucketCount = fanout ** depth
    this.#buckets = []
  }

  /** Number of leaf buckets (fanout^depth). */
  get bucketCount (): number {
    return this.#bucketCount
  }

  /** Number of keys held. */
  get size (): number {
    return this.#size
  }

  /**
   * Record `key`'s digest (a copy is kept); `null` removes the key. A caller that has
   * `keyHash(key)` at hand passes it as `hash` and saves hashing the key again (it must be
   * exactly that hash: it picks the bucket).
   */
  set (key: Key, digest: Uint8Array | null, hash: Uint8Array = keyHash(key)): void {
    const bucket = bucketOfHash(hash) % this.#bucketCount
    let entries = this.#buckets[bucket]
    const previous = entries?.get(key)
    const packed = digest === null ? null : packDigest(digest)
    if (previous === undefined && packed === null) return
    if (previous === packed) return
    if (previous !== undefined) this.#xorIntoBucket(bucket, entryHash(key, unpackDigest(previous)))
    if (packed === null) {
      entries?.delete(key)
      if (entries?.size === 0) this.#buckets[bucket] = undefined
      this.#size--
    } else {
      if (previous === undefined) this.#size++
      if (entries === undefined) this.#buckets[bucket] = entries = new Map<Key, string>()
      entries.set(key, packed)
      this.#xorIntoBucket(bucket, entryHash(key, digest as Uint8Array))
    }
    this.#markAncestorsDirty(bucket)
  }

  /**
   * The digest held for `key` (a copy), or undefined. A caller that has `keyHash(key)` at
   * hand passes it as `hash` (as for `set`) and saves hashing the key again.
   */
  get (key: Key, hash: Uint8Array = keyHash(key)): Uint8Array | undefined {
    const packed = this.#buckets[bucketOfHash(hash) % this.#bucketCount]?.get(key)
    return packed === undefined ? undefined : unpackDigest(packed)
  }

  /** The root hash (a copy): 16 zero bytes when the tree holds no keys. */
  root (): Uint8Array {
    return this.#node(0, 0).slice()
  }

  /**
   * Hashes (copies) of the nodes `indices` at `level` (0 = root, `depth` = buckets), in the
   * order asked. Answers remote `ae-nodes` requests, so every argument is checked.
   */
  nodes (level: number, indices: readonly number[]): Uint8Array[] {
    if (!Number.isSafeInteger(level) || level < 0 || level > this.depth) {
      throw new MerkleRangeError(`level ${String(level)} outside 0..${this.depth}`)
    }
    const count = this.fanout ** level
    checkIndices(indices, count, `level ${level}`)
    return indices.map((index) => this.#node(level, index).slice())
  }

  /** The leaf bucket (0..bucketCount-1) that holds `key`. */
  bucketOf (key: Key): number {
    return keyBucketHash(key) % this.#bucketCount
  }

  /**
   * All `[key, digest]` entries (digests copied) of the given buckets, sorted by key.
   * Answers remote `ae-buckets` requests, so every argument is checked.
   */
  bucketEntries (buckets: readonly number[]): Array<[Key, Uint8Array]> {
    checkIndices(buckets, this.#bucketCount, 'buckets')
    const out: Array<[Key, Uint8Array]> = []
    for (const bucket of new Set(buckets)) {
      for (const [key, packed] of this.#buckets[bucket] ?? []) out.push([key, unpackDigest(packed)])
    }
    return out.sort((a, b) => compareKeys(a[0], b[0]))
  }

  /** Forget every key (and the memory that held them). */
  clear (): void {
    this.#levels = undefined
    this.#dirty = undefined
    this.#buckets.length = 0
    this.#size = 0
  }

  /**
   * The level and dirty arrays, allocated on first use as views of ONE buffer: each buffer
   * carries a few hundred bytes of bookkeeping besides its data, × 6 arrays × 1024 trees.
   */
  #allocated (): { levels: Uint8Array[], dirty: Uint8Array[] } {
    if (this.#levels === undefined || this.#dirty === undefined) {
      let nodes = 0
      for (let level = 0; level <= this.depth; level++) nodes += this.fanout ** level
      const inner = nodes - this.#bucketCount
      const buffer = new Uint8Array(nodes * MERKLE_HASH_BYTES + inner)
      let offset = 0
      const take = (bytes: number): Uint8Array => buffer.subarray(offset, (offset += bytes))
      const levels: Uint8Array[] = []
      for (let level = 0; level <= this.depth; level++) levels.push(take(this.fanout ** level * MERKLE_HASH_BYTES))
      const dirty: Uint8Array[] = []
      for (let level = 0; level <= this.depth; level++) dirty.push(take(level < this.depth ? this.fanout ** level : 0))
      this.#levels = levels
      this.#dirty = dirty
    }
    return { levels: this.#levels, dirty: this.#dirty }
  }

  #xorIntoBucket (bucket: number, hash: Uint8Array): void {
    const leaves = this.#allocated().levels[this.depth] as Uint8Array
    const offset = bucket * MERKLE_HASH_BYTES
    for (let i = 0; i < MERKLE_HASH_BYTES; i++) leaves[offset + i] = (leaves[offset + i] as number) ^ (hash[i] as number)
  }

  /**
   * Invariant: a dirty node's ancestors are all dirty (a node is cleaned only while its
   * ancestors are being recomputed, and marking always climbs to the root). So the climb
   * may stop at the first node already dirty.
   */
  #markAncestorsDirty (bucket: number): void {
    const { dirty: dirtyLevels } = this.#allocated()
    let index = bucket
    for (let level = this.depth - 1; level >= 0; level--) {
      index = Math.floor(index / this.fanout)
      const dirty = dirtyLevels[level] as Uint8Array
      if (dirty[index] === 1) return
      dirty[index] = 1
    }
  }

  /** The node's hash as a view into the level array (callers copy before handing it out). */
  #node (level: number, index: number): Uint8Array {
    if (this.#levels === undefined || this.#dirty === undefined) return new Uint8Array(MERKLE_HASH_BYTES)
    if (level < this.depth) this.#rehash(this.#levels, this.#dirty, level, index)
    const offset = index * MERKLE_HASH_BYTES
    return (this.#levels[level] as Uint8Array).subarray(offset, offset + MERKLE_HASH_BYTES)
  }

  /**
   * Recomputes inner node (level, index) if it is dirty, its dirty children first. It visits
   * only dirty nodes and makes no view per child: an anti-entropy round recomputes the roots
   * of every partition written since the last round, on the event loop that serves requests
   * (bench/README.md, "Where the time goes", issue 14).
   */
  #rehash (levels: Uint8Array[], dirtyLevels: Uint8Array[], level: number, index: number): void {
    const dirty = dirtyLevels[level] as Uint8Array
    if (dirty[index] !== 1) return
    const first = index * this.fanout
    if (level + 1 < this.depth) {
      for (let child = first; child < first + this.fanout; child++) this.#rehash(levels, dirtyLevels, level + 1, child)
    }
    const children = (levels[level + 1] as Uint8Array).subarray(first * MERKLE_HASH_BYTES, (first + this.fanout) * MERKLE_HASH_BYTES)
    writeInnerHash(children, levels[level] as Uint8Array, index * MERKLE_HASH_BYTES)
    dirty[index] = 0
  }
}

/** The children (at the next level) of the nodes `indices`, in order. */
export function childIndices (indices: readonly number[], fanout: number): number[] {
  const out: number[] = []
  for (const index of indices) {
    for (let child = 0; child < fanout; child++) out.push(index * fanout + child)
  }
  return out
}

/**
 * The `indices[k]` whose `local[k]` and `remote[k]` hashes differ. A remote reply with the
 * wrong number of hashes is a shape error (the engine turns it into a failed round).
 */
export function differingIndices (indices: readonly number[], local: readonly Uint8Array[], remote: readonly Uint8Array[]): number[] {
  if (local.length !== indices.length || remote.length !== indices.length) {
    throw new MerkleShapeError(`expected ${indices.length} hashes, got ${local.length} local and ${remote.length} remote`)
  }
  return indices.filter((_, k) => !equalBytes(local[k] as Uint8Array, remote[k] as Uint8Array))
}

/** Keys present on one side only or with different digests, sorted, without duplicates. */
export function diffEntries (
  local: ReadonlyArray<readonly [Key, Uint8Array]>,
  remote: ReadonlyArray<readonly [Key, Uint8Array]>
): Key[] {
  const theirs = new Map<Key, Uint8Array>(remote)
  const differing = new Set<Key>()
  for (const [key, digest] of local) {
    const other = theirs.get(key)
    if (other === undefined || !equalBytes(digest, other)) differing.add(key)
    theirs.delete(key)
  }
  for (const key of theirs.keys()) differing.add(key)
  return [...differing].sort(compareKeys)
}

/**
 * The keys on which two trees differ, found with the same steps as the remote exchange;
 * `nodesVisited` counts the node hashes compared (per side).
 */
export function diffTrees (a: MerkleTree, b: MerkleTree): { keys: Key[]; nodesVisited: number } {
  if (a.fanout !== b.fanout || a.depth !== b.depth) {
    throw new MerkleShapeError(`tree shapes differ: fanout ${a.fanout}/${b.fanout}, depth ${a.depth}/${b.depth}`)
  }
  let indices = [0]
  let nodesVisited = 0
  for (let level = 0; level <= a.depth; level++) {
    nodesVisited += indices.length
    const differing = differingIndices(indices, a.nodes(level, indices), b.nodes(level, indices))
    if (differing.length === 0) return { keys: [], nodesVisited }
    indices = level < a.depth ? childIndices(differing, a.fanout) : differing
  }
  return { keys: diffEntries(a.bucketEntries(indices), b.bucketEntries(indices)), nodesVisited }
}

/** Code-unit order: deterministic on every platform (no locale). */
function compareKeys (a: Key, b: Key): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function checkShape (fanout: number, depth: number): void {
  if (!Number.isSafeInteger(fanout) || fanout < 2) throw new MerkleRangeError(`fanout must be an integer ≥ 2, got ${String(fanout)}`)
  if (!Number.isSafeInteger(depth) || depth < 1) throw new MerkleRangeError(`depth must be an integer ≥ 1, got ${String(depth)}`)
  if (fanout ** depth > MERKLE_MAX_BUCKETS) {
    throw new MerkleRangeError(`fanout^depth = ${fanout ** depth} exceeds ${MERKLE_MAX_BUCKETS} buckets`)
  }
}

/** Rejects non-arrays, too many indices (more than the level holds) and out-of-range values. */
function checkIndices (indices: readonly number[], count: number, what: string): void {
  if (!Array.isArray(indices)) throw new MerkleRangeError(`${what}: indices must be an array`)
  if (indices.length > count) throw new MerkleRangeError(`${what}: ${indices.length} indices asked, only ${count} exist`)
  for (const index of indices) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
      throw new MerkleRangeError(`${what}: index ${String(index)} outside 0..${count - 1}`)
    }
  }
}

/** Bytes 4..7 of keyHash (sha256 of the UTF-8 key), big-endian; bytes 0..3 pick the partition. */
function keyBucketHash (key: Key): number {
  return bucketOfHash(keyHash(key))
}

/** Bytes 4..7 of a key's hash, big-endian (see keyBucketHash). */
function bucketOfHash (h: Uint8Array): number {
  return (((h[4] as number) << 24) | ((h[5] as number) << 16) | ((h[6] as number) << 8) | (h[7] as number)) >>> 0
}

/** Bytes per String.fromCharCode call: far below engines' argument-count limits. */
const PACK_CHUNK = 4096

/**
 * A digest as a string of one char (0..255) per byte, which engines store 1 byte per char:
 * a compact Map value, compared with `===` (the Merkle buckets here, the watch digests of
 * peer's coordinator/watches.ts).
 */
export function packDigest (digest: Uint8Array): string {
  // `apply` takes the typed array as is; spreading it would run the iterator protocol.
  if (digest.length <= PACK_CHUNK) return String.fromCharCode.apply(null, digest as unknown as number[])
  let packed = ''
  for (let i = 0; i < digest.length; i += PACK_CHUNK) packed += String.fromCharCode(...digest.subarray(i, i + PACK_CHUNK))
  return packed
}

/** The bytes of a packDigest string. */
export function unpackDigest (packed: string): Uint8Array {
  const digest = new Uint8Array(packed.length)
  for (let i = 0; i < packed.length; i++) digest[i] = packed.charCodeAt(i)
  return digest
}

function entryHash (key: Key, digest: Uint8Array): Uint8Array {
  const keyBytes = utf8(key)
  const input = new Uint8Array(4 + keyBytes.length + digest.length)
  const n = keyBytes.length
  input[0] = n >>> 24
  input[1] = (n >>> 16) & 0xff
  input[2] = (n >>> 8) & 0xff
  input[3] = n & 0xff
  input.set(keyBytes, 4)
  input.set(digest, 4 + keyBytes.length)
  return sha256(input).subarray(0, MERKLE_HASH_BYTES)
}

/**
 * The inner hash of `children` (their hashes concatenated) written at `out[offset..+16]`:
 * all zero when every child is, else sha256(children)[0..16]. A plain loop, not
 * `every(callback)`: a sparse tree's inner nodes have mostly empty children, and the
 * callback per byte cost as much as the hash (bench/merkle-roots.ts).
 */
function writeInnerHash (children: Uint8Array, out: Uint8Array, offset: number): void {
  let any = 0
  for (let i = 0; i < children.length && any === 0; i++) any = children[i] as number
  if (any === 0) {
    out.fill(0, offset, offset + MERKLE_HASH_BYTES)
    return
  }
  const digest = sha256(children)
  for (let i = 0; i < MERKLE_HASH_BYTES; i++) out[offset + i] = digest[i] as number
}
