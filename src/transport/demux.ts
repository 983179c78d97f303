/**
 * Demultiplexing of UDP datagrams received on the IKE and NAT-T ports.
 *
 * RFC 3948 §2.1-2.3: on the NAT-T port (4500) three kinds of datagram share
 * one socket, told apart by the first bytes of the UDP payload:
 *
 *   NAT-keepalive (§2.3)      +-+-+-+-+-+-+-+-+
 *                             |     0xFF      |       exactly one octet
 *                             +-+-+-+-+-+-+-+-+
 *
 *   IKE with non-ESP marker (§2.2)
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Non-ESP Marker (0)                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~                    IKE header and payloads                    ~
 *
 *   UDP-encapsulated ESP (§2.1): the payload starts with the ESP SPI,
 *   which is never 0 (RFC 4303 §2.1 reserves SPI 0), then the sequence number.
 *
 * On the IKE port (500) every datagram is IKE (RFC 7296 §2.23: a marker is
 * only used on port 4500).
 */

/** RFC 7296 §3.1: the fixed IKE header is 28 octets. */
export const IKE_HEADER_LEN = 28;
/** RFC 3948 §2.2 */
export const NON_ESP_MARKER_LEN = 4;
/** RFC 4303 §2: SPI + sequence number */
export const ESP_MIN_LEN = 8;

export type Demuxed =
  | { readonly kind: 'ike'; readonly bytes: Uint8Array }
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'esp'; readonly bytes: Uint8Array }
  | { readonly kind: 'short' };

/** Classifies a datagram received on the IKE port (no marker expected). */
export function demuxIkePort(payload: Uint8Array): Demuxed {
  if (payload.length < IKE_HEADER_LEN) return { kind: 'short' };
  return { kind: 'ike', bytes: payload };
}

/** Classifies a datagram received on the NAT-T port. */
export function demuxNatTPort(payload: Uint8Array): Demuxed {
  // RFC 3948 §2.3: a one-octet payload of 0xFF is a NAT-keepalive; ignore it.
  if (payload.length === 1 && payload[0] === 0xff) return { kind: 'keepalive' };
  if (payload.length < NON_ESP_MARKER_LEN) return { kind: 'short' };
  const isMarker = payload[0] === 0 && payload[1] === 0 && payload[2] === 0 && payload[3] === 0;
  if (isMarker) {
    if (payload.length < NON_ESP_MARKER_LEN + IKE_HEADER_LEN) return { kind: 'short' };
    return { kind: 'ike', bytes: payload.subarray(NON_ESP_MARKER_LEN) };
  }
  if (payload.length < ESP_MIN_LEN) return { kind: 'short' };
  return { kind: 'esp', bytes: payload };
}

/** Prepends the non-ESP marker for sending IKE from the NAT-T port (RFC 3948 §2.2). */
export function addNonEspMarker(ike: Uint8Array): Uint8Array {
  const out = new Uint8Array(NON_ESP_MARKER_LEN + ike.length);
  out.set(ike, NON_ESP_MARKER_LEN);
  return out;
}
