// zlib's crc32_combine (its 1.2.12 form: multiplication modulo the CRC polynomial, with x^(2^n) precomputed),
// which node:zlib does not expose: the CRC-32 of A followed by B from crc(A), crc(B) and B's length, in about
// a microsecond instead of a pass over B. A backup computes each file's CRC as it reads it; the gzip trailer's
// CRC over the whole tar is then combined from those rather than read a second time.

const POLY = 0xedb88320;

/** a * b modulo the polynomial, both in reflected bit order (x^0 is the top bit). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[n] = x^(2^n) modulo the polynomial. */
const X2N: Uint32Array = (() => {
  const t = new Uint32Array(32);
  let p = 0x40000000; // x^1
  t[0] = p;
  for (let n = 1; n < 32; n++) t[n] = p = multModP(p, p);
  return t;
})();

/** x^(n * 2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** crc32(A ++ B) given crc32(A), crc32(B) and B's length in bytes (node:zlib's crc32 values). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ crcB) >>> 0;
}
