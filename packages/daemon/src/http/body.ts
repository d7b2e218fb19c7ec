/**
 * Reading a request body with a size cap. Nothing beyond the cap is ever buffered: an
 * announced Content-Length above it is refused before reading, and a body that grows past
 * it (chunked uploads) is refused the moment it does. The refused rest of the body is
 * drained and discarded after the 413 went out (closing a socket with unread input makes
 * the kernel send a reset, and the client may lose our reply), but only up to
 * DRAIN_MAX_BYTES / DRAIN_MAX_MS, after which the connection is cut.
 */
import type { IncomingMessage } from 'node:http'
import { DRAIN_MAX_BYTES, DRAIN_MAX_MS } from '../constants.js'
import { HttpError } from './respond.js'

/** The client went away mid-body: there is nobody to answer. */
export class ClientAbortedError extends Error {
  static override name = 'ClientAbortedError'
  override name = 'ClientAbortedError'
}

export function tooLarge (limit: number, size?: number): HttpError {
  const message = size === undefined ? `value exceeds the limit of ${limit} bytes` : `value of ${size} bytes exceeds the limit of ${limit} bytes`
  return new HttpError(413, 'value_too_large', message, { limit })
}

export async function readBody (req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit, Number(declared))
  return await new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let refused = false
    const onData = (chunk: Buffer): void => {
      if (refused) return
      size += chunk.byteLength
      if (size > limit) {
        refused = true
        chunks.length = 0
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const cleanup = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onEnd = (): void => {
      cleanup()
      if (!refused) resolve(ownCopy(chunks, size))
    }
    const onError = (error: Error): void => { cleanup(); reject(new ClientAbortedError(error.message)) }
    const onClose = (): void => {
      if (req.complete) return
      cleanup()
      reject(new ClientAbortedError('client closed the connection mid-body'))
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

/**
 * The body as a plain Uint8Array over an ArrayBuffer of its own, copied once. It used to
 * be `new Uint8Array(Buffer.concat(...))`: two copies, the first into Node's shared pool
 * slab (bodies under 4 KiB), which a value kept by the engine must not hold on to.
 */
function ownCopy (chunks: readonly Buffer[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

/**
 * After a reply that did not read the whole body (413, or an error raised before reading):
 * discard what is still coming, within bounds, so the client gets to read our reply.
 */
export function discardRestOfBody (req: IncomingMessage): void {
  if (req.complete) return
  let discarded = 0
  const hangUp = (): void => { req.socket.destroy() }
  const timer = setTimeout(hangUp, DRAIN_MAX_MS)
  timer.unref()
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.byteLength
    if (discarded > DRAIN_MAX_BYTES) hangUp()
  })
  req.on('end', () => clearTimeout(timer))
  req.on('close', () => clearTimeout(timer))
  req.resume()
}
