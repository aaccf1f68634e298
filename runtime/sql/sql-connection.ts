import path from 'node:path';

/**
 * The SQLite file named by a SQL binding's `connectionStringSetting` value: a plain path, `Data Source=<path>`
 * (also `DataSource=` / `Filename=`; other `key=value;` pairs are ignored) or a `file:` path. Relative paths are
 * resolved against the app directory (the working directory `func start` runs the app in).
 *
 * @throws Error when the value looks like a SQL Server connection string, which the local runtime cannot serve.
 */
export function sqliteFileOf(connectionString: string, appDir: string): string {
  const value = connectionString.trim();
  if (value === '') throw new Error('The SQL connection setting is empty.');
  let file = value;
  if (value.includes('=')) {
    const pairs = new Map<string, string>();
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      pairs.set(part.slice(0, eq).trim().toLowerCase().replace(/\s+/g, ' '), part.slice(eq + 1).trim());
    }
    const source = pairs.get('data source') ?? pairs.get('datasource') ?? pairs.get('filename');
    if (!source) {
      throw new Error(
        'The SQL connection setting is not a SQLite file: the local runtime reads a path or "Data Source=<path>" ' +
          '(a SQL Server connection string works only on Azure).',
      );
    }
    file = source;
  }
  if (file.startsWith('file:')) file = file.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
  return path.resolve(appDir, file);
}

/** The table name without a schema prefix or brackets: `dbo.Items`, `[dbo].[Items]` → `Items`. */
export function unqualifiedTableName(tableName: string): string {
  const parts = tableName.split('.').map((p) =>
    p
      .trim()
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/^"(.*)"$/, '$1'),
  );
  return parts[parts.length - 1] ?? tableName;
}
