// The typed `kubernetes:` section (built by kubernetes.ts): where the CloudNativePG cluster lives and the
// names pgdr needs to write manifests and drive runbooks.

export interface CredentialsSecret {
  readonly name: string;
  /** Key in the Secret holding the access key id (default ACCESS_KEY_ID, as CloudNativePG's examples). */
  readonly accessKeyIdKey: string;
  readonly secretAccessKeyKey: string;
}

/** A webhook given inline, or read from a Secret key (Slack-style URLs are credentials). */
export type WebhookRef = { readonly url: string } | { readonly secret: string; readonly key: string };

export interface DrillSchedule {
  /** Five-field cron of the Kubernetes CronJob (UTC). */
  readonly schedule: string;
  readonly webhook?: WebhookRef | undefined;
  /** The drill CronJob's image; default PGDR_IMAGE (src/k8s/pgdr-image.ts), what packaging/container builds. */
  readonly image?: string | undefined;
  /** The database the drill's data checks run in (`pgdr k8s drill --database`); default the Cluster's app one. */
  readonly database?: string | undefined;
  /** `--preset` of the drill's data checks, e.g. mastodon. */
  readonly preset?: 'mastodon' | undefined;
}

export interface KubernetesConfig {
  readonly namespace: string;
  /** The CloudNativePG Cluster resource; defaults to serverName, as CloudNativePG archives under its name. */
  readonly cluster: string;
  /** Name of the barmancloud.cnpg.io ObjectStore resource. */
  readonly objectStore: string;
  readonly credentialsSecret: CredentialsSecret;
  /** Deployments to scale to 0 during a restore, in this order. */
  readonly applications: readonly string[];
  readonly pooler?: string | undefined;
  readonly replicaCluster: string;
  readonly recoveredCluster: string;
  readonly imageName?: string | undefined;
  readonly postgresVersion?: number | undefined;
  readonly instances: number;
  readonly storageSize?: string | undefined;
  readonly drill: DrillSchedule;
}
