// What walking one segment object yields (record-walker.ts): its own findings, and what crosses its edges for
// record-join.ts to put together with its neighbours.

export interface WalkFailure {
  readonly lsn: bigint;
  readonly message: string;
}

/** A record that starts in this object and continues past its end. */
export interface OpenRecord {
  readonly lsn: bigint;
  readonly totLen: number;
  /** Its bytes in this object. */
  readonly have: number;
  /** Its first min(have, 24) bytes. */
  readonly header: Buffer;
  /** CRC-32C of its bytes after the header so far (0 for none). */
  readonly payloadCrc: number;
  /** The record before it, which its xl_prev must name; undefined when not known here. */
  readonly prev: bigint | undefined;
}

/** The bytes at the object's start that finish a record begun before it. */
export interface Continuation {
  /** xlp_rem_len of the first page: the record's bytes still to come there. */
  readonly remLen: number;
  readonly bytes: number;
  readonly crc: number;
  /** The first min(16, bytes) bytes. */
  readonly first: Buffer;
  /** Whether the record ends in this object. */
  readonly complete: boolean;
}

export interface WalkStop {
  readonly reason: 'switch' | 'end' | 'damage';
  readonly lsn: bigint;
  readonly why?: string;
}

export interface WalkResult {
  readonly records: number;
  readonly failures: readonly WalkFailure[];
  readonly magic: number | undefined;
  readonly sysid: bigint | undefined;
  /** The first page replaces a continuation lost in a crash (XLP_FIRST_IS_OVERWRITE_CONTRECORD). */
  readonly overwrite: boolean;
  readonly open: OpenRecord | undefined;
  readonly continuation: Continuation | undefined;
  /** The first record starting in the object, and the xl_prev it carries. */
  readonly firstRecord: { readonly lsn: bigint; readonly prev: bigint } | undefined;
  readonly lastRecord: bigint | undefined;
  readonly stop: WalkStop | undefined;
}

export interface WalkerOptions {
  readonly segStart: bigint;
  readonly segSize: number;
  readonly blockSize: number;
  /** A .partial: what is not valid WAL is its end, not damage. */
  readonly partial: boolean;
  /** The timeline a page at this address must carry. */
  readonly expectedTli: (pageAddr: bigint) => number;
}
