/** {@link StorageAccountKeysPort} on `@azure/arm-storage` (`listKeys`, `regenerateKey`). */
import type { StorageManagementClient } from '@azure/arm-storage';

import { ValidationError } from '../../domain/errors';
import type { StorageAccountKeysPort } from '../../rotation/rotation-ports';
import { toWardenError } from './arm-clients';

function parts(accountResourceId: string): { resourceGroup: string; account: string } {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/?$/i.exec(
    accountResourceId,
  );
  if (!m?.[1] || !m[2])
    throw new ValidationError('storage account id', [
      { path: 'accountResourceId', message: 'is not a storage account id' },
    ]);
  return { resourceGroup: m[1], account: m[2] };
}

export class AzureStorageAccountKeys implements StorageAccountKeysPort {
  constructor(private readonly storage: StorageManagementClient) {}

  async listKeys(accountResourceId: string): Promise<{ keyName: string; value: string }[]> {
    const { resourceGroup, account } = parts(accountResourceId);
    try {
      const r = await this.storage.storageAccounts.listKeys(resourceGroup, account);
      return (r.keys ?? []).map((k) => ({ keyName: k.keyName ?? '', value: k.value ?? '' }));
    } catch (e) {
      throw toWardenError(e, 'listKeys', accountResourceId);
    }
  }

  async regenerateKey(accountResourceId: string, keyName: 'key1' | 'key2'): Promise<string> {
    const { resourceGroup, account } = parts(accountResourceId);
    try {
      const r = await this.storage.storageAccounts.regenerateKey(resourceGroup, account, { keyName });
      const key = (r.keys ?? []).find((k) => k.keyName?.toLowerCase() === keyName);
      if (!key?.value) throw new Error(`regenerateKey returned no ${keyName}`);
      return key.value;
    } catch (e) {
      throw toWardenError(e, `regenerateKey ${keyName}`, accountResourceId);
    }
  }
}
