import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

import type { Settings } from '../config/settings';
import type { Clock } from '../domain/clock';
import { MetadataStore, openSqliteMetadataStore } from './metadata-store';
import { MssqlBackend } from './mssql/mssql-backend';

/**
 * Opens the metadata store the settings name: the SQLite file (migrated on open) locally, Azure SQL with the
 * managed identity on Azure. The one place that chooses; the composition root calls it once.
 */
export function openMetadataStore(
  settings: Pick<Settings, 'metadata' | 'identity'>,
  clock: Clock,
  credential?: TokenCredential,
): MetadataStore {
  const m = settings.metadata;
  if (m.dialect === 'sqlite') return openSqliteMetadataStore({ file: m.file, clock });
  const cred =
    credential ??
    new DefaultAzureCredential(
      settings.identity.managedIdentityClientId
        ? { managedIdentityClientId: settings.identity.managedIdentityClientId }
        : {},
    );
  return new MetadataStore(
    MssqlBackend.connect({ server: m.server, database: m.database, port: m.port, credential: cred }),
    clock,
  );
}
