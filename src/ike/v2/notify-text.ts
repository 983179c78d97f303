/**
 * What a peer's error notify means, in words an administrator can act on
 * (RFC 7296 §3.10.1). Used in failure records and logs.
 */
import { NotifyType, nameOf } from '../../iana/ikev2.js';

const MEANING: Readonly<Record<number, string>> = {
  [NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD]: 'the peer does not understand a payload we marked critical',
  [NotifyType.INVALID_IKE_SPI]: 'the peer has no IKE SA with these SPIs (it may have restarted)',
  [NotifyType.INVALID_MAJOR_VERSION]: 'the peer does not speak this IKE version',
  [NotifyType.INVALID_SYNTAX]: 'the peer found our message malformed or inconsistent',
  [NotifyType.INVALID_MESSAGE_ID]: 'the peer rejected our message ID (window out of sync)',
  [NotifyType.INVALID_SPI]: 'the peer does not know the ESP/AH SPI we referenced',
  [NotifyType.NO_PROPOSAL_CHOSEN]: 'none of our proposed algorithm sets is acceptable to the peer: compare proposals / esp_proposals on both sides',
  [NotifyType.INVALID_KE_PAYLOAD]: 'the peer wants a different key exchange method (DH group)',
  [NotifyType.AUTHENTICATION_FAILED]: 'the peer could not authenticate us: check the identities (id) on both sides, and the pre-shared key (auth = psk) or the key pair (auth = pubkey: our private key must match the public key the peer has in its remote pubkeys)',
  [NotifyType.SINGLE_PAIR_REQUIRED]: 'the peer accepts only a single pair of traffic selectors',
  [NotifyType.NO_ADDITIONAL_SAS]: 'the peer refuses more CHILD SAs on this IKE SA',
  [NotifyType.INTERNAL_ADDRESS_FAILURE]: 'the peer could not assign a virtual IP address',
  [NotifyType.FAILED_CP_REQUIRED]: 'the peer requires a configuration payload (virtual IP request)',
  [NotifyType.TS_UNACCEPTABLE]: 'the peer accepts none of our traffic selectors: compare local_ts / remote_ts on both sides',
  [NotifyType.INVALID_SELECTORS]: 'the peer received ESP traffic that does not match the SA selectors',
  [NotifyType.TEMPORARY_FAILURE]: 'the peer is busy (e.g. a rekey collision); it will be retried',
  [NotifyType.CHILD_SA_NOT_FOUND]: 'the peer does not know the CHILD SA we tried to rekey',
};

/** "NO_PROPOSAL_CHOSEN (none of our proposed ...)" */
export function describeNotify(type: number): string {
  const name = nameOf(NotifyType, type);
  const meaning = MEANING[type];
  return meaning === undefined ? name : `${name} (${meaning})`;
}
