// The same connection, to another database of the server: a URI gets a new path, libpq key=value text a
// later dbname (the last occurrence of a key wins, in libpq and in postgres/connect.ts's parser alike).

export function withDatabase(connection: string, database: string): string {
  if (/^postgres(ql)?:\/\//.test(connection)) {
    const u = new URL(connection);
    u.pathname = `/${encodeURIComponent(database)}`;
    return u.toString();
  }
  return `${connection} dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
