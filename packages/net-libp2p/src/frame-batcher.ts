/**
 * Coalesces the length-prefixed frames an RPC stream produces during one event-loop turn
 * into as few `stream.send` calls as possible. Every `send` on a libp2p stream runs
 * synchronously down the whole stack: one yamux frame, one noise message (two TCP writes:
 * its length and its ciphertext) and a window update from the peer for every data frame it
 * receives. At 64 requests in flight that per-send cost dominated the CPU profile, so
 * frames now wait for the end of the turn and leave together.
 *
 * Small frames are copied behind their prefix into one contiguous piece (a copy of a few
 * KiB is far cheaper than a send); a frame above `copyLimit` bytes is passed on as its own
 * piece, uncopied, right after the piece holding its prefix. A piece never exceeds
 * `maxPieceBytes`, so it stays one noise message. Pieces go to the sink in frame order.
 *
 * No `node:` import: the browser build shares this file.
 */
import { COPY_LIMIT_BYTES, MAX_PIECE_BYTES } from './constants.js'

/** Runs `flush` once, soon, after the current batch of I/O callbacks. */
export type FlushScheduler = (flush: () => void) => void

/**
 * The end of an event-loop turn, in two lanes: frame flushes first, then `afterFlushes`
 * tasks (tcp-cork.ts uncorks its sockets there, so that a turn's frames and the muxer's
 * window updates leave in one write). One timer per turn, not one per stream.
 */
const flushLane: Array<() => void> = []
const afterLane: Array<() => void> = []
let turnScheduled = false

/**
 * Node: `setImmediate` runs after the poll phase, so every socket callback of the turn has
 * added its frames first. Browsers have no `setImmediate`: a microtask still joins all the
 * frames of one task (one WebSocket/WebRTC message and the promise chains it resolves).
 */
const scheduleTurn: (run: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (run) => { globalThis.setImmediate(run) }
    : (run) => { queueMicrotask(run) }

function runTurn (): void {
  turnScheduled = false
  // A flush may schedule after-tasks (it writes to a corked socket); an after-task never
  // schedules a flush, so two passes drain both lanes. Each task guards its own errors.
  while (flushLane.length > 0 || afterLane.length > 0) {
    for (const task of flushLane.splice(0)) runGuarded(task)
    for (const task of afterLane.splice(0)) runGuarded(task)
  }
}

function runGuarded (task: () => void): void {
  try {
    task()
  } catch {
    // Tasks handle their own failures; a throw here would be an uncaught exception.
  }
}

function enqueue (lane: Array<() => void>, task: () => void): void {
  lane.push(task)
  if (!turnScheduled) {
    turnScheduled = true
    scheduleTurn(runTurn)
  }
}

/** The default FlushScheduler: the first lane of the end of the turn. */
export const defaultFlushScheduler: FlushScheduler = (flush) => { enqueue(flushLane, flush) }

/** Runs `task` at the end of this turn, after every frame flush of the turn. */
export function afterFlushes (task: () => void): void {
  enqueue(afterLane, task)
}

export interface FrameBatcherInit {
  /** Writes one piece, in order. May throw: the batch is dropped and `onError` is called. */
  readonly send: (piece: Uint8Array) => void
  readonly onError: (error: unknown) => void
  /** Called after a flush handed every piece to the sink (the RPC stream then checks its reply backlog). */
  readonly afterFlush?: () => void
  readonly schedule?: FlushScheduler
  readonly maxPieceBytes?: number
  readonly copyLimit?: number
}

export class FrameBatcher {
  private readonly init: FrameBatcherInit
  private readonly schedule: FlushScheduler
  private readonly maxPieceBytes: number
  private readonly copyLimit: number
  /** Small parts (prefixes and copied frames) of the piece being built. */
  private parts: Uint8Array[] = []
  private partsBytes = 0
  /** Finished pieces waiting for the flush, in order. */
  private pieces: Uint8Array[] = []
  private scheduled = false
  /** Bytes (prefixes and payloads) pushed and not yet handed to the sink. */
  private queued = 0
  private closed = false

  constructor (init: FrameBatcherInit) {
    this.init = init
    this.schedule = init.schedule ?? defaultFlushScheduler
    this.maxPieceBytes = init.maxPieceBytes ?? MAX_PIECE_BYTES
    this.copyLimit = Math.min(init.copyLimit ?? COPY_LIMIT_BYTES, this.maxPieceBytes)
  }

  /** Frames (prefix + payload) queued and not yet handed to the sink. */
  get pending (): boolean {
    return this.partsBytes > 0 || this.pieces.length > 0
  }

  /** Bytes queued and not yet handed to the sink (part of an RPC stream's reply backlog). */
  get queuedBytes (): number {
    return this.queued
  }

  /** Queues one frame: its length `prefix` and its `payload`. Ignored after `discard`. */
  push (prefix: Uint8Array, payload: Uint8Array): void {
    if (this.closed) return
    this.queued += prefix.byteLength + payload.byteLength
    if (payload.byteLength > this.copyLimit) {
      this.addPart(prefix)
      this.sealPiece()
      this.pieces.push(payload)
    } else {
      this.addPart(prefix)
      this.addPart(payload)
    }
    if (!this.scheduled) {
      this.scheduled = true
      this.schedule(() => {
        this.scheduled = false
        // A timer callback must never throw: that would crash the process.
        try { this.flush() } catch { this.discard() }
      })
    }
  }

  /** Hands everything queued to the sink now (also before closing the stream). */
  flush (): void {
    if (this.closed) return
    this.sealPiece()
    const pieces = this.pieces
    this.pieces = []
    this.queued = 0
    try {
      for (const piece of pieces) this.init.send(piece)
    } catch (err) {
      this.init.onError(err)
      return
    }
    this.init.afterFlush?.()
  }

  /** Drops whatever is queued and refuses further frames (the stream is gone). */
  discard (): void {
    this.closed = true
    this.parts = []
    this.partsBytes = 0
    this.pieces = []
    this.queued = 0
  }

  /** Adds a small part, starting a new piece first if it would not fit. */
  private addPart (part: Uint8Array): void {
    if (this.partsBytes + part.byteLength > this.maxPieceBytes) this.sealPiece()
    this.parts.push(part)
    this.partsBytes += part.byteLength
  }

  /** Turns the small parts into one contiguous piece. */
  private sealPiece (): void {
    if (this.partsBytes === 0) return
    const parts = this.parts
    let piece: Uint8Array
    if (parts.length === 1) {
      piece = parts[0] as Uint8Array
    } else {
      piece = new Uint8Array(this.partsBytes)
      let at = 0
      for (const part of parts) {
        piece.set(part, at)
        at += part.byteLength
      }
    }
    this.parts = []
    this.partsBytes = 0
    this.pieces.push(piece)
  }
}
