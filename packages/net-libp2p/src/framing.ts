/**
 * Length-prefixed frames on a byte stream: an unsigned LEB128 varint (the libp2p
 * convention) followed by that many bytes. Our own small decoder rather than
 * `lpStream`: the RPC stream is read by events, many requests share it, and we want an
 * oversized or malformed prefix to be refused the moment it is seen, before buffering.
 */
import { MAX_FRAME_BYTES } from './constants.js'

/** The length prefix (or the buffered bytes) breaks the framing; the stream cannot be resynchronised. */
export class FramingError extends Error {
  static override name = 'FramingError'
  override name = 'FramingError'
}

/** Varint bytes needed for MAX_FRAME_BYTES (2^23: four 7-bit groups); more is malformed. */
const MAX_PREFIX_BYTES = 4

export function encodeLength (length: number): Uint8Array {
  const out: number[] = []
  let n = length
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/** Splits a byte stream into frames; `push` returns the frames completed by a chunk. */
export class FrameDecoder {
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** Payload length of the frame being read, once its prefix is known. */
  private need = -1

  /** Frames completed so far: tells one partial frame from the next. */
  private completed = 0

  constructor (private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /**
   * The frame in progress: its announced payload length (0 while its prefix is still
   * incomplete) and its sequence number; null when nothing is buffered.
   */
  get partial (): { readonly bytes: number, readonly seq: number } | null {
    if (this.need < 0 && this.buffered === 0) return null
    return { bytes: Math.max(0, this.need), seq: this.completed }
  }

  /** Bytes buffered for the frame in progress (its prefix included): what a parked frame holds. */
  get bufferedBytes (): number {
    return this.buffered
  }

  /** Drops everything buffered (the stream is gone). */
  clear (): void {
    this.chunks = []
    this.buffered = 0
    this.need = -1
  }

  push (chunk: Uint8Array): Uint8Array[] {
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
    }
    const frames: Uint8Array[] = []
    for (;;) {
      if (this.need < 0 && !this.readPrefix()) break
      if (this.buffered < this.need) break
      frames.push(this.take(this.need))
      this.need = -1
      this.completed++
    }
    return frames
  }

  /** Reads the varint prefix if complete; throws FramingError if it is malformed or too large. */
  private readPrefix (): boolean {
    let value = 0
    let index = 0
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        value += (byte & 0x7f) * 2 ** (7 * index)
        index++
        if ((byte & 0x80) === 0) {
          if (value > this.maxFrameBytes) throw new FramingError(`frame of ${value} bytes exceeds the limit of ${this.maxFrameBytes}`)
          this.take(index)
          this.need = value
          return true
        }
        if (index >= MAX_PREFIX_BYTES) throw new FramingError(`length prefix longer than ${MAX_PREFIX_BYTES} bytes`)
      }
    }
    return false
  }

  /** Removes and returns the first `n` buffered bytes (no copy when one chunk holds them). */
  private take (n: number): Uint8Array {
    const first = this.chunks[0]
    if (first !== undefined && first.byteLength >= n) {
      if (first.byteLength === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return first.subarray(0, n)
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.chunks[0] as Uint8Array
      const part = Math.min(chunk.byteLength, n - filled)
      out.set(chunk.subarray(0, part), filled)
      filled += part
      if (part === chunk.byteLength) this.chunks.shift()
      else this.chunks[0] = chunk.subarray(part)
    }
    this.buffered -= n
    return out
  }
}

/**
 * The kind and id of a frame whose body failed to decode, read from its first bytes
 * (`[kind, id, body]` as a CBOR array, codec-messages.ts), so that a bad request can still
 * be answered with an error response. Null when even that much is unreadable.
 */
export function peekFrameHeader (bytes: Uint8Array): { kind: 'request' | 'response', id: number } | null {
  // 0x83 = CBOR array of three elements; kind 0 = request, 1 = response (unsigned ints).
  if (bytes.byteLength < 3 || bytes[0] !== 0x83) return null
  const kind = bytes[1] === 0x00 ? 'request' : bytes[1] === 0x01 ? 'response' : null
  if (kind === null) return null
  const id = readCborUint(bytes, 2)
  return id === null ? null : { kind, id }
}

/** A CBOR unsigned integer (major type 0) at `at`, up to 2^53-1; null otherwise. */
function readCborUint (bytes: Uint8Array, at: number): number | null {
  const head = bytes[at]
  if (head === undefined || head >> 5 !== 0) return null
  const info = head & 0x1f
  if (info < 24) return info
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
  if (size === 0 || bytes.byteLength < at + 1 + size) return null
  let value = 0
  for (let i = 1; i <= size; i++) value = value * 256 + (bytes[at + i] as number)
  return Number.isSafeInteger(value) ? value : null
}
