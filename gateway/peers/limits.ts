// Peer link limits, docs/protocol.md §1.4–1.5 (one place, so tests and docs can name them).
export const PEER_SUBPROTOCOL = 'chattor.peer.v1';
export const PEER_PATH = '/peer';
export const PING_INTERVAL_MS = 20_000;
export const DIAL_TIMEOUT_MS = 60_000;
export const MAX_PENDING_DIALS = 8;
export const MAX_LINKS = 512;
export const RATE_FRAMES = { perSecond: 2000, burst: 4000 };
export const RATE_BYTES = { perSecond: 64 * 1024 * 1024, burst: 128 * 1024 * 1024 };
export const MAX_PROTOCOL_ERRORS = 1000;
/** Above this many bytes queued on a link's socket, senders should wait (backpressure). */
export const HIGH_WATER_MARK = 4 * 1024 * 1024;

/** Unsent bytes on a peer link above which bulk frames (file chunks) are refused (§6.4). */
export const BULK_HIGH_WATER = 8 * 1024 * 1024;
