// Code-signature entry points (SuperBlob walk, CodeDirectory decode): filled in by the signature work.
export const CODESIGN_ABI: i32 = 1;
