import { describe, it, expect } from 'vitest'
import '../src/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { MessageStream, Upgrader } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { cheapenLengthDecoder, tuneEncrypter } from '../src/encrypter-tuning.js'

async function encrypter () {
  const privateKey = await generateKeyPair('Ed25519')
  const upgrader = { getStreamMuxers: () => new Map() } as unknown as Upgrader
  return { peerId: peerIdFromPrivateKey(privateKey), encrypter: tuneEncrypter(noise())({ privateKey, peerId: peerIdFromPrivateKey(privateKey), logger: defaultLogger(), upgrader }) }
}

function decoderOf (connection: MessageStream): unknown {
  return (connection as unknown as { decoder: { lengthDecoder: unknown } }).decoder.lengthDecoder
}

describe('tuneEncrypter (noise)', () => {
  it('still applies its length-decoder patch to noise connections, and they carry every byte', async () => {
    const [a, b] = await Promise.all([encrypter(), encrypter()])
    const [outbound, inbound] = multiaddrConnectionPair()
    const options = { skipStreamMuxerNegotiation: true }
    const [left, right] = await Promise.all([
      a.encrypter.secureOutbound(outbound, { ...options, remotePeer: b.peerId }),
      b.encrypter.secureInbound(inbound, options)
    ])
    // Both ends carry our decoder, not noise's own uint16BEDecode.
    expect((decoderOf(left.connection) as { name: string }).name).toBe('cheapUint16BEDecode')
    expect((decoderOf(right.connection) as { name: string }).name).toBe('cheapUint16BEDecode')
    expect(cheapenLengthDecoder(left.connection)).toBe(true)
    expect(cheapenLengthDecoder({} as MessageStream)).toBe(false)

    // Messages of every size, several noise messages each for the big ones, arriving in
    // whatever chunks the pair delivers: the decoder must wait for partial prefixes.
    const sizes = [1, 2, 3, 100, 65_519, 65_520, 200_000]
    const sent = sizes.map((n, i) => new Uint8Array(n).fill(i + 1))
    const expected = sent.reduce((n, s) => n + s.byteLength, 0)
    const received: Uint8Array[] = []
    let total = 0
    const done = new Promise<void>((resolve) => {
      right.connection.addEventListener('message', (event) => {
        const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
        received.push(data)
        total += data.byteLength
        if (total >= expected) resolve()
      })
    })
    for (const s of sent) left.connection.send(s)
    await done
    expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true)
    await Promise.all([left.connection.close(), right.connection.close()]).catch(() => undefined)
  })
})
