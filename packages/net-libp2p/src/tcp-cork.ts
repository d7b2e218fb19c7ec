/**
 * Node only: one `writev` per TCP connection per event-loop turn instead of one `write`
 * per buffer. Under libp2p 3 every noise message costs two socket writes (its 2-byte
 * length, then its ciphertext: @libp2p/tcp writes each buffer of the list it is given),
 * and yamux answers every data frame it receives with a window-update frame of its own,
 * sent synchronously from the socket's data callback. Corking the socket on the first
 * write of a turn and uncorking it after the RPC streams flushed their frames
 * (frame-batcher.ts `afterFlushes`) sends all of that as one system call.
 *
 * Applied by encrypter-tuning.ts: the connection encrypter is the first layer that
 * receives the raw transport connection. Anything that is not a TCP socket (WebSockets,
 * relayed connections) passes through untouched. The bytes on the wire are the same.
 */
import { Socket } from 'node:net'
import type { MessageStream } from '@libp2p/interface'
import { afterFlushes } from './frame-batcher.js'

/**
 * Corks the connection's socket at its first write of a turn; uncorks at the end of the
 * turn, or earlier when the held bytes would pass the socket's high-water mark, so that a
 * `write` returns false (back-pressure) only when the kernel really is behind.
 */
export function corkPerTurn<T extends MessageStream> (connection: T): T {
  const socket: unknown = (connection as { socket?: unknown }).socket
  if (!(socket instanceof Socket)) return connection
  let corked = false
  const uncork = (): void => {
    if (!corked) return
    corked = false
    socket.uncork()
  }
  const write = socket.write as (chunk: unknown, ...rest: unknown[]) => boolean
  socket.write = function (this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
    // Never signal back-pressure only because we held bytes back: past the high-water
    // mark, send what is held first (a big turn takes a few writes instead of one).
    const size = chunk instanceof Uint8Array ? chunk.byteLength : 0
    if (corked && socket.writableLength > 0 && socket.writableLength + size > socket.writableHighWaterMark) uncork()
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      afterFlushes(uncork)
    }
    return write.call(this, chunk, ...rest)
  } as Socket['write']
  return connection
}
