/**
 * The steps of anti-entropy with one peer. `differingPartitions` asks the roots of many
 * partitions in one 'ae-roots' request, so that identical partitions cost a fraction of a
 * request each. Then, per partition whose roots differ, the two halves of an exchange:
 * `differingKeys` walks the remote Merkle tree down from the root, only into differing
 * nodes (the remote mirror of core's `diffTrees`); `repairKeys` fetches the remote versions
 * of those keys, merges them into the local replica and pushes the merged versions back.
 */
import { CODEC_LIMITS, LIMITS, childIndices, clockEqual, diffEntries, differingIndices, partitionOf } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { PeerContext } from '../components.js'
import { BATCH_BYTES, batchBySize, clockBytes, requestExpecting } from '../protocol/rpc.js'
import { RemoteError } from '../errors.js'

/**
 * Leaf buckets asked per 'ae-buckets' request. A new, empty replica differs in every bucket
 * and receives the other side's entries: 16 of 256 buckets of a 10k-key partition is ~600
 * entries, far below the frame limit even with long keys.
 */
export const AE_BUCKETS_PER_REQUEST = 16

/**
 * Keys per 'replica-get-many' in a repair (≤ LIMITS.batchKeys). The reply carries values,
 * whose sizes only the other side knows: a reply refused as 'too-large' is retried in halves.
 */
export const AE_FETCH_KEYS = 256

/**
 * Partitions per 'ae-roots' request (≤ CODEC_LIMITS.treeItems). Answering recomputes the
 * dirty roots among them (up to fanout + 1 sha256 each, pure JS): after a burst of writes
 * every tree is dirty, and 1,024 of them took ~47 ms, so 256 per request stalled the
 * event loop ~12 ms on each side (bench W1c p99 ~22 ms). 32 keeps one request ~1.5 ms,
 * and a paced round pauses between requests; Q = 1024 identical partitions then cost 32
 * requests per other replica instead of 1024 'ae-nodes'.
 */
export const AE_ROOTS_PER_REQUEST = Math.min(32, CODEC_LIMITS.treeItems)

/**
 * Which of `partitions` (all replicated by us and `peer`) have different roots on the two
 * sides, in the order given; `afterEach` runs after each request (the round's pacing).
 * A peer that does not know 'ae-roots' (an older version answers 'bad-request') has every
 * partition not yet compared returned, so the caller walks them one by one as before.
 * Throws what the requests throw otherwise (unreachable peer, bad reply).
 */
export async function differingPartitions (
  ctx: PeerContext, peer: PeerId, partitions: readonly number[], afterEach?: () => Promise<void>
): Promise<number[]> {
  const differing: number[] = []
  for (let i = 0; i < partitions.length; i += AE_ROOTS_PER_REQUEST) {
    const chunk = partitions.slice(i, i + AE_ROOTS_PER_REQUEST)
    let remote: readonly Uint8Array[]
    try {
      remote = (await requestExpecting(ctx, peer, { type: 'ae-roots', partitions: chunk }, 'hashes')).hashes
    } catch (error) {
      if (!(error instanceof RemoteError && error.code === 'bad-request')) throw error
      ctx.log.debug('anti-entropy: peer refuses ae-roots, walking each partition', { peer, partitions: partitions.length - i })
      return [...differing, ...partitions.slice(i)]
    }
    // Our side after the reply, as in differingKeys. An absent tree is an empty one: both
    // have the all-zero root, whichever side lacks it.
    const local = chunk.map((partition) => ctx.replicas.tree(partition).root())
    differing.push(...differingIndices(chunk, local, remote))
    await afterEach?.()
  }
  return differing
}

/** The keys of `partition` whose versions differ between us and `peer`, sorted. */
export async function differingKeys (ctx: PeerContext, partition: number, peer: PeerId): Promise<Key[]> {
  const shape = ctx.replicas.tree(partition)
  let indices = [0]
  for (let level = 0; level <= shape.depth; level++) {
    const remote = await requestExpecting(ctx, peer, { type: 'ae-nodes', partition, level, indices }, 'hashes')
    // Read our side after the reply: the freshest local state, and no stale copy kept across the await.
    const local = ctx.replicas.tree(partition).nodes(level, indices)
    const differing = differingIndices(indices, local, remote.hashes)
    if (differing.length === 0) return []
    indices = level < shape.depth ? childIndices(differing, shape.fanout) : differing
  }
  const keys = new Set<Key>()
  for (let i = 0; i < indices.length; i += AE_BUCKETS_PER_REQUEST) {
    const buckets = indices.slice(i, i + AE_BUCKETS_PER_REQUEST)
    const remote = await requestExpecting(ctx, peer, { type: 'ae-buckets', partition, buckets }, 'entries')
    const local = ctx.replicas.tree(partition).bucketEntries(buckets)
    for (const key of diffEntries(local, remote.entries)) {
      // A confused or hostile peer must not make us import keys of other partitions.
      if (partitionOf(key, ctx.config.q) === partition) keys.add(key)
    }
  }
  return [...keys].sort()
}

/**
 * Reconciles `keys` with `peer`: both sides end with the DVV merge of their versions.
 * Returns how many keys differed (and so were repaired on one side or both).
 */
export async function repairKeys (ctx: PeerContext, peer: PeerId, keys: readonly Key[]): Promise<number> {
  let repaired = 0
  for (let i = 0; i < keys.length; i += AE_FETCH_KEYS) {
    repaired += await repairBatch(ctx, peer, keys.slice(i, i + AE_FETCH_KEYS))
  }
  return repaired
}

async function repairBatch (ctx: PeerContext, peer: PeerId, keys: readonly Key[]): Promise<number> {
  const theirs = await fetchVersions(ctx, peer, keys)
  const before = await ctx.replicas.getMany(keys)
  const incoming: Array<readonly [Key, DvvSet]> = []
  for (const key of keys) {
    const clock = theirs.get(key)
    if (clock !== undefined && clock !== null) incoming.push([key, clock])
  }
  if (incoming.length > 0) await ctx.replicas.mergeMany(incoming)
  // Read back instead of computing sync() here: a local write that landed meanwhile is pushed too.
  const after = await ctx.replicas.getMany(keys)
  let repaired = 0
  const push: Array<readonly [Key, DvvSet]> = []
  keys.forEach((key, i) => {
    const remote = theirs.get(key) ?? null
    if (!sameVersion(before[i] ?? null, remote)) repaired++
    const merged = after[i] ?? null
    if (merged !== null && !sameVersion(merged, remote)) push.push([key, merged])
  })
  const batches = batchBySize(push, LIMITS.batchKeys, BATCH_BYTES, ([key, clock]) => key.length + clockBytes(clock))
  for (const items of batches) {
    await requestExpecting(ctx, peer, { type: 'replica-put-many', items }, 'ok')
  }
  return repaired
}

/** The peer's versions of `keys` (null = absent); a 'too-large' refusal is retried in halves. */
export async function fetchVersions (ctx: PeerContext, peer: PeerId, keys: readonly Key[]): Promise<Map<Key, DvvSet | null>> {
  try {
    const reply = await requestExpecting(ctx, peer, { type: 'replica-get-many', keys }, 'clocks')
    const asked = new Set(keys)
    return new Map(reply.items.filter(([key]) => asked.has(key)))
  } catch (error) {
    if (!(error instanceof RemoteError && error.code === 'too-large') || keys.length < 2) throw error
    const half = Math.ceil(keys.length / 2)
    const first = await fetchVersions(ctx, peer, keys.slice(0, half))
    const second = await fetchVersions(ctx, peer, keys.slice(half))
    return new Map([...first, ...second])
  }
}

export function sameVersion (a: DvvSet | null, b: DvvSet | null): boolean {
  if (a === null || b === null) return a === b
  return clockEqual(a, b)
}
