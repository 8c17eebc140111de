// The failures and warnings of one backup's verification. Only the first ones are kept in full (a damaged
// backup can hold millions of bad pages); every one is counted.
import type { Finding } from './types.js';

const MAX_LISTED = 100;

export class FindingList {
  count = 0;
  readonly listed: Finding[] = [];

  add(f: Omit<Finding, 'member' | 'block'> & Partial<Pick<Finding, 'member' | 'block'>>): void {
    this.count++;
    if (this.listed.length < MAX_LISTED) this.listed.push({ member: null, block: null, ...f });
  }

  addAll(other: FindingList): void {
    this.count += other.count;
    for (const f of other.listed) if (this.listed.length < MAX_LISTED) this.listed.push(f);
  }
}
