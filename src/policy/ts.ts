/**
 * Traffic selector policy (RFC 7296 §2.9, §3.13.1): one import point for
 * ranges/conversions (ts-range.ts), narrowing (ts-narrow.ts) and CHILD_SA
 * config choice (child-select.ts).
 */
export {
  type TsRange,
  OPAQUE_END,
  OPAQUE_START,
  formatTs,
  isAnyPort,
  isOpaquePorts,
  resolveTs,
  tsFromWire,
  tsListFromWire,
  tsToWire,
} from './ts-range.js';
export { type TsCheck, intersectTs, narrowTs, tsContains, tsEquals, tsSize, validateResponseTs } from './ts-narrow.js';
export {
  type ChildCandidate,
  type ChildSelectDiagnostic,
  type ChildSelection,
  type DynamicAddresses,
  childCandidatesOf,
  selectChildConfig,
} from './child-select.js';
