// Issue codes shared with src/model/errors.ts (keep the two lists in step).
export const TRUNCATED: i32 = 1;          // a structure runs past the end of the input
export const BAD_MAGIC: i32 = 2;          // not a Mach-O / fat magic
export const BAD_CMDSIZE: i32 = 3;        // cmdsize 0, < 8, or too small for its command's struct
export const CMDSIZE_MISALIGNED: i32 = 4; // cmdsize not a multiple of 4 (32-bit) or 8 (64-bit)
export const CMD_PAST_END: i32 = 5;       // a command runs past sizeofcmds
export const NCMDS_MISMATCH: i32 = 6;     // ncmds says more commands than sizeofcmds holds
export const BAD_STRING: i32 = 7;         // lc_str offset outside its command, or no NUL inside it
export const FAT_OVERLAP: i32 = 8;        // two fat slices (or a slice and the fat header) overlap
export const FAT_OUT_OF_RANGE: i32 = 9;   // a fat slice lies (partly) outside the file
export const FAT_ALIGN: i32 = 10;         // a fat slice offset is not aligned to 2^align
export const LIMIT: i32 = 11;             // a configured resource limit was exceeded
export const BAD_SECTIONS: i32 = 12;      // nsects does not fit inside cmdsize
export const SEGMENT_RANGE: i32 = 13;     // a segment or linkedit range lies outside the slice
export const SIZEOFCMDS_MISMATCH: i32 = 14; // commands end before sizeofcmds
export const BAD_COUNT: i32 = 15;         // an array count inside a command does not fit the command
export const FAT_EMPTY: i32 = 16;         // fat header with nfat_arch 0
export const PRECISION: i32 = 17;         // a 64-bit field above 2^53: its JavaScript number is approximate
// Code signature (SuperBlob / CodeDirectory)
export const SIG_TRUNCATED: i32 = 20;     // blob header or blob runs past the signature data
export const SIG_BAD_MAGIC: i32 = 21;     // wrong magic for a SuperBlob or a blob it indexes
export const SIG_BAD_INDEX: i32 = 22;     // index entry outside the SuperBlob, or count vs length inconsistent
export const SIG_OVERLAP: i32 = 23;       // two indexed blobs overlap
export const CD_BAD_FIELD: i32 = 24;      // a CodeDirectory field is inconsistent with its blob
export const CD_BAD_HASH_TYPE: i32 = 25;  // unknown hash type or hash size mismatch
export const CD_BAD_VERSION: i32 = 26;    // version outside the known range
export const SIG_RANGE: i32 = 27;         // LC_CODE_SIGNATURE range lies outside the slice
