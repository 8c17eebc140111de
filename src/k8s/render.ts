// Printing manifests: YAML documents with their notes as comments (kubectl apply ignores them), or JSON where
// several objects become a v1 List, as `kubectl get -o json` prints them.
import { Document } from 'yaml';
import type { Manifest } from './manifest-types.js';

export type OutputFormat = 'yaml' | 'json';

export function renderManifests(list: readonly Manifest[], format: OutputFormat): string {
  if (format === 'json') {
    const value =
      list.length === 1
        ? list[0]?.object
        : { apiVersion: 'v1', kind: 'List', items: list.map((m) => m.object) };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return list
    .map((m) => {
      const doc = new Document(m.object);
      if (m.notes.length) doc.commentBefore = m.notes.map((n) => ` ${n}`).join('\n');
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}
