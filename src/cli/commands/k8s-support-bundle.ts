// pgdr k8s support-bundle: what the runbook's "getting help" section asks for, in one tar.gz with credentials
// redacted. The collection is in src/k8s/support-bundle; here: flags, the Cluster to look at, the status
// report (the k8s status command itself, run in-process with its JSON captured), writing the file.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { PgdrConfig } from '../../config/types.js';
import { isPgdrError, localFileError, PgdrError } from '../../errors.js';
import { bundleTarGz } from '../../k8s/support-bundle/bundle-tar.js';
import { collectBundle } from '../../k8s/support-bundle/collect.js';
import { connectRawKube } from '../../k8s/support-bundle/raw-kube.js';
import { VERSION } from '../../version.js';
import { FORMAT_FLAG, oneOf, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import type { CliContext, Command } from '../main.js';
import { bytes, json, line, table } from '../output.js';
import { KUBE_FLAGS, KUBE_USAGE } from './k8s-common.js';

const NAME = 'k8s support-bundle';
const MAX_LOG_BYTES = 10 * 1024 * 1024;
const MAX_BUNDLE_BYTES = 200 * 1024 * 1024;

export const k8sSupportBundle: Command = {
  name: NAME,
  summary:
    'Kubernetes: one tar.gz of the Cluster, ObjectStores, Backups, Events and logs, credentials redacted',
  usage: `Usage: pgdr k8s support-bundle [CLUSTER] [-n NAMESPACE] [--output FILE.tar.gz] [--since DURATION]
                              [--format table|json] [Kubernetes options] [store options]

Read-only. Collects what the runbook's "getting help" section asks for: the Cluster (default
kubernetes.cluster of the configuration) and its ObjectStores (its plugins' barmanObjectName and
kubernetes.objectStore), the namespace's Backups, ScheduledBackups, Poolers and Events, the pods and logs of
the CloudNativePG operator (label app.kubernetes.io/name=cloudnative-pg) and of the barman-cloud plugin
(app.kubernetes.io/name=plugin-barman-cloud), in any namespace (cnpg-system when pods may not be listed
cluster-wide), each instance's postgres and plugin-barman-cloud logs (pods labelled cnpg.io/cluster=CLUSTER),
pgdr k8s status --format json and pgdr's version. Objects are YAML files by kind, logs .log files, and
manifest.json lists what was collected and what was not (with the HTTP status: 403 forbidden, 404 absent).

Secrets are never read. Every file is redacted: env values named *PASSWORD*, *SECRET*, *TOKEN*, *KEY*,
inline values in an ObjectStore's credentials (the Secret references are kept), passwords in connection
strings, AWS access keys, bearer tokens. Each log keeps its last ${bytes(MAX_LOG_BYTES)}; the bundle stops
adding files at ${bytes(MAX_BUNDLE_BYTES)}. A refused read is listed, not fatal; it fails only when nothing
could be read. Progress goes to stderr.

  CLUSTER                    the Cluster (default: kubernetes.cluster)
  -n, --namespace NS         its namespace (default: kubernetes.namespace)
  --output FILE              default: ./pgdr-support-CLUSTER-YYYYMMDDTHHMMSSZ.tar.gz (mode 0600)
  --since DURATION           only log lines newer than this (e.g. 2h, 3d); default: the whole log, capped

RBAC the identity needs (read-only; a missing rule only leaves that part out):
  namespace of the Cluster:  get clusters, objectstores; list backups, scheduledbackups, poolers
                             (postgresql.cnpg.io, barmancloud.cnpg.io); list events, pods; get pods/log
  operator and plugin:       list pods and get pods/log cluster-wide (ClusterRole), or in cnpg-system
  pgdr k8s status:           as pgdr k8s status (get clusters, objectstores, the ObjectStore's Secret)

${KUBE_USAGE}

${STORE_USAGE}`,
  run: supportBundle,
};

async function supportBundle(argv: readonly string[], ctx: CliContext): Promise<number> {
  const p = parse(
    argv,
    {
      ...STORE_FLAGS,
      ...KUBE_FLAGS,
      ...FORMAT_FLAG,
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string' },
      since: { type: 'string' },
    },
    NAME,
  );
  const [clusterArg] = positionals(p, NAME, 0, 1, 'CLUSTER');
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  const sinceMs = durationFlag(p, 'since', NAME);
  let config: PgdrConfig | undefined;
  let configError: unknown;
  try {
    config = configFrom(p, ctx);
  } catch (e) {
    configError = e;
  }
  const k8s = config?.kubernetes;
  const cluster = clusterArg ?? k8s?.cluster;
  const namespace = str(p, 'namespace') ?? k8s?.namespace;
  if (!cluster || !namespace) {
    if (configError) throw configError;
    throw new PgdrError('USAGE', `${NAME}: which Cluster? give CLUSTER and -n NAMESPACE`, {
      hint: 'or a configuration with a kubernetes: section (cluster, namespace)',
    });
  }
  const now = new Date();
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const output = resolve(ctx.cwd, str(p, 'output') ?? `pgdr-support-${cluster}-${stamp}.tar.gz`);
  const progress = (text: string) => ctx.stderr.write(`${text}\n`);
  const kube = await connectRawKube({
    kubeconfig: str(p, 'kubeconfig'),
    context: str(p, 'context'),
    signal: ctx.signal,
  });
  progress(`Support bundle of Cluster ${namespace}/${cluster} (Kubernetes API: ${kube.where})`);
  const sameCluster = k8s?.cluster === cluster && k8s.namespace === namespace;
  const c = await collectBundle(kube, {
    namespace,
    cluster,
    objectStores: sameCluster && k8s ? [k8s.objectStore] : [],
    sinceSeconds: sinceMs === undefined ? undefined : Math.max(1, Math.round(sinceMs / 1000)),
    maxLogBytes: MAX_LOG_BYTES,
    maxBundleBytes: MAX_BUNDLE_BYTES,
    progress,
    status: () =>
      sameCluster
        ? statusJson(argv, ctx)
        : Promise.resolve({
            error: configError
              ? `no configuration: ${(configError as Error).message}`
              : `pgdr k8s status reports the configuration's Cluster (${k8s?.namespace}/${k8s?.cluster}), not this one`,
          }),
  });
  const manifest = {
    pgdr: VERSION,
    createdAt: now.toISOString(),
    namespace,
    cluster,
    since: str(p, 'since') ?? null,
    collected: c.collected,
    skipped: c.skipped,
  };
  const files = [
    ...c.files,
    { path: 'version.txt', data: Buffer.from(`pgdr ${VERSION}\nnode ${process.version}\n`) },
    { path: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
  ];
  const folder = `pgdr-support-${cluster}-${stamp}`;
  const tgz = bundleTarGz(folder, files, now);
  try {
    await writeFile(output, tgz, { mode: 0o600 });
  } catch (e) {
    throw localFileError(e, output, 'write the support bundle');
  }
  progress(`wrote ${output} (${bytes(tgz.length)})`);
  const summary = {
    path: output,
    bytes: tgz.length,
    collected: c.collected.length,
    skipped: c.skipped,
    truncatedLogs: c.collected.filter((x) => x.truncated).map((x) => x.path),
  };
  if (format === 'json') json(ctx, summary);
  else {
    line(ctx, `Support bundle: ${output} (${bytes(tgz.length)}, ${c.collected.length} files collected)`);
    if (c.skipped.length)
      line(
        ctx,
        `\nNot collected:\n${table(
          ['WHAT', 'STATUS', 'REASON'],
          c.skipped.map((s) => [s.what, s.status ? String(s.status) : '-', s.reason]),
        )}`,
      );
    line(ctx, '\nCheck the files before sending them: redaction is by pattern.');
  }
  return 0;
}

/** The k8s status command run in-process with its stdout captured; its exit code (warnings) does not matter. */
async function statusJson(
  argv: readonly string[],
  ctx: CliContext,
): Promise<{ json: string } | { error: string }> {
  const forwarded = forwardFlags(argv, [...Object.keys(STORE_FLAGS), ...Object.keys(KUBE_FLAGS)]);
  let out = '';
  const sink = (fn: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        fn(String(chunk));
        done();
      },
    });
  try {
    const { k8sStatusCommand } = await import('./k8s-status.js');
    await k8sStatusCommand.run([...forwarded, '--format', 'json'], {
      ...ctx,
      stdout: sink((s) => {
        out += s;
      }),
      stderr: sink(() => undefined),
    });
    return { json: out };
  } catch (e) {
    return { error: isPgdrError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e) };
  }
}

/** The given long flags (and -c) of argv, with their values, in order. */
function forwardFlags(argv: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const long = /^--([^=]+)(=.*)?$/.exec(a);
    const name = long ? long[1] : a === '-c' ? 'config' : undefined;
    if (!name || !names.includes(name)) continue;
    out.push(a);
    if (!long?.[2] && i + 1 < argv.length) out.push(argv[++i] ?? '');
  }
  return out;
}
