import path from 'node:path';

/** Where the metadata store lives, as parsed from `WARDEN_METADATA_DB`. */
export type MetadataConnection =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'mssql'; readonly server: string; readonly database: string; readonly port: number };

const MANAGED_IDENTITY_AUTH = ['active directory managed identity', 'active directory msi', 'active directory default'];

function pairsOf(value: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    pairs.set(part.slice(0, eq).trim().toLowerCase().replace(/\s+/g, ' '), part.slice(eq + 1).trim());
  }
  return pairs;
}

/**
 * Parses the metadata connection setting: the same value the `app.sql` trigger's `connectionStringSetting` names.
 * SQLite: a file path or `Data Source=<path>` (relative paths against `baseDir`). Azure SQL: an ADO.NET connection
 * string with `Server` and `Database` and managed-identity authentication — a password is refused (zero trust:
 * identity-based connections only). Returns the problem as a string when the value does not fit.
 */
export function parseMetadataConnection(
  value: string,
  dialect: 'sqlite' | 'mssql' | undefined,
  baseDir: string,
): MetadataConnection | string {
  const text = value.trim();
  if (text === '') return 'is empty';
  const pairs = text.includes('=') ? pairsOf(text) : new Map<string, string>();
  const looksMssql = pairs.has('server') || pairs.has('initial catalog') || pairs.has('database');
  const kind = dialect ?? (looksMssql ? 'mssql' : 'sqlite');
  if (kind === 'sqlite') {
    if (looksMssql) return 'is a SQL Server connection string but WARDEN_METADATA_DIALECT is sqlite';
    const source =
      pairs.size > 0 ? (pairs.get('data source') ?? pairs.get('datasource') ?? pairs.get('filename')) : text;
    if (!source) return "is not a SQLite file: give a path or 'Data Source=<path>'";
    const file = source.startsWith('file:') ? source.slice('file:'.length) : source;
    return { dialect: 'sqlite', file: file === ':memory:' ? file : path.resolve(baseDir, file) };
  }
  if (pairs.has('password') || pairs.has('pwd'))
    return 'must not carry a password: use Authentication=Active Directory Managed Identity (identity-based connections only)';
  const serverText = (pairs.get('server') ?? pairs.get('data source') ?? pairs.get('address') ?? '').replace(
    /^tcp:/i,
    '',
  );
  const [host = '', portText] = serverText.split(',');
  if (!/^[A-Za-z0-9.-]+$/.test(host)) return "names no server: add 'Server=tcp:<server>.database.windows.net,1433'";
  const database = pairs.get('database') ?? pairs.get('initial catalog') ?? '';
  if (!database) return "names no database: add 'Database=<name>'";
  const port = portText === undefined ? 1433 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'has a server port that is not a port number';
  const auth = (pairs.get('authentication') ?? '').toLowerCase();
  if (!MANAGED_IDENTITY_AUTH.includes(auth))
    return "must use 'Authentication=Active Directory Managed Identity' (or Active Directory Default)";
  return { dialect: 'mssql', server: host, database, port };
}
