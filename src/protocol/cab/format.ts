/** On-disk constants of the MS-CAB format (MS-CAB 2.1-2.4), with libmspack's names in comments. */
export const CAB_SIGNATURE = 0x4643534d; // "MSCF" little-endian
export const CFHEADER_SIZE = 36;
export const CFHEADER_EXT_SIZE = 4;
export const CFFOLDER_SIZE = 8;
export const CFFILE_SIZE = 16;
export const CFDATA_SIZE = 8;

export const FLAG_PREV_CABINET = 0x0001;
export const FLAG_NEXT_CABINET = 0x0002;
export const FLAG_RESERVE_PRESENT = 0x0004;

export const FOLDER_CONTINUED_FROM_PREV = 0xfffd;
export const FOLDER_CONTINUED_TO_NEXT = 0xfffe;
export const FOLDER_CONTINUED_PREV_AND_NEXT = 0xffff;

export const COMP_TYPE_MASK = 0x000f;
export const COMP_NONE = 0;
export const COMP_MSZIP = 1;
export const COMP_QUANTUM = 2;
export const COMP_LZX = 3;

/** Attribute bit: the name is UTF-8 (otherwise the OEM code page; read as ISO-8859-1 like cabextract). */
export const ATTRIB_NAME_IS_UTF8 = 0x80;

/** Uncompressed bytes in one CFDATA block (CAB_BLOCKMAX). */
export const CAB_BLOCK_MAX = 32768;
/** Compressed bytes in one CFDATA block, split blocks joined (CAB_INPUTMAX: compressors may expand a little). */
export const CAB_INPUT_MAX = CAB_BLOCK_MAX + 6144;
/** Offsets and lengths inside a folder must stay below 2 GiB (CAB_LENGTHMAX). */
export const CAB_LENGTH_MAX = 0x7fffffff;
/** Longest name or cabinet-set string, NUL excluded (libmspack reads at most 256 bytes). */
export const CAB_STRING_MAX = 255;
