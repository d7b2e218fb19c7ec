/**
 * The steps of anti-entropy with one peer. `differingPartitions` asks the roots of many
 * partitions in one 'ae-roots' request, so that identical partitions cost a fraction of a
 * request each. Then, per partition whose roots differ, the two halves of an exchange:
 * `differingKeys` walks the remote Merkle tree down from the root, only into differing
 * nodes (the remote mirror of core's `diffTrees`); `repairKeys` fetches the remote versions
 * of those keys, merges them into the local replica and pushes the merged versions back.
 */
import { childIndices, clockEqual, diffEntries, differingIndices, partitionOf } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import type { PeerConfig } from '../config.js'
import { AE_BUCKETS_PER_REQUEST, AE_FETCH_KEYS, AE_ROOTS_PER_REQUEST } from '../constants.js'
import { describeError, isUnreachable } from '../errors.js'
import type { Logger } from '../interfaces.js'
import { askAeBuckets } from '../protocol/ae-buckets.js'
import { askAeNodes } from '../protocol/ae-nodes.js'
import { askAeRoots } from '../protocol/ae-roots.js'
import { versionBatches } from '../protocol/batches.js'
import { askReplicaGetMany } from '../protocol/replica-get-many.js'
import { askReplicaPutMany } from '../protocol/replica-put-many.js'
import type { PeerRpc } from '../protocol/rpc.js'

export interface AntiEntropyWalkDeps {
  readonly config: Pick<PeerConfig, 'q'>
  readonly replicas: Pick<ReplicaStore, 'tree' | 'getMany' | 'mergeMany'>
  readonly rpc: PeerRpc
  readonly log: Logger
}

/**
 * Which of `partitions` (all replicated by us and `peer`) have different roots on the two
 * sides, in the order given; `afterEach` runs after each request (the round's pacing).
 * A peer that does not know 'ae-roots' (an older version) has every partition not yet
 * compared returned, so the caller walks them one by one as before. Throws what the
 * requests throw otherwise (unreachable peer, bad reply).
 */
export async function differingPartitions (
  deps: AntiEntropyWalkDeps, peer: PeerId, partitions: readonly number[], afterEach?: () => Promise<void>
): Promise<number[]> {
  const differing: number[] = []
  for (let i = 0; i < partitions.length; i += AE_ROOTS_PER_REQUEST) {
    const chunk = partitions.slice(i, i + AE_ROOTS_PER_REQUEST)
    const remote = await askAeRoots(deps.rpc, peer, chunk)
    if (remote === 'unsupported') {
      deps.log.debug('anti-entropy: peer refuses ae-roots, walking each partition', { peer, partitions: partitions.length - i })
      return [...differing, ...partitions.slice(i)]
    }
    // Our side after the reply, as in differingKeys. An absent tree is an empty one: both
    // have the all-zero root, whichever side lacks it.
    const local = chunk.map((partition) => deps.replicas.tree(partition).root())
    differing.push(...differingIndices(chunk, local, remote))
    await afterEach?.()
  }
  return differing
}

/** The keys of `partition` whose versions differ between us and `peer`, sorted. */
export async function differingKeys (deps: AntiEntropyWalkDeps, partition: number, peer: PeerId): Promise<Key[]> {
  const { replicas, rpc } = deps
  const shape = replicas.tree(partition)
  let indices = [0]
  for (let level = 0; level <= shape.depth; level++) {
    const remote = await askAeNodes(rpc, peer, partition, level, indices)
    // Read our side after the reply: the freshest local state, and no stale copy kept across the await.
    const local = replicas.tree(partition).nodes(level, indices)
    const differing = differingIndices(indices, local, remote)
    if (differing.length === 0) return []
    indices = level < shape.depth ? childIndices(differing, shape.fanout) : differing
  }
  const keys = new Set<Key>()
  for (let i = 0; i < indices.length; i += AE_BUCKETS_PER_REQUEST) {
    const buckets = indices.slice(i, i + AE_BUCKETS_PER_REQUEST)
    const remote = await askAeBuckets(rpc, peer, partition, buckets)
    const local = replicas.tree(partition).bucketEntries(buckets)
    for (const key of diffEntries(local, remote)) {
      // A confused or hostile peer must not make us import keys of other partitions.
      if (partitionOf(key, deps.config.q) === partition) keys.add(key)
    }
  }
  return [...keys].sort()
}

/**
 * Reconciles `keys` with `peer`: both sides end with the DVV merge of their versions.
 * Returns how many keys differed (and so were repaired on one side or both).
 */
export async function repairKeys (deps: AntiEntropyWalkDeps, peer: PeerId, keys: readonly Key[]): Promise<number> {
  let repaired = 0
  for (let i = 0; i < keys.length; i += AE_FETCH_KEYS) {
    const batch = keys.slice(i, i + AE_FETCH_KEYS)
    try {
      repaired += await repairBatch(deps, peer, batch)
    } catch (error) {
      // A silent peer ends the exchange; any other failure costs this batch only, never
      // the rest of the partition (one bad key must not stop a partition converging).
      if (isUnreachable(error)) throw error
      deps.log.warn('anti-entropy repair batch failed: going on with the next', { peer, keys: batch.length, first: batch[0], error: describeError(error) })
    }
  }
  return repaired
}

async function repairBatch ({ replicas, rpc, log }: AntiEntropyWalkDeps, peer: PeerId, keys: readonly Key[]): Promise<number> {
  const theirs = await askReplicaGetMany(rpc, peer, keys)
  const before = await replicas.getMany(keys)
  const incoming: Array<readonly [Key, DvvSet]> = []
  for (const key of keys) {
    const clock = theirs.get(key)
    if (clock !== undefined && clock !== null) incoming.push([key, clock])
  }
  // mergeMany skips (and reports) a key whose merge cannot be stored; the others land.
  if (incoming.length > 0) await replicas.mergeMany(incoming)
  // Read back instead of computing sync() here: a local write that landed meanwhile is pushed too.
  const after = await replicas.getMany(keys)
  let repaired = 0
  const push: Array<readonly [Key, DvvSet]> = []
  keys.forEach((key, i) => {
    // Unanswered (too large for a reply frame): push ours, in parts. The peer's own round
    // pushes its version to us the same way, so both end with the merge.
    const answered = theirs.has(key)
    if (!answered) log.info('anti-entropy: version too large to fetch, pushing ours', { peer, key })
    const remote = theirs.get(key) ?? null
    if (!sameVersion(before[i] ?? null, remote)) repaired++
    const merged = after[i] ?? null
    if (merged !== null && (!answered || !sameVersion(merged, remote))) push.push([key, merged])
  })
  for (const items of versionBatches(push)) {
    try {
      await askReplicaPutMany(rpc, peer, items)
    } catch (error) {
      if (isUnreachable(error)) throw error
      log.warn('anti-entropy push refused: going on with the next batch', { peer, keys: items.length, first: items[0]?.[0], error: describeError(error) })
    }
  }
  return repaired
}

export function sameVersion (a: DvvSet | null, b: DvvSet | null): boolean {
  if (a === null || b === null) return a === b
  return clockEqual(a, b)
}
