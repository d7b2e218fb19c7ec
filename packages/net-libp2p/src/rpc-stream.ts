/**
 * One long-lived RPC stream to one peer, carrying length-prefixed frames (framing.ts) of
 * core's `encodeFrame`. Either end may send requests (matched to responses by id) and
 * serve the requests it receives; the network opens one stream per peer for its own
 * requests and serves on the streams the peer opened, so each stream carries one
 * direction's requests in practice.
 *
 * Every inbound frame is validated by `decodeFrame`. An invalid one is counted; a request
 * whose id is still readable gets an error response, a response whose id matches a pending
 * request fails that request; otherwise (or on a broken length prefix) the stream is reset.
 * Nothing a peer sends can throw out of here.
 *
 * Every resource a peer can make us hold is bounded (rpc-limits.ts, README.md's table), and
 * each bound, when hit, is counted in `stats` and logged once per episode:
 * - requests being served (`maxServing`, and fewer when the replies are large: at most
 *   as many as `maxUnsentReplyBytes` holds at the stream's average reply size, so the
 *   replies being prepared at once fit the backlog bound too) and unsent reply bytes (`maxUnsentReplyBytes`):
 *   beyond either we stop dispatching requests and stop reading the stream (the muxer's
 *   window then stops the peer) until they come back down; a reply that finds the backlog
 *   at `refuseUnsentReplyBytes` (its request was dispatched before reading stopped) is
 *   replaced by a short `unavailable` error naming the limit, so the backlog never exceeds
 *   that by more than one reply;
 * - a started frame must complete by its partial-frame deadline, or the stream is reset;
 * - the unfinished frames of one peer's streams together stay under a byte bound, or the
 *   stream that crossed it is reset;
 * - invalid frames draw on a per-peer budget; past it the stream is reset.
 */
import type { Stream } from '@libp2p/interface'
import { decodeFrame, encodeFrame } from '@ringstore/core'
import type { Frame, PeerId, Request, Response } from '@ringstore/core'
import { PeerUnreachableError, RemoteError, RequestTimeoutError } from '@ringstore/peer'
import type { Logger } from '@ringstore/peer'
import { ERROR_MESSAGE_CHARS, STREAM_CLOSE_TIMEOUT_MS } from './constants.js'
import { FrameBatcher } from './frame-batcher.js'
import { FrameDecoder, FramingError, encodeLength, peekFrameHeader } from './framing.js'
import { invalidFrameCost, partialFrameDeadlineMs } from './rpc-limits.js'
import type { RpcLimits } from './rpc-limits.js'
import type { NetworkStats } from './stats.js'

export interface RpcStreamInit {
  readonly stream: Stream
  readonly remote: PeerId
  /** Our requests in flight on this stream; callers beyond it queue. */
  readonly maxInFlight: number
  /** The stream's resource limits (rpc-limits.ts). */
  readonly limits: RpcLimits
  /**
   * Charges `cost` units (rpc-limits.ts's `invalidFrameCost`) to the remote peer's
   * invalid-frame budget (shared by its streams); false when the budget cannot pay and the
   * stream must be reset.
   */
  readonly chargeInvalid: (cost: number) => boolean
  /**
   * Takes one of the remote peer's serving slots (`maxServingPerPeer`, shared by its
   * streams); false when none is free. `releaseServing` gives it back.
   */
  readonly takeServing: () => boolean
  /** Unsent bytes over all the remote peer's streams (the refusal bound is per peer). */
  readonly peerUnsentBytes: () => number
  /** Bytes of unfinished frames buffered over all the remote peer's streams (maxPartialBytesPerPeer). */
  readonly peerPartialBytes: () => number
  readonly releaseServing: () => void
  /** Answers a request from `remote`; must not throw (a throw becomes an `internal` error response). */
  readonly serve: (request: Request) => Promise<Response>
  readonly stats: NetworkStats
  /** Called for every invalid inbound frame, after `stats.invalidFrames` was bumped. */
  readonly onInvalidFrame?: () => void
  readonly log: Logger
  /** Called once when the stream is gone (closed, reset, or aborted by us). */
  readonly onClosed: (rpc: RpcStream) => void
}

interface Pending {
  readonly resolve: (response: Response) => void
  readonly reject: (error: Error) => void
  readonly timer: ReturnType<typeof setTimeout>
}

interface Waiter {
  readonly admit: () => void
  readonly reject: (error: Error) => void
}

/** Request ids wrap here; they only need to be unique among requests in flight. */
const MAX_ID = 2 ** 31

export class RpcStream {
  readonly remote: PeerId
  readonly stream: Stream
  private readonly init: RpcStreamInit
  private readonly decoder = new FrameDecoder()
  private readonly batcher: FrameBatcher
  private readonly pending = new Map<number, Pending>()
  private readonly waiters: Waiter[] = []
  private nextId = 0
  /** Slots held by our requests (admitted, not yet finished). */
  private active = 0
  private serving = 0
  /** Average encoded size of our replies on this stream (0 until the first): see servingCap. */
  private replyBytesAverage = 0
  /** The last request was refused for the per-peer bound (logged once per run of refusals). */
  private refusedPerPeer = false
  /** The peer has sent requests on this stream (so its reply backlog may stop our reading). */
  private servesRequests = false
  /** Request frames not yet dispatched (a limit holds them), oldest at `heldAt`. */
  private held: Uint8Array[] = []
  private heldAt = 0
  /** Why we stopped reading, while we do (one log line and one count per episode). */
  private pausedFor: 'serving' | 'replies' | null = null
  private partialTimer: ReturnType<typeof setTimeout> | undefined
  /** Sequence number (FrameDecoder.partial) of the frame the partial timer is for. */
  private partialSeq = -1
  private closedError: Error | null = null

  constructor (init: RpcStreamInit) {
    this.init = init
    this.remote = init.remote
    this.stream = init.stream
    this.batcher = new FrameBatcher({
      // The return value (back-pressure) is not needed: the stream buffers what the muxer
      // cannot take yet, and `pump` stops reading requests while that backlog is too big.
      send: (piece) => { this.stream.send(piece) },
      // The stream buffers what the muxer cannot take: that backlog may stop our reading.
      afterFlush: () => { this.pump() },
      onError: (err) => {
        this.abort(new PeerUnreachableError(this.remote, `send failed: ${err instanceof Error ? err.message : String(err)}`))
      }
    })
    this.stream.addEventListener('message', (event) => {
      const data = event.data
      // A list is usually one buffer; walk its buffers rather than concatenating them.
      if (data instanceof Uint8Array) {
        this.onData(data)
        return
      }
      for (const buf of data) {
        if (this.closedError !== null) return
        this.onData(buf)
      }
    })
    // The muxer took some of the backlog: maybe we may read again. After the stream's own
    // drain handler, which sends the buffered bytes in a microtask.
    this.stream.addEventListener('drain', () => { queueMicrotask(() => { this.pump() }) })
    // The remote closed its writing end (it is stopping): no response or request will come
    // any more, so fail what is pending now rather than let it time out, and close ours.
    this.stream.addEventListener('remoteCloseWrite', () => {
      void this.close(new PeerUnreachableError(this.remote, 'peer closed the stream'))
    })
    this.stream.addEventListener('close', (event) => {
      this.shutDown(new PeerUnreachableError(this.remote, `stream closed${event.error === undefined ? '' : `: ${event.error.message}`}`))
    })
  }

  get open (): boolean {
    return this.closedError === null
  }

  /** Reply bytes queued here or in the stream and not yet taken by the muxer. */
  get unsentBytes (): number {
    return this.batcher.queuedBytes + this.stream.writeBufferLength
  }

  /** Requests in flight now (for tests and stats). */
  get inFlight (): number {
    return this.pending.size
  }

  /**
   * Sends `request` and resolves with the response. Rejects with RequestTimeoutError at
   * `deadline` (a `performance.now()` instant; `timeoutMs` is for the message),
   * PeerUnreachableError if the stream dies, RemoteError if the peer answers garbage.
   */
  async request (request: Request, deadline: number, timeoutMs: number): Promise<Response> {
    // Encode first: a request the codec refuses is the caller's bug, reported as such.
    const id = this.allocateId()
    const bytes = encodeFrame({ kind: 'request', id, request })
    await this.admit(deadline, timeoutMs)
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) {
          this.init.stats.timeouts++
          this.release()
          reject(new RequestTimeoutError(this.remote, timeoutMs))
        }
      }, Math.max(0, deadline - performance.now()))
      this.pending.set(id, { resolve, reject, timer })
      this.init.stats.requestsSent++
      this.sendFrame(bytes)
    })
  }

  /** Resets the stream (remote sees a reset); pending requests fail with `error`. */
  abort (error: Error): void {
    if (this.closedError !== null) return
    this.stream.abort(error)
    this.shutDown(error)
  }

  /** Closes our end politely, then fails whatever is still pending. */
  async close (error: Error): Promise<void> {
    if (this.closedError !== null) return
    // Frames produced this turn (responses already answered) go out before our FIN.
    this.batcher.flush()
    this.shutDown(error)
    try {
      await this.stream.close({ signal: AbortSignal.timeout(STREAM_CLOSE_TIMEOUT_MS) })
    } catch {
      this.stream.abort(error)
    }
  }

  // ---- in-flight bound ----

  /** Waits for one of the `maxInFlight` slots; RequestTimeoutError if none frees up by `deadline`. */
  private async admit (deadline: number, timeoutMs: number): Promise<void> {
    if (this.closedError !== null) throw this.closedError
    if (this.active < this.init.maxInFlight) {
      this.active++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        // `release` hands its slot over: `active` stays as it is.
        admit: () => { clearTimeout(timer); resolve() },
        reject: (error) => { clearTimeout(timer); reject(error) }
      }
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter)
        if (index >= 0) this.waiters.splice(index, 1)
        this.init.stats.timeouts++
        reject(new RequestTimeoutError(this.remote, timeoutMs))
      }, Math.max(0, deadline - performance.now()))
      this.waiters.push(waiter)
    })
  }

  /** A request finished (answered, failed or timed out): its slot goes to the next waiter. */
  private release (): void {
    const next = this.waiters.shift()
    if (next === undefined) this.active--
    else next.admit()
  }

  private allocateId (): number {
    for (;;) {
      const id = this.nextId
      this.nextId = (this.nextId + 1) % MAX_ID
      if (!this.pending.has(id)) return id
    }
  }

  // ---- inbound ----

  private onData (chunk: Uint8Array): void {
    let frames: Uint8Array[]
    try {
      frames = this.decoder.push(chunk)
    } catch (err) {
      this.invalid(err instanceof FramingError ? err.message : String(err), 0)
      this.abort(new PeerUnreachableError(this.remote, 'peer broke the RPC framing'))
      return
    }
    for (const bytes of frames) {
      if (this.closedError !== null) return
      // Responses settle our own requests (cheap, and they free memory): never held. The
      // limits are on the work and replies the peer's requests cost us.
      if (peekFrameHeader(bytes)?.kind === 'response') this.onFrame(bytes)
      else this.held.push(bytes)
    }
    if (!this.checkPartialBytes()) return
    this.watchPartial()
    this.pump()
  }

  /** Resets this stream when the peer's unfinished frames passed their bound; false then. */
  private checkPartialBytes (): boolean {
    if (this.decoder.bufferedBytes === 0) return true
    const limit = this.init.limits.maxPartialBytesPerPeer
    const total = this.init.peerPartialBytes()
    if (total > this.init.stats.partialBytesPeak) this.init.stats.partialBytesPeak = total
    if (total <= limit) return true
    this.init.stats.partialBytesResets++
    this.init.log.warn('unfinished frames past the per-peer bound: stream reset', { peer: this.remote, bufferedBytes: total, limit })
    this.abort(new PeerUnreachableError(this.remote, `unfinished frames of ${total} bytes exceed the per-peer bound of ${limit}`))
    return false
  }

  /** Bytes buffered for the frame in progress on this stream. */
  get partialBytes (): number {
    return this.decoder.bufferedBytes
  }

  /**
   * Dispatches held requests while the limits allow; reading stops while one is held, or
   * while the backlog is over its bound on a stream the peer sends requests on (the next
   * requests would only queue more replies; a stream carrying only our own requests and
   * their responses is never paused by our own backlog). Called on new frames, when a
   * request finishes, after a flush and on drain.
   */
  private pump (): void {
    if (this.closedError !== null) return
    this.notePeak()
    let blocked: 'serving' | 'replies' | null = null
    while (this.heldAt < this.held.length && this.closedError === null) {
      blocked = this.blockedBy()
      if (blocked !== null) break
      const bytes = this.held[this.heldAt] as Uint8Array
      this.held[this.heldAt++] = EMPTY
      this.onFrame(bytes)
    }
    if (this.heldAt === this.held.length) {
      this.held = []
      this.heldAt = 0
    }
    if (this.closedError !== null) return
    if (blocked === null) blocked = this.servesRequests && this.backlogBlocks() ? 'replies' : null
    this.setPaused(blocked)
  }

  /** The limit that forbids dispatching one more frame now, if any. */
  private blockedBy (): 'serving' | 'replies' | null {
    if (this.serving >= this.servingCap()) return 'serving'
    return this.backlogBlocks() ? 'replies' : null
  }

  /**
   * How many of the peer's requests may be served at once now. Each one served prepares a
   * reply before the backlog bound can see it: 256 requests for a 1 MiB value made 256 MiB
   * of replies (and as much of decoded records) at once, most of it then refused. So the
   * bound is also what the backlog bound holds at this stream's average reply size, and
   * `initialServing` until a reply has shown that size. Small replies (the common case)
   * keep the full `maxServing`.
   */
  private servingCap (): number {
    const { maxServing, initialServing, maxUnsentReplyBytes } = this.init.limits
    if (this.replyBytesAverage === 0) return Math.min(maxServing, initialServing)
    return Math.max(1, Math.min(maxServing, Math.floor(maxUnsentReplyBytes / this.replyBytesAverage)))
  }

  /**
   * Whether the reply backlog forbids dispatching another request: at or above the bound,
   * or (hysteresis, so reading does not flap) above half of it while already paused for it.
   */
  private backlogBlocks (): boolean {
    const limit = this.init.limits.maxUnsentReplyBytes
    const unsent = this.notePeak()
    if (unsent >= limit) return true
    return this.pausedFor === 'replies' && unsent >= limit / 2
  }

  /** This stream's reply backlog now; the peer's total is recorded in the high-water mark. */
  private notePeak (): number {
    const unsent = this.unsentBytes
    const total = unsent > 0 ? this.init.peerUnsentBytes() : 0
    if (total > this.init.stats.unsentReplyBytesPeak) this.init.stats.unsentReplyBytesPeak = total
    return unsent
  }

  private setPaused (reason: 'serving' | 'replies' | null): void {
    if (reason === this.pausedFor) return
    const was = this.pausedFor
    this.pausedFor = reason
    if (reason !== null) {
      if (reason === 'replies') {
        this.init.stats.replyBacklogPauses++
        this.init.log.warn('peer does not read its replies: stopped reading its requests', {
          peer: this.remote, unsentBytes: this.unsentBytes, limit: this.init.limits.maxUnsentReplyBytes
        })
      } else {
        this.init.stats.servingLimitPauses++
        this.init.log.debug('requests being served reached the limit: stopped reading', { peer: this.remote, limit: this.servingCap() })
      }
      if (was === null) {
        try { this.stream.pause() } catch { /* closing: nothing more to read anyway */ }
        // The frame in progress cannot complete while we do not read: its clock restarts on resume.
        this.stopPartialTimer()
      }
    } else {
      try { this.stream.resume() } catch { /* closing: nothing more to read anyway */ }
      this.watchPartial()
    }
  }

  // ---- partial frames ----

  /** Starts the deadline of the frame in progress, if any and not already running. */
  private watchPartial (): void {
    const partial = this.decoder.partial
    if (partial === null || this.pausedFor !== null) {
      this.stopPartialTimer()
      return
    }
    // A known length gets its own deadline: restart when the prefix completes.
    const key = partial.seq * 2 + (partial.bytes === 0 ? 0 : 1)
    if (this.partialTimer !== undefined && this.partialSeq === key) return
    this.stopPartialTimer()
    this.partialSeq = key
    const limitMs = partialFrameDeadlineMs(this.init.limits, partial.bytes)
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined
      if (this.closedError !== null) return
      this.init.stats.partialFrameTimeouts++
      this.init.log.warn('frame not completed in time: stream reset', { peer: this.remote, frameBytes: partial.bytes, limitMs })
      this.abort(new PeerUnreachableError(this.remote, `frame of ${partial.bytes} bytes not completed within ${limitMs} ms`))
    }, limitMs)
  }

  private stopPartialTimer (): void {
    clearTimeout(this.partialTimer)
    this.partialTimer = undefined
    this.partialSeq = -1
  }

  private onFrame (bytes: Uint8Array): void {
    let frame: Frame
    try {
      frame = decodeFrame(bytes)
    } catch (err) {
      this.onInvalidFrame(bytes, err instanceof Error ? err.message : String(err))
      return
    }
    if (frame.kind === 'request') this.serveRequest(frame.id, frame.request)
    else this.settle(frame.id, (p) => p.resolve(frame.response))
  }

  private onInvalidFrame (bytes: Uint8Array, reason: string): void {
    if (!this.invalid(reason, bytes.byteLength)) return
    const header = peekFrameHeader(bytes)
    if (header === null) {
      this.abort(new PeerUnreachableError(this.remote, 'peer sent an undecodable frame'))
    } else if (header.kind === 'request') {
      this.respond(header.id, { type: 'error', code: 'bad-request', message: truncate(`invalid request frame: ${reason}`) })
    } else {
      this.settle(header.id, (p) => p.reject(new RemoteError(this.remote, 'bad-request', truncate(`invalid response frame: ${reason}`))))
    }
  }

  /** Completes pending request `id` (a late response to a timed-out request is dropped). */
  private settle (id: number, complete: (pending: Pending) => void): void {
    const pending = this.pending.get(id)
    if (pending === undefined) {
      this.init.stats.lateResponses++
      return
    }
    this.pending.delete(id)
    clearTimeout(pending.timer)
    this.init.stats.responsesReceived++
    this.release()
    complete(pending)
  }

  private serveRequest (id: number, request: Request): void {
    this.servesRequests = true
    if (!this.init.takeServing()) {
      // The peer keeps more requests busy over its other streams: refuse, naming the limit
      // (waiting would need a wake-up across streams; the caller may retry or go elsewhere).
      this.init.stats.peerServingRefusals++
      if (!this.refusedPerPeer) {
        this.init.log.warn('peer has too many requests in flight: refusing', { peer: this.remote, limit: this.init.limits.maxServingPerPeer })
      }
      this.refusedPerPeer = true
      this.respond(id, { type: 'error', code: 'unavailable', message: `per-peer limit of ${this.init.limits.maxServingPerPeer} requests in flight reached` })
      return
    }
    this.refusedPerPeer = false
    this.serving++
    this.init.serve(request)
      .catch((err: unknown): Response => {
        this.init.log.error('request handler threw', { peer: this.remote, type: request.type, error: String(err) })
        return { type: 'error', code: 'internal', message: 'handler failed' }
      })
      .then((response) => {
        this.init.stats.requestsServed++
        this.respond(id, response)
      })
      .finally(() => {
        this.serving--
        this.init.releaseServing()
        this.pump()
      })
      .catch(() => undefined)
  }

  private respond (id: number, response: Response): void {
    const limit = this.init.limits.refuseUnsentReplyBytes
    // Over all the peer's streams: opening more streams must not multiply what it may park.
    if (response.type !== 'error' && this.init.peerUnsentBytes() >= limit) {
      // The peer has not read the replies before this one: refuse it rather than hold it
      // (its request was dispatched while the backlog was below the bound).
      this.init.stats.repliesRefused++
      response = { type: 'error', code: 'unavailable', message: `unsent reply limit of ${limit} bytes reached: read your replies` }
    }
    let bytes: Uint8Array
    try {
      bytes = encodeFrame({ kind: 'response', id, response })
    } catch (err) {
      // Our own handler produced something the codec refuses: a bug, but the caller still
      // deserves an answer rather than a timeout.
      this.init.log.error('response does not encode', { peer: this.remote, type: response.type, error: String(err) })
      bytes = encodeFrame({ kind: 'response', id, response: { type: 'error', code: 'internal', message: 'response does not encode' } })
    }
    // An exponential average (weight 1/8): a few large replies are enough to lower the
    // serving cap, and it recovers as quickly once they are small again. Not errors: a
    // refused reply is short, but what its request made us prepare was not.
    if (response.type !== 'error') {
      this.replyBytesAverage = this.replyBytesAverage === 0 ? bytes.byteLength : this.replyBytesAverage + (bytes.byteLength - this.replyBytesAverage) / 8
    }
    this.sendFrame(bytes)
  }

  // ---- outbound ----

  /**
   * Queues one frame for the end of this event-loop turn (frame-batcher.ts): frames from
   * concurrent callers never interleave, and all the frames of a turn share one muxer frame.
   */
  private sendFrame (bytes: Uint8Array): void {
    if (this.closedError !== null) return
    this.batcher.push(encodeLength(bytes.byteLength), bytes)
  }

  /**
   * Counts an invalid frame and charges the peer's budget; past the budget the stream is
   * reset (and false returned). Logged at warn only when the budget runs out (once per
   * stream, which it ends): a junk flood is not a log flood.
   */
  private invalid (reason: string, bytes: number): boolean {
    this.init.stats.invalidFrames++
    this.init.onInvalidFrame?.()
    if (this.init.chargeInvalid(invalidFrameCost(this.init.limits, bytes))) {
      this.init.log.debug('invalid frame', { peer: this.remote, reason })
      return true
    }
    this.init.stats.invalidFrameBudgetResets++
    this.init.log.warn('invalid-frame budget spent: stream reset', { peer: this.remote, reason, burst: this.init.limits.invalidFrameBurst })
    this.abort(new PeerUnreachableError(this.remote, 'peer spent its invalid-frame budget'))
    return false
  }

  private shutDown (error: Error): void {
    if (this.closedError !== null) return
    this.closedError = error
    this.batcher.discard()
    // Free what the peer made us buffer: a parked partial frame, undispatched requests.
    this.stopPartialTimer()
    this.decoder.clear()
    this.held = []
    this.heldAt = 0
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
    this.pending.clear()
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
    this.init.onClosed(this)
  }
}

const EMPTY = new Uint8Array(0)

function truncate (message: string): string {
  return message.length <= ERROR_MESSAGE_CHARS ? message : `${message.slice(0, ERROR_MESSAGE_CHARS - 1)}…`
}
