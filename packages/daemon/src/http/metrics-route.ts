/**
 * GET /metrics: the engine's counters, the network adapter's counters and the HTTP
 * layer's own histograms, in Prometheus text format. Everything is a snapshot of plain
 * numbers rendered per scrape.
 */
import type { NetworkStats } from '@ringstore/net-libp2p'
import type { Peer, PeerMetrics } from '@ringstore/peer'
import { SIBLING_BUCKETS } from '../constants.js'
import { Exposition } from '../prometheus.js'
import type { HistogramSeries, Labels } from '../prometheus.js'
import type { Admission } from './admission.js'
import type { ConnectionGuard } from './connections.js'
import type { EventLoopDelay } from './event-loop-delay.js'
import type { GcPauses } from './gc-pauses.js'
import type { RequestMetrics } from './request-metrics.js'

const OPS = ['get', 'put', 'delete'] as const

export interface MetricsDeps {
  readonly peer: Peer
  readonly network: NetworkStats
  readonly requests: RequestMetrics
  readonly admission: Admission
  readonly connections: Pick<ConnectionGuard, 'open' | 'limit' | 'refused' | 'timedOut'>
  readonly loopDelay: Pick<EventLoopDelay, 'series'>
  readonly gcPauses: Pick<GcPauses, 'series'>
}

export function renderMetrics (deps: MetricsDeps): string {
  const status = deps.peer.status()
  const m = status.metrics
  const net = deps.network
  const perOp = (values: Record<string, number>): Array<readonly [Labels, number]> => OPS.map((op) => [{ op }, values[op] ?? 0] as const)
  const one = (value: number): Array<readonly [Labels, number]> => [[{}, value]]
  const membersBy = new Map<string, number>()
  for (const member of status.members) {
    const key = `${member.status}/${member.reachable ? 'reachable' : 'unreachable'}`
    membersBy.set(key, (membersBy.get(key) ?? 0) + 1)
  }
  return new Exposition()
    .counter('ringstore_requests_total', 'Client operations coordinated by this peer.', perOp(m.requests))
    .counter('ringstore_quorum_failures_total', 'Client operations that did not reach R (get) or W (put, delete).', perOp(m.quorumFailures))
    .histogram('ringstore_request_duration_seconds', 'HTTP key-value request duration, arrival to last byte of the reply, any outcome.', deps.requests.durationSeries())
    .counter('ringstore_http_responses_total', 'HTTP replies by status code.', deps.requests.responses())
    .gauge('ringstore_http_kv_in_flight', 'HTTP key-value requests in progress now.', one(deps.admission.inFlight))
    .gauge('ringstore_http_kv_max_in_flight', 'Bound on HTTP key-value requests in progress (--max-inflight; 0 = none).', one(deps.admission.limit))
    .counter('ringstore_http_overloaded_total', 'HTTP key-value requests shed with 503 overloaded (over --max-inflight).', one(deps.admission.shed))
    .gauge('ringstore_http_connections', 'HTTP connections open now.', one(deps.connections.open))
    .gauge('ringstore_http_max_connections', 'Bound on open HTTP connections (--http-max-connections; 0 = none).', one(deps.connections.limit))
    .counter('ringstore_http_connections_refused_total', 'HTTP connections closed on arrival because --http-max-connections were open.', one(deps.connections.refused))
    .counter('ringstore_http_connections_idle_closed_total', 'HTTP connections closed after --http-idle-timeout-ms without a request.', one(deps.connections.timedOut))
    .histogram('ringstore_siblings_on_read', 'Siblings (concurrent versions) returned by reads coordinated here.', [siblingSeries(m)])
    .gauge('ringstore_hints_pending', 'Hints held for unreachable replicas, not yet delivered.', one(status.hintsPending))
    .counter('ringstore_hints_stored_total', 'Hints taken for unreachable replicas.', one(m.hintsStored))
    .counter('ringstore_hints_delivered_total', 'Hints delivered to (and acknowledged by) their replica.', one(m.hintsDelivered))
    .gauge('ringstore_hint_bytes', 'Bytes of the hints held (storage keys and records), all targets.', one(status.hintBytes))
    .gauge('ringstore_hint_target_bytes', 'Bytes of the hints held, per target peer (only targets with hints).', Object.entries(status.hintBytesByTarget).map(([target, bytes]) => [{ target }, bytes] as const))
    .gauge('ringstore_hint_quota_bytes', 'Hint quotas (--hint-quota, --hint-quota-per-target): a hint past one is refused.', [[{ quota: 'total' }, status.hintQuota.totalBytes], [{ quota: 'per-target' }, status.hintQuota.perTargetBytes]])
    .gauge('ringstore_hint_max_age_seconds', 'Hints older than this are expired (--hint-max-age).', one(status.hintQuota.maxAgeMs / 1000))
    .counter('ringstore_hints_refused_total', 'Hints refused because they would pass a quota, by quota.', Object.entries(m.hintsRefused).map(([quota, count]) => [{ quota }, count] as const))
    .counter('ringstore_hints_expired_total', 'Hints deleted for passing the age limit (their data is repaired by anti-entropy).', one(m.hintsExpired))
    .counter('ringstore_read_repairs_total', 'Stale or missing replicas updated by read repair.', one(m.readRepairs))
    .counter('ringstore_read_digest_mismatches_total', 'Reads whose digest from a replica differed from ours (its version was then fetched).', one(m.readDigestMismatches))
    .counter('ringstore_antientropy_rounds_total', 'Merkle anti-entropy rounds run.', one(m.antiEntropyRounds))
    .gauge('ringstore_background_pressure', 'Foreground p99 over the last second / --background-yield-at: above 1, anti-entropy, GC, handoff and transfer slow down.', one(status.background.pressure))
    .counter('ringstore_background_deferrals_total', 'Pauses of background work lengthened because foreground requests were slow.', one(status.background.deferrals))
    .counter('ringstore_background_deferred_seconds_total', 'Time those pauses added to background work.', one(status.background.deferredMs / 1000))
    .counter('ringstore_antientropy_keys_repaired_total', 'Keys reconciled by Merkle anti-entropy.', one(m.antiEntropyKeysRepaired))
    .counter('ringstore_partitions_transferred_total', 'Partitions handed to new owners after ring changes.', one(m.partitionsTransferred))
    .counter('ringstore_tombstones_collected_total', 'Tombstones garbage-collected.', one(m.tombstonesCollected))
    .gauge('ringstore_storage_full', 'Whether the store has no space for writes now (1: writes answer 507 until space is freed).', one(status.storageFull ? 1 : 0))
    .counter('ringstore_forbidden_requests_total', 'Peer requests refused because the caller may not call that protocol (member, client, outsider).', one(m.forbiddenRequests))
    .counter('ringstore_corrupt_records_total', 'Reads that met a stored record failing its checksum (never served; repaired from the other replicas).', one(m.corruptRecords))
    .counter('ringstore_merges_refused_total', 'Keys whose merged version passed the storage bound: skipped, the replica kept its own (the rest of the batch merged).', one(m.mergesRefused))
    .counter('ringstore_young_records_dropped_total', 'Records of supersessions younger than a week that truncation dropped from a version past 256 clock entries: superseded values a lagging replica may bring back as siblings.', one(m.youngRecordsDropped))
    .gauge('ringstore_keys', 'Keys in the local replica.', one(status.keys))
    .gauge('process_resident_memory_bytes', 'Resident memory of the daemon process (Prometheus\' standard name).', one(process.memoryUsage.rss()))
    .gauge('nodejs_heap_used_bytes', 'V8 heap in use.', one(process.memoryUsage().heapUsed))
    .histogram('ringstore_event_loop_delay_seconds', 'How late a timer due every 10 ms fired: the wait a request arriving then had before any of its code ran.', [deps.loopDelay.series()])
    .histogram('ringstore_gc_pause_seconds', 'Garbage-collection pauses by kind (minor, major, incremental, weakcb): the event loop stands still for each.', deps.gcPauses.series())
    .gauge('ringstore_members', 'Known members by status and reachability (seen from here).', [...membersBy].map(([key, count]) => {
      const [memberStatus = '', reachability = ''] = key.split('/')
      return [{ status: memberStatus, reachability }, count] as const
    }))
    .gauge('ringstore_ring_partitions', 'Partitions of the ring owned by this peer.', one(status.ring.members.find((x) => x.id === status.peerId)?.partitions ?? 0))
    .counter('ringstore_rpc_requests_sent_total', 'Replication requests sent to other peers.', one(net.requestsSent))
    .counter('ringstore_rpc_requests_served_total', 'Replication requests served for other peers.', one(net.requestsServed))
    .counter('ringstore_rpc_timeouts_total', 'Replication requests that got no answer in time.', one(net.timeouts))
    .counter('ringstore_invalid_frames_total', 'Inbound RPC frames that failed framing or decoding.', one(net.invalidFrames))
    .counter('ringstore_rpc_limit_hits_total', 'RPC resource limits hit, by limit (net-libp2p README: stream paused, reply refused or stream reset).', [[{ limit: 'reply-backlog-pause' }, net.replyBacklogPauses], [{ limit: 'reply-refused' }, net.repliesRefused], [{ limit: 'serving-pause' }, net.servingLimitPauses], [{ limit: 'peer-serving-refused' }, net.peerServingRefusals], [{ limit: 'partial-frame-timeout' }, net.partialFrameTimeouts], [{ limit: 'partial-bytes' }, net.partialBytesResets], [{ limit: 'invalid-frame-budget' }, net.invalidFrameBudgetResets]])
    .counter('ringstore_invalid_announcements_total', 'Membership gossip that did not decode or was forged.', one(net.invalidAnnouncements + net.forgedAnnouncements))
    .counter('ringstore_unadmitted_announcements_total', 'Membership gossip refused: the record carried no valid admission to this cluster.', one(net.unadmittedAnnouncements))
    .counter('ringstore_rate_limited_announcements_total', 'Membership gossip dropped: its sender passed the per-peer record rate bound.', one(net.rateLimitedAnnouncements))
    .text()
}

function siblingSeries (m: PeerMetrics): HistogramSeries {
  let sum = 0
  let count = 0
  const observed = Object.entries(m.siblingsOnRead).map(([k, reads]) => [Number(k), reads] as const)
  for (const [k, reads] of observed) {
    sum += k * reads
    count += reads
  }
  const buckets = SIBLING_BUCKETS.map((le): readonly [number, number] => [le, observed.filter(([k]) => k <= le).reduce((acc, [, reads]) => acc + reads, 0)])
  return { labels: {}, buckets, sum, count }
}
