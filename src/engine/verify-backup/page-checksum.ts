// PostgreSQL's data page checksum (pg_checksum_page, storage/checksum_impl.h), written from its description:
// the page is read as rows of 32 little-endian uint32 lanes; each lane starts from its own offset basis and
// folds in its column with an FNV-1a step that also mixes in the value shifted right by 17, then two rounds of
// zero; the lanes are xor-ed together, the block number is xor-ed in (so a page moved elsewhere fails), and
// the result is reduced to 16 bits, never 0. pd_checksum (bytes 8-9) counts as zero while hashing.
const LANES = 32;
const FNV_PRIME = 16777619;
const CHECKSUM_OFFSET = 8;

/** The lanes' offset bases: fixed by PostgreSQL's on-disk format. */
const BASES = Uint32Array.of(
  0x5b1f36e9,
  0xb8525960,
  0x02ab50aa,
  0x1de66d2a,
  0x79ff467a,
  0x9bb9f8a3,
  0x217e7cd2,
  0x83e13d2c,
  0xf8d4474f,
  0xe39eb970,
  0x42c6ae16,
  0x993216fa,
  0x7b093b5d,
  0x98daff3c,
  0xf718902a,
  0x0b1c9cdb,
  0xe58f764b,
  0x187636bc,
  0x5d7b3bb1,
  0xe73de7de,
  0x92bec979,
  0xcca6c0b2,
  0x304a0979,
  0x85aa43d4,
  0x783125bb,
  0x6ca8eaa2,
  0xe407eac6,
  0x4b5cfc3e,
  0x9fbf8c76,
  0x15ca20be,
  0xf2ca9fd3,
  0x959bd756,
);

const lanes = new Uint32Array(LANES);

function step(lane: number, value: number): number {
  const x = (lane ^ value) >>> 0;
  return (Math.imul(x, FNV_PRIME) ^ (x >>> 17)) >>> 0;
}

/**
 * The checksum PostgreSQL stores in pd_checksum for `page` at block number `blkno` of its relation fork.
 * `page` must be a whole page whose length is a multiple of 128 bytes; it is not modified.
 */
export function pageChecksum(page: Uint8Array, blkno: number): number {
  const words = page.length >>> 2;
  const view = new DataView(page.buffer, page.byteOffset, page.length);
  lanes.set(BASES);
  for (let row = 0; row < words; row += LANES) {
    for (let j = 0; j < LANES; j++) {
      const at = (row + j) << 2;
      // pd_checksum is the low half of word 2: hashed as zero.
      const v = at === CHECKSUM_OFFSET ? view.getUint32(at, true) & 0xffff0000 : view.getUint32(at, true);
      lanes[j] = step(lanes[j]!, v);
    }
  }
  let sum = 0;
  for (let j = 0; j < LANES; j++) {
    const mixed = step(step(lanes[j]!, 0), 0);
    sum = (sum ^ mixed) >>> 0;
  }
  sum = (sum ^ blkno) >>> 0;
  return (sum % 65535) + 1;
}

/** pd_checksum as stored in the page header. */
export function storedChecksum(page: Uint8Array): number {
  return (page[CHECKSUM_OFFSET] ?? 0) | ((page[CHECKSUM_OFFSET + 1] ?? 0) << 8);
}
