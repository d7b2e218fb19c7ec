import { describe, expect, it } from 'vitest'
import type { MemberRecord, PeerId, Request, Response } from '@ringstore/core'
import type { NetworkHandlers } from '@ringstore/peer'
import { SimHub, CORE_CODEC } from '../src/network.js'
import type { SimHubOptions, SimNetwork } from '../src/network.js'
import { Rng } from '../src/rng.js'
import { Scheduler, settle } from '../src/scheduler.js'
import { oneWayCut } from '../src/topology.js'

interface Log {
  events: string[]
  requests: Array<[PeerId, Request['type']]>
  announces: Array<[PeerId, string]>
}

function handlers (log: Log, answer: (req: Request) => Promise<Response> = async () => ({ type: 'ok' })): NetworkHandlers {
  return {
    onRequest: async (from, request) => { log.requests.push([from, request.type]); return await answer(request) },
    onAnnounce: (from, { record }) => { log.announces.push([from, record.id]) },
    onPeerConnected: (peer) => { log.events.push(`+${peer}`) },
    onPeerDisconnected: (peer) => { log.events.push(`-${peer}`) }
  }
}

const newLog = (): Log => ({ events: [], requests: [], announces: [] })

async function setup (ids: PeerId[], options: SimHubOptions = {}, seed = 1): Promise<{ s: Scheduler, hub: SimHub, nets: Record<PeerId, SimNetwork>, logs: Record<PeerId, Log>, faults: string[] }> {
  const s = new Scheduler()
  const faults: string[] = []
  const hub = new SimHub(s, Rng.fromSeed(seed), { onFault: (d) => faults.push(d), ...options })
  const nets: Record<PeerId, SimNetwork> = {}
  const logs: Record<PeerId, Log> = {}
  for (const id of ids) {
    nets[id] = hub.endpoint(id)
    logs[id] = newLog()
    await nets[id].start(handlers(logs[id]))
  }
  await s.advance(0)
  return { s, hub, nets, logs, faults }
}

const record = (id: PeerId): MemberRecord => ({ id, addrs: [], weight: 1, zone: 'z', status: 'active', incarnation: 1, heartbeat: 0, joinedAt: 1_700_000_000_000 })
const get: Request = { type: 'replica-get', key: 'k' }

async function outcome (s: Scheduler, p: Promise<unknown>, maxMs = 10_000): Promise<string> {
  try {
    await s.drive(p, maxMs)
    return 'ok'
  } catch (error) {
    return (error as Error).name
  }
}

describe('SimHub requests', () => {
  it('carries a request and its response through the codec, with latency', async () => {
    const { s, nets, logs } = await setup(['a', 'b'], { latencyBaseMs: 5, latencyJitterMs: 0 })
    const t0 = s.now
    const response = await s.drive(nets.a!.request('b', get, 1000), 1000)
    expect(response).toEqual({ type: 'ok' })
    expect(s.now - t0).toBe(10)
    expect(logs.b!.requests).toEqual([['a', 'replica-get']])
  })

  it('refuses quickly when the target crashed, times out when it is partitioned', async () => {
    const { s, hub, nets } = await setup(['a', 'b', 'c'], { refusedDelayMs: 2 })
    hub.crash('b')
    let t0 = s.now
    expect(await outcome(s, nets.a!.request('b', get, 500))).toBe('PeerUnreachableError')
    expect(s.now - t0).toBeLessThan(10)
    hub.partition([['a'], ['c']])
    t0 = s.now
    expect(await outcome(s, nets.a!.request('c', get, 500))).toBe('RequestTimeoutError')
    expect(s.now - t0).toBe(500)
    hub.heal()
    expect(await outcome(s, nets.a!.request('c', get, 500))).toBe('ok')
    expect(hub.stats.refused).toBe(1)
    expect(hub.stats.timedOut).toBe(1)
  })

  it('times out when every message is lost', async () => {
    const { s, hub, nets, logs } = await setup(['a', 'b'], { lossProbability: 1 })
    expect(await outcome(s, nets.a!.request('b', get, 300))).toBe('RequestTimeoutError')
    expect(logs.b!.requests).toEqual([])
    hub.setConditions({ lossProbability: 0 })
    expect(await outcome(s, nets.a!.request('b', get, 300))).toBe('ok')
  })

  it('loses the response of a one-way cut: the request lands, the caller times out', async () => {
    const { s, hub, nets, logs } = await setup(['a', 'b'])
    hub.setReachability(oneWayCut('b', 'a'))
    expect(await outcome(s, nets.a!.request('b', get, 300))).toBe('RequestTimeoutError')
    expect(logs.b!.requests).toHaveLength(1)
  })

  it('delivers duplicates to the handler but settles the caller once', async () => {
    const { s, nets, logs } = await setup(['a', 'b'], { duplicateProbability: 1 })
    expect(await s.drive(nets.a!.request('b', get, 300), 300)).toEqual({ type: 'ok' })
    await s.advance(100)
    expect(logs.b!.requests).toHaveLength(2)
  })

  it('never settles the calls of a crashed process, and drops requests in flight to one', async () => {
    const { s, hub, nets, logs } = await setup(['a', 'b'], { latencyBaseMs: 10 })
    let settledA = false
    nets.a!.request('b', get, 100).then(() => { settledA = true }, () => { settledA = true })
    const toCrashed = nets.b!.request('a', get, 100)
    hub.crash('a')
    expect(await outcome(s, toCrashed)).toBe('RequestTimeoutError')
    await s.advance(1000)
    expect(settledA).toBe(false)
    expect(logs.a!.requests).toEqual([])
  })

  it('rejects the pending calls of a gracefully stopped endpoint', async () => {
    const { s, nets } = await setup(['a', 'b'], { latencyBaseMs: 10 })
    const pending = nets.a!.request('b', get, 100)
    await nets.a!.stop()
    expect(await outcome(s, pending)).toBe('PeerUnreachableError')
    expect(await outcome(s, nets.a!.request('b', get, 100))).toBe('PeerUnreachableError')
  })

  it('reports a handler that rejects instead of answering with an error response', async () => {
    const s = new Scheduler()
    const faults: string[] = []
    const hub = new SimHub(s, Rng.fromSeed(1), { onFault: (d) => faults.push(d) })
    const a = hub.endpoint('a')
    const b = hub.endpoint('b')
    await a.start(handlers(newLog()))
    await b.start(handlers(newLog(), async () => { throw new Error('engine bug') }))
    expect(await outcome(s, a.request('b', get, 100))).toBe('RequestTimeoutError')
    expect(faults.join()).toMatch(/onRequest of b rejected/)
  })

  it('reports a frame that does not survive the codec', async () => {
    const broken = { ...CORE_CODEC, decodeFrame: () => { throw new Error('bad bytes') } }
    const { s, nets, faults } = await setup(['a', 'b'], { codec: broken })
    expect(await outcome(s, nets.a!.request('b', get, 100))).toBe('RequestTimeoutError')
    expect(faults).toHaveLength(1)
  })

  it('is deterministic: same seed, same arrival times', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const { s, nets } = await setup(['a', 'b'], { latencyJitterMs: 20 }, seed)
      const times: number[] = []
      await Promise.all(Array.from({ length: 10 }, async () => {
        await s.drive(nets.a!.request('b', get, 10_000), 10_000)
      }))
      for (let i = 0; i < 5; i++) {
        await s.drive(nets.a!.request('b', get, 10_000), 10_000)
        times.push(s.now)
      }
      return times
    }
    expect(await run(4)).toEqual(await run(4))
    expect(await run(4)).not.toEqual(await run(5))
  })
})

describe('SimHub connections and gossip', () => {
  it('full mesh: connection events follow partitions, heals and crashes', async () => {
    const { s, hub, logs } = await setup(['a', 'b', 'c'])
    expect(logs.a!.events.sort()).toEqual(['+b', '+c'])
    expect(logs.c!.events.sort()).toEqual(['+a', '+b'])
    hub.partition([['a'], ['b', 'c']])
    await s.advance(0)
    expect(logs.a!.events.slice(2).sort()).toEqual(['-b', '-c'])
    expect(hub.connectedPeersOf('b')).toEqual(['c'])
    hub.heal()
    await s.advance(0)
    expect(hub.connectedPeersOf('a')).toEqual(['b', 'c'])
    hub.crash('c')
    await s.advance(0)
    expect(logs.a!.events.at(-1)).toBe('-c')
    expect(hub.connectedPeersOf('a')).toEqual(['b'])
  })

  it('lazy mesh: connections open on dial and on requests only', async () => {
    const { s, hub, nets, logs } = await setup(['a', 'b', 'c'], { mesh: 'lazy' })
    expect(hub.connectedPeersOf('a')).toEqual([])
    expect(await s.drive(nets.a!.dial('b'), 100)).toBe('b')
    await s.advance(0)
    expect(nets.a!.connectedPeers()).toEqual(['b'])
    expect(logs.b!.events).toEqual(['+a'])
    await s.drive(nets.c!.request('a', get, 100), 100)
    expect(nets.a!.connectedPeers()).toEqual(['b', 'c'])
  })

  it('dial fails fast on a dead peer and after its timeout across a partition', async () => {
    const { s, hub, nets } = await setup(['a', 'b', 'c'], { dialTimeoutMs: 400 })
    hub.crash('b')
    expect(await outcome(s, nets.a!.dial('b'))).toBe('PeerUnreachableError')
    hub.isolate('c')
    const t0 = s.now
    expect(await outcome(s, nets.a!.dial('c'))).toBe('PeerUnreachableError')
    expect(s.now - t0).toBe(400)
  })

  it('gossips a record to every reachable running peer, and only the author\'s own', async () => {
    const { s, hub, nets, logs } = await setup(['a', 'b', 'c', 'd'])
    hub.partition([['a', 'b', 'c'], ['d']])
    hub.crash('c')
    nets.a!.announce({ record: record('a'), signature: new Uint8Array([1]) })
    nets.a!.announce({ record: record('someone-else'), signature: new Uint8Array([1]) })
    await s.advance(100)
    expect(logs.b!.announces).toEqual([['a', 'a']])
    expect(logs.c!.announces).toEqual([])
    expect(logs.d!.announces).toEqual([])
  })

  it('delivers an announcement already on the wire when its sender stops', async () => {
    // A leaving peer announces "left" and stops: the others must still hear it.
    const { s, nets, logs } = await setup(['a', 'b'], { latencyBaseMs: 20 })
    nets.a!.announce({ record: record('a'), signature: new Uint8Array([1]) })
    await nets.a!.stop()
    await s.advance(100)
    expect(logs.b!.announces).toEqual([['a', 'a']])
  })

  it('a restarted process gets a new endpoint; a live one cannot be duplicated', async () => {
    const { s, hub, nets } = await setup(['a', 'b'])
    expect(() => hub.endpoint('a')).toThrow(RangeError)
    hub.crash('a')
    const a2 = hub.endpoint('a')
    const log = newLog()
    await a2.start(handlers(log))
    await s.advance(0)
    expect(log.events).toEqual(['+b'])
    expect(await s.drive(nets.b!.request('a', get, 100), 100)).toEqual({ type: 'ok' })
    await settle()
  })
})
