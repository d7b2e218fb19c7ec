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
 */
import type { Stream } from '@libp2p/interface'
import { decodeFrame, encodeFrame } from '@ringstore/core'
import type { Frame, PeerId, Request, Response } from '@ringstore/core'
import { PeerUnreachableError, RemoteError, RequestTimeoutError } from '@ringstore/peer'
import type { Logger } from '@ringstore/peer'
import { ERROR_MESSAGE_CHARS, STREAM_CLOSE_TIMEOUT_MS } from './constants.js'
import { FrameBatcher } from './frame-batcher.js'
import { FrameDecoder, FramingError, encodeLength, peekFrameHeader } from './framing.js'
import type { NetworkStats } from './stats.js'

export interface RpcStreamInit {
  readonly stream: Stream
  readonly remote: PeerId
  /** Our requests in flight on this stream; callers beyond it queue. */
  readonly maxInFlight: number
  /** Remote requests served at once before we stop reading. */
  readonly maxServing: number
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
  private paused = false
  private closedError: Error | null = null

  constructor (init: RpcStreamInit) {
    this.init = init
    this.remote = init.remote
    this.stream = init.stream
    this.batcher = new FrameBatcher({
      // The return value (back-pressure) is ignored as before: the stream buffers what the
      // muxer cannot take yet, and that buffer is bounded by the in-flight limits at both ends.
      send: (piece) => { this.stream.send(piece) },
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
      this.invalid(err instanceof FramingError ? err.message : String(err))
      this.abort(new PeerUnreachableError(this.remote, 'peer broke the RPC framing'))
      return
    }
    for (const bytes of frames) {
      if (this.closedError !== null) return
      this.onFrame(bytes)
    }
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
    this.invalid(reason)
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
    this.serving++
    if (this.serving >= this.init.maxServing && !this.paused) {
      this.paused = true
      this.stream.pause()
    }
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
        if (this.paused && this.serving < this.init.maxServing && this.closedError === null) {
          this.paused = false
          this.stream.resume()
        }
      })
      .catch(() => undefined)
  }

  private respond (id: number, response: Response): void {
    let bytes: Uint8Array
    try {
      bytes = encodeFrame({ kind: 'response', id, response })
    } catch (err) {
      // Our own handler produced something the codec refuses: a bug, but the caller still
      // deserves an answer rather than a timeout.
      this.init.log.error('response does not encode', { peer: this.remote, type: response.type, error: String(err) })
      bytes = encodeFrame({ kind: 'response', id, response: { type: 'error', code: 'internal', message: 'response does not encode' } })
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

  private invalid (reason: string): void {
    this.init.stats.invalidFrames++
    this.init.onInvalidFrame?.()
    this.init.log.warn('invalid frame', { peer: this.remote, reason })
  }

  private shutDown (error: Error): void {
    if (this.closedError !== null) return
    this.closedError = error
    this.batcher.discard()
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
    this.pending.clear()
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
    this.init.onClosed(this)
  }
}

function truncate (message: string): string {
  return message.length <= ERROR_MESSAGE_CHARS ? message : `${message.slice(0, ERROR_MESSAGE_CHARS - 1)}…`
}
