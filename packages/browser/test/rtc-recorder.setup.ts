/**
 * Browser setup file: records the configuration of every RTCPeerConnection the page
 * creates, so a spec can check that none names an ICE server (a STUN request would leave
 * the machine). Runs before the specs import anything, as @libp2p/webrtc captures the
 * constructor when it loads.
 */
const Original = globalThis.RTCPeerConnection
const configurations: RTCConfiguration[] = []

class RecordingPeerConnection extends Original {
  constructor (configuration?: RTCConfiguration) {
    configurations.push({ ...configuration, iceServers: [...(configuration?.iceServers ?? [])] })
    super(configuration)
  }
}

globalThis.RTCPeerConnection = RecordingPeerConnection
;(globalThis as { rtcConfigurations?: RTCConfiguration[] }).rtcConfigurations = configurations
