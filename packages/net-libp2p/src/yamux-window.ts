/**
 * Yamux window updates once half the receive window is used, not after every data frame.
 *
 * @libp2p/yamux (8.x) answers every data frame a stream receives with a window-update frame
 * of its own. For an RPC stream carrying one small request or reply per frame that doubles
 * the frames on the wire, and when the update is the only thing the receiver has to send in
 * that event-loop turn (a coordinator taking a replica's reply) it costs a whole encrypted
 * socket write: in a profile of sequential GETs through a daemon, the writes were a third
 * of the coordinator's CPU and about two in five of them carried nothing but a window update.
 *
 * Go's yamux and the yamux spec's reference implementation send an update only once the
 * unreported delta reaches half the window. This does the same: while a stream is
 * established and at least half its receive window is still free, the update is deferred;
 * the data frame that takes it below half sends one update for everything received so
 * far. The sender can always send half a window ahead, so flow control never stalls, and
 * a paused stream (back-pressure from a slow reader) still goes through yamux's own path.
 * The frames on the wire stay valid yamux: fewer, larger window updates.
 *
 * Patched on the prototype once per process: the stream class is yamux's own export.
 */
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'

interface WindowState {
  readonly state: StreamState
  readonly recvWindow: number
  readonly recvWindowCapacity: number
}

type SendWindowUpdate = (this: WindowState) => void

let patched = false

/** Applies the lazy rule to every yamux stream of this process; true once it is in place. */
export function lazyYamuxWindowUpdates (): boolean {
  if (patched) return true
  const prototype = YamuxStream.prototype as unknown as { sendWindowUpdate?: SendWindowUpdate }
  const eager = prototype.sendWindowUpdate
  // A yamux release that renamed the method (or made it non-configurable) keeps its own
  // behaviour: correct, only chattier.
  if (typeof eager !== 'function') return false
  prototype.sendWindowUpdate = function (this: WindowState): void {
    if (this.state === StreamState.Established && this.recvWindowCapacity * 2 >= this.recvWindow) return
    eager.call(this)
  }
  patched = true
  return true
}
