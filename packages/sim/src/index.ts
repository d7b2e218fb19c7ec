/**
 * @ringstore/sim — the deterministic simulator: many engine peers in one process on a
 * simulated network, clock and disks, a seeded workload with a fault schedule, and a
 * checker that proves the invariants of docs/design.md ("Invariants") from the recorded
 * history.
 *
 * @example
 * import { runSeed } from '@ringstore/sim'
 * const result = await runSeed(42, { peers: 5, faults: 'heavy' })
 * if (result.violations.length > 0) console.log(replayCommand(42))
 */
export { Rng, InvalidSeedError } from './rng.js'
export { Scheduler, SchedulerBoundError, settle } from './scheduler.js'
export type { EventHandle } from './scheduler.js'
export { SimClock } from './clock.js'
export { SIM_EPOCH_MS } from './constants.js'
export { SimHub, SimNetwork, CORE_CODEC, DEFAULT_CONDITIONS } from './network.js'
export type { NetworkConditions, SimHubOptions, WireCodec, NetworkStats } from './network.js'
export { partitionGroups, isolatePeer, oneWayCut, fullyConnected } from './topology.js'
export type { Reachability } from './topology.js'
export { SimDisk, SimStorage } from './storage.js'
export { SimSigner } from './signer.js'
export { SimCluster, SIM_PEER_CONFIG } from './cluster.js'
export type { SimClusterOptions, SimNode } from './cluster.js'
export type { SimPeer, PeerFactory } from './peer-handle.js'
export { History, valueFor, writerOf, covers, dotKey } from './history.js'
export type { OpRecord, OpKind, Dot } from './history.js'
export { checkHistory, dottedSiblings, describeClock } from './checker.js'
export type { Violation, ViolationKind, KeySnapshot, CheckResult } from './checker.js'
export { settleAndConverge, snapshot, converged } from './converge.js'
export { Workload, keyName } from './workload.js'
export type { FaultLevel, WorkloadOptions } from './workload.js'
export { runSeed, replayCommand, DEFAULT_RUN_OPTIONS } from './run.js'
export type { RunOptions, RunResult } from './run.js'
export { summarize, formatSummary, formatFailure } from './summary.js'
