// Everything checked in one tar while it streams through the TarReader: each member against the pgdr manifest
// (missing, extra, size, CRC-32), the pages of relation files, and global/pg_control captured for the end.
import type { ManifestFile, ManifestTar } from '../../catalog/backup-manifest.js';
import { crcHex } from '../../compression/crc-hex.js';
import type { EntryData, TarEntry, TarVisitor } from '../../tar/reader.js';
import { FindingList } from './findings.js';
import type { PageChecks } from './page-scan.js';
import { relationFile } from './relation-file.js';

/** A real pg_control is 8 KiB; anything much larger is not one. */
const MAX_CONTROL_BYTES = 64 << 10;
/** Members a restore requires in the data tars. */
export const REQUIRED_MEMBERS = ['PG_VERSION', 'global/pg_control', 'backup_label'] as const;

export interface TarVerifierOptions {
  readonly key: string;
  /** A tablespace tar (PG_<major>_<catversion>/... names) rather than a data tar. */
  readonly tablespace: boolean;
  /** This tar's entry in the manifest; null without a manifest (or when it does not list this tar). */
  readonly manifest: ManifestTar | null;
  /** null when pages are not checked at all (e.g. the backup's start LSN is unknown). */
  readonly pages: PageChecks | null;
}

export class TarVerifier implements TarVisitor {
  members = 0;
  files = 0;
  bytes = 0;
  relationFiles = 0;
  readonly failures = new FindingList();
  /** The bytes of global/pg_control, when this tar holds it. */
  control: Buffer | null = null;
  /** Which of REQUIRED_MEMBERS this tar holds. */
  readonly present = new Set<string>();
  /** Manifest files not seen yet (every one left at the end is missing), by name without './'. */
  private readonly expected: Map<string, ManifestFile> | null;

  constructor(private readonly o: TarVerifierOptions) {
    this.expected = o.manifest ? new Map(o.manifest.files) : null;
  }

  entry(e: TarEntry): EntryData | undefined {
    this.members++;
    const name = e.name.replace(/^\.\//, '');
    if ((REQUIRED_MEMBERS as readonly string[]).includes(name)) this.present.add(name);
    if (e.kind !== 'file') return undefined;
    this.files++;
    this.bytes += e.size;
    const sinks: EntryData[] = [];
    const listed = this.expected?.get(name);
    if (this.expected) {
      if (listed === undefined) this.fail(e.name, `${e.name} is in the tar but not in the manifest`);
      else {
        this.expected.delete(name);
        if (listed.size !== e.size) {
          this.fail(e.name, `${e.name} is ${e.size} bytes, the manifest says ${listed.size}`);
        } else sinks.push(this.crcCheck(e.name, listed.crc32));
      }
    }
    if (!this.o.tablespace && name === 'global/pg_control') sinks.push(this.captureControl(e));
    const rel = relationFile(e.name, this.o.tablespace);
    if (rel) this.relationFiles++;
    if (rel && this.o.pages && !listed?.truncated)
      sinks.push(this.o.pages.scanner(this.o.key, e.name, rel.segment));
    return fanOut(sinks);
  }

  finish(): void {
    for (const name of this.expected?.keys() ?? []) {
      this.fail(name, `${name} is in the manifest but missing from the tar`);
    }
  }

  /** Manifest files this tar skipped as truncated-while-copied relation files. */
  truncatedRelationFiles(): number {
    let n = 0;
    for (const [name, f] of this.o.manifest?.files ?? []) {
      if (f.truncated && relationFile(name, this.o.tablespace)) n++;
    }
    return n;
  }

  private crcCheck(name: string, want: string): EntryData {
    return {
      write: () => undefined,
      end: (crc) => {
        const got = crcHex(crc);
        if (got !== want) this.fail(name, `${name}: CRC-32 ${got}, the manifest says ${want}`);
      },
    };
  }

  private captureControl(e: TarEntry): EntryData {
    if (e.size > MAX_CONTROL_BYTES) {
      this.fail(e.name, `${e.name} is ${e.size} bytes: not a pg_control file`, 'control');
      return { write: () => undefined, end: () => undefined };
    }
    const parts: Buffer[] = [];
    return {
      write: (chunk) => {
        parts.push(Buffer.from(chunk));
      },
      end: () => {
        this.control = Buffer.concat(parts);
      },
    };
  }

  private fail(member: string, message: string, kind: 'manifest' | 'control' = 'manifest'): void {
    this.failures.add({ kind, key: this.o.key, member, message });
  }
}

function fanOut(sinks: readonly EntryData[]): EntryData | undefined {
  if (sinks.length === 0) return undefined;
  if (sinks.length === 1) return sinks[0];
  return {
    write: async (chunk) => {
      for (const s of sinks) await s.write(chunk);
    },
    end: async (crc) => {
      for (const s of sinks) await s.end(crc);
    },
  };
}
