// The store flags' help text, apart from context.ts so that a command can show it without loading the
// configuration and store modules (`pgdr wal archive` answers most calls before it needs them).
export const STORE_USAGE = `Store options (override pgdr.yaml for this run):
  -c, --config FILE          configuration file (default: PGDR_CONFIG, else ./pgdr.yaml, else
                             /etc/pgdr/pgdr.yaml)
  --destination-path URL     s3://BUCKET/PATH, file:///PATH or Azure Blob Storage:
                             https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH
  --endpoint-url URL         S3-compatible endpoint (R2, MinIO, ...)
  --server-name NAME         the server folder under the destination path
These, and -o/--format, may also come before the command: pgdr --config FILE -o json COMMAND ...`;
