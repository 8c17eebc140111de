// CEL rules (`x-kubernetes-validations`) of the CRDs, re-written in TypeScript by their exact text: pgdr has no
// CEL interpreter, so a rule is either one of these or reported as unchecked, never silently assumed true.
// Transition rules (`oldSelf`) only run on update, so they never apply to a manifest being created.

type Obj = Record<string, unknown>;
type Check = (self: unknown) => boolean;

const has = (o: unknown, k: string): boolean =>
  o !== null && typeof o === 'object' && (o as Obj)[k] !== undefined && (o as Obj)[k] !== null;
const field = (o: unknown, k: string): unknown => (has(o, k) ? (o as Obj)[k] : undefined);
const size = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

export const KNOWN_RULES: Readonly<Record<string, Check>> = {
  // ObjectStore: serverName belongs in the Cluster's plugin parameters, not in the store.
  '!has(self.serverName)': (s) => !has(s, 'serverName'),
  "!self.exists(a, a.startsWith('--log-level'))": (s) =>
    !(Array.isArray(s) && s.some((a) => typeof a === 'string' && a.startsWith('--log-level'))),
  '!(has(self.imageCatalogRef) && has(self.imageName))': (s) =>
    !(has(s, 'imageCatalogRef') && has(s, 'imageName')),
  // Pooler: spec.pgbouncer.
  '!(has(self.image) && has(self.imageCatalogRef))': (s) => !(has(s, 'image') && has(s, 'imageCatalogRef')),
  "self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'": (s) =>
    field(s, 'kind') === 'ImageCatalog' || field(s, 'kind') === 'ClusterImageCatalog',
  "self.apiGroup == 'postgresql.cnpg.io'": (s) => field(s, 'apiGroup') === 'postgresql.cnpg.io',
  "!has(self.builtinLocale) || self.localeProvider == 'builtin'": (s) =>
    !has(s, 'builtinLocale') || field(s, 'localeProvider') === 'builtin',
  "!has(self.icuLocale) || self.localeProvider == 'icu'": (s) =>
    !has(s, 'icuLocale') || field(s, 'localeProvider') === 'icu',
  "!has(self.icuRules) || self.localeProvider == 'icu'": (s) =>
    !has(s, 'icuRules') || field(s, 'localeProvider') === 'icu',
  'self > 0': (s) => typeof s === 'number' && s > 0,
  "self.dataDurability!='preferred' || ((!has(self.standbyNamesPre) || self.standbyNamesPre.size()==0) && (!has(self.standbyNamesPost) || self.standbyNamesPost.size()==0))":
    (s) =>
      field(s, 'dataDurability') !== 'preferred' ||
      (size(field(s, 'standbyNamesPre')) === 0 && size(field(s, 'standbyNamesPost')) === 0),
  '!(has(self.podFailureDomainKeys) && self.podFailureDomainKeys.size() > 0 && has(self.nodeFailureDomainKeys) && self.nodeFailureDomainKeys.size() > 0)':
    (s) => !(size(field(s, 'podFailureDomainKeys')) > 0 && size(field(s, 'nodeFailureDomainKeys')) > 0),
  '!(has(self.syncReplicaElectionConstraint) && self.syncReplicaElectionConstraint.enabled && has(self.synchronous) && ((has(self.synchronous.podFailureDomainKeys) && self.synchronous.podFailureDomainKeys.size() > 0) || (has(self.synchronous.nodeFailureDomainKeys) && self.synchronous.nodeFailureDomainKeys.size() > 0)))':
    (s) => {
      const c = field(s, 'syncReplicaElectionConstraint');
      const sync = field(s, 'synchronous');
      return !(
        field(c, 'enabled') === true &&
        sync !== undefined &&
        (size(field(sync, 'podFailureDomainKeys')) > 0 || size(field(sync, 'nodeFailureDomainKeys')) > 0)
      );
    },
};

export const isTransitionRule = (rule: string): boolean => /\boldSelf\b/.test(rule);
