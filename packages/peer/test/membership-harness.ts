/**
 * Membership alone on a TestCluster node (cluster-harness.ts): the node's Membership, and
 * a node started with one, for the membership and checkpoint tests.
 */
import type { PeerId } from '@ringstore/core'
import { settle } from '@ringstore/testkit'
import type { MemoryStorage } from '@ringstore/testkit'
import type { PeerConfig } from '../src/config.js'
import { Membership } from '../src/cluster/membership.js'
import type { TestCluster, TestNode } from './cluster-harness.js'

export function membership (node: TestNode): Membership {
  return node.deps.membership as Membership
}

export async function startNode (cluster: TestCluster, id: PeerId, seeds: string[] = [], storage?: MemoryStorage, config: Partial<PeerConfig> = {}): Promise<TestNode> {
  const node = cluster.add(id, { config: { seeds, ...config }, ...(storage === undefined ? {} : { storage }) })
  node.deps.addrs = [`/mem/${id}`]
  node.deps.membership = new Membership(node.deps)
  await cluster.startNetwork(node)
  await membership(node).start()
  await settle()
  return node
}
