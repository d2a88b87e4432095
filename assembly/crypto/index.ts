// Hashing entry points (filled in by the crypto work).
export const HAS_SIMD: bool = ASC_FEATURE_SIMD;
