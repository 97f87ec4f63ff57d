// Public surface of the block clock and audit chain. `canonicalJson` itself is exported by
// registry/; `encodeEvent` is the chain's name for it (see canonical-json.ts for the rules).
export * from './block-clock.ts';
export { GENESIS_PREV_HASH, blockHash, encodeEvent, eventHash, eventsRoot, makeBlock, sealBlocks } from './hash-chain.ts';
export type { BlockHeader, BlockWithEvents } from './hash-chain.ts';
export { hashBytes, hexToBytes, isHash, leafHash, merkleRoot, nodeHash } from './merkle.ts';
export type { Sha256Hex } from './merkle.ts';
export * from './verify-chain.ts';
