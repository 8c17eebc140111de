// Validates manifests as `kubectl apply --validate=strict` would: against the openAPIV3Schema of a CRD's served
// storage version, or against pgdr's core shapes, with metadata checked as ObjectMeta.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CORE_SCHEMAS, type KindSchema, OBJECT_META } from './core-schemas.js';
import { assertSupported, type Schema } from './openapi-schema.js';
import { type ValidationResult, validateValue } from './validate-value.js';

type Obj = Record<string, unknown>;

const STRING: Schema = { type: 'string' };

/** The schemas of one CRD file (one entry per kind; the served storage version). */
export function loadCrd(text: string, source = 'CRD'): KindSchema[] {
  const out: KindSchema[] = [];
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS() as Obj | null;
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const spec = crd.spec as { group: string; names: { kind: string }; versions: Obj[] };
    const version = spec.versions.find((v) => v.served === true && v.storage === true);
    const schema = (version?.schema as Obj | undefined)?.openAPIV3Schema;
    if (!version || !schema) throw new Error(`${source}: no served storage version with an openAPIV3Schema`);
    assertSupported(schema, `${spec.names.kind}`);
    // The API server accepts apiVersion/kind at the root whatever the CRD says, and checks metadata itself.
    const props = {
      apiVersion: STRING,
      kind: STRING,
      ...(schema.properties ?? {}),
      metadata: OBJECT_META,
    };
    out.push({
      apiVersion: `${spec.group}/${String(version.name)}`,
      kind: spec.names.kind,
      schema: { ...schema, properties: props },
    });
  }
  return out;
}

export class SchemaRegistry {
  private readonly byKey = new Map<string, Schema>();

  constructor(kinds: readonly KindSchema[] = CORE_SCHEMAS) {
    for (const k of kinds) this.add(k);
  }

  add(k: KindSchema): void {
    this.byKey.set(`${k.apiVersion}/${k.kind}`, k.schema);
  }

  /** Core shapes plus every `*.yaml` CRD of a folder. */
  static fromCrdDir(dir: string): SchemaRegistry {
    const reg = new SchemaRegistry();
    for (const f of readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort()) {
      for (const k of loadCrd(readFileSync(join(dir, f), 'utf8'), f)) reg.add(k);
    }
    return reg;
  }

  kinds(): string[] {
    return [...this.byKey.keys()];
  }

  /**
   * Validates one object. `as` names the kind for a merge patch, which carries no apiVersion/kind of its own
   * and may leave required fields out.
   */
  validate(manifest: unknown, opts: { as?: { apiVersion: string; kind: string } } = {}): ValidationResult {
    const m = (manifest ?? {}) as Obj;
    const apiVersion = opts.as?.apiVersion ?? m.apiVersion;
    const kind = opts.as?.kind ?? m.kind;
    const schema = this.byKey.get(`${String(apiVersion)}/${String(kind)}`);
    if (!schema)
      return {
        errors: [{ path: '.', message: `no schema for ${String(apiVersion)} ${String(kind)}` }],
        unchecked: [],
      };
    const partial = opts.as !== undefined;
    const result = validateValue(schema, manifest, '', { partial });
    if (!partial) {
      for (const k of ['apiVersion', 'kind'])
        if (m[k] === undefined) result.errors.push({ path: `.${k}`, message: 'required value' });
      if (typeof (m.metadata as Obj | undefined)?.name !== 'string')
        result.errors.push({ path: '.metadata.name', message: 'required value' });
    }
    return result;
  }
}

/** One line per problem, as a user would read them. */
export function formatProblems(r: ValidationResult): string[] {
  return r.errors.map((e) => `${e.path}: ${e.message}`);
}
