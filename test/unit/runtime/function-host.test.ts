import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { FunctionHost } from '../../../runtime/host/function-host';

test('the host captures registrations and invokes an HTTP function through the programming model', async () => {
  const appDir = path.resolve(__dirname, '../../fixtures/apps/minimal');
  const host = await FunctionHost.load({ appDir, main: 'index.js' });
  assert.deepEqual([...host.functions.keys()].sort(), ['hello', 'tick']);
  const result = await host.invoke('hello', {
    request: {
      inputData: [
        {
          name: Object.keys(host.functions.get('hello')!.metadata.bindings).find((k) => k.startsWith('httpTrigger')),
          data: {
            http: {
              method: 'GET',
              url: 'http://localhost:7071/api/hello?name=ada',
              query: { name: 'ada' },
              headers: {},
            },
          },
        },
      ],
    },
  });
  assert.equal(result.status, 'success');
  if (result.status !== 'success') return;
  const http = result.response.returnValue?.http;
  assert.equal(http?.statusCode, '200');
  assert.equal(Buffer.from(http?.body?.bytes ?? new Uint8Array()).toString('utf8'), '{"hello":"ada"}');
});
