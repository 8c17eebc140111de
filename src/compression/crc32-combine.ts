// zlib's crc32_combine over GF(2) polynomials, for any reflected 32-bit CRC: with A and B two byte strings,
// crc(A ++ B) = shift(crc(A), |B|) ^ crc(B). node:zlib exposes none of it. It lets a backup combine the gzip
// trailer's CRC-32 from the per-file CRCs it computed while reading (no second pass over the tar), and WAL
// verification join CRC-32C pieces of a record that spans segments without keeping a piece in memory.

export interface CrcCombiner {
  /** crc multiplied by x^(8 * bytes): where a CRC's contribution stands once `bytes` more bytes follow. */
  shift(crc: number, bytes: number): number;
  /** crc(A ++ B) from crc(A), crc(B) and B's length in bytes. */
  combine(crcA: number, crcB: number, lengthB: number): number;
}

/** The combiner of the CRC with this reflected polynomial (0xedb88320 CRC-32, 0x82f63b78 CRC-32C). */
export function crcCombiner(poly: number): CrcCombiner {
  // a(x) * b(x) modulo the polynomial, bit-reflected (x^0 is the top bit).
  const multModP = (a: number, b: number): number => {
    if (a === 0) return 0;
    let m = 0x80000000;
    let p = 0;
    let bb = b >>> 0;
    for (;;) {
      if (a & m) {
        p ^= bb;
        if ((a & (m - 1)) === 0) break;
      }
      m >>>= 1;
      bb = bb & 1 ? (bb >>> 1) ^ poly : bb >>> 1;
    }
    return p >>> 0;
  };
  // x^(2^k) modulo the polynomial, for k = 0..63.
  const x2n = new Uint32Array(64);
  x2n[0] = 0x40000000; // x^1
  for (let k = 1; k < 64; k++) x2n[k] = multModP(x2n[k - 1]!, x2n[k - 1]!);
  const shift = (crc: number, bytes: number): number => {
    let p = 0x80000000; // x^0
    let n = bytes * 8;
    for (let k = 0; n > 0; k++, n = Math.floor(n / 2)) if (n % 2 === 1) p = multModP(x2n[k]!, p);
    return multModP(p, crc);
  };
  return { shift, combine: (crcA, crcB, lengthB) => (shift(crcA, lengthB) ^ crcB) >>> 0 };
}

const CRC32 = crcCombiner(0xedb88320);

/** crc32(A ++ B) given crc32(A), crc32(B) and B's length in bytes (node:zlib's crc32 values). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return CRC32.combine(crcA, crcB, lengthB);
}
