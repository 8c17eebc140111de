// The typed settings of `pgdr agent` (built by agent.ts from the top-level `schedule`, `drill` and `agent`).

export interface ListenAddress {
  readonly host: string;
  /** 0 picks a free port (the agent logs the one it got). */
  readonly port: number;
}

export interface AgentConfig {
  /** Base backup schedule (cron, UTC); undefined when the configuration has none. */
  readonly schedule?: string | undefined;
  /**
   * Incremental backups between the full ones of `schedule` (cron, UTC), e.g. full weekly, incremental daily;
   * when both fall at once the full backup runs.
   */
  readonly incrementalSchedule?: string | undefined;
  /** When restore drills run (cron, UTC); monthly by default. */
  readonly drillSchedule: string;
  /** Where /healthz and /state are served; undefined when turned off (`listen: off`). */
  readonly listen?: ListenAddress | undefined;
  /** Default: $XDG_STATE_HOME/pgdr/SERVER.agent.json. */
  readonly stateFile?: string | undefined;
  /** As the CloudNativePG barman-cloud plugin: retention runs this often, and after each backup. */
  readonly retentionPolicyIntervalSeconds: number;
  readonly minimumRedundancy: number;
  /** A bucket lock whose heartbeat is older than this is abandoned. */
  readonly lockStaleSeconds: number;
}
