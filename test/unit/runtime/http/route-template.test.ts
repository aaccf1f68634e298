import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compareRoutes, compileRoute } from '../../../../runtime/http/route-template';

test('plain, optional, default and catch-all parameters', () => {
  assert.deepEqual(compileRoute('items/{id}').match('items/42'), { id: '42' });
  assert.equal(compileRoute('items/{id}').match('items'), undefined);
  assert.deepEqual(compileRoute('items/{id}/{name?}').match('items/1'), { id: '1' });
  assert.deepEqual(compileRoute('items/{id}/{name?}').match('items/1/bo'), { id: '1', name: 'bo' });
  assert.deepEqual(compileRoute('items/{page=1}').match('items'), { page: '1' });
  assert.deepEqual(compileRoute('files/{*rest}').match('files/a/b%20c/d'), { rest: 'a/b c/d' });
  assert.deepEqual(compileRoute('files/{**rest}').match('files'), {});
  assert.deepEqual(compileRoute('ITEMS/{id}').match('items/x'), { id: 'x' }, 'literals are case-insensitive');
  assert.deepEqual(compileRoute('a/{b}').match('a/x%2Fy'), { b: 'x/y' });
  assert.deepEqual(compileRoute('').match(''), {});
  assert.deepEqual(compileRoute('{file}.{ext}').match('report.pdf'), { file: 'report', ext: 'pdf' });
});

test('constraints: int, long, bool, guid, alpha, length, min/max/range, regex, datetime, double', () => {
  const yes = (t: string, p: string): void => assert.ok(compileRoute(t).match(p), `${t} should match ${p}`);
  const no = (t: string, p: string): void =>
    assert.equal(compileRoute(t).match(p), undefined, `${t} should not match ${p}`);
  yes('x/{id:int}', 'x/-12');
  no('x/{id:int}', 'x/1.5');
  no('x/{id:int}', 'x/99999999999');
  yes('x/{id:long}', 'x/99999999999');
  yes('x/{b:bool}', 'x/True');
  no('x/{b:bool}', 'x/yes');
  yes('x/{g:guid}', 'x/3F2504E0-4F89-11D3-9A0C-0305E82C3301');
  yes('x/{g:guid}', 'x/3f2504e04f8911d39a0c0305e82c3301');
  no('x/{g:guid}', 'x/not-a-guid');
  yes('x/{w:alpha}', 'x/abcXYZ');
  no('x/{w:alpha}', 'x/abc1');
  yes('x/{w:minlength(2):maxlength(3)}', 'x/ab');
  no('x/{w:minlength(2):maxlength(3)}', 'x/abcd');
  yes('x/{w:length(3)}', 'x/abc');
  yes('x/{w:length(1,2)}', 'x/ab');
  no('x/{n:min(5)}', 'x/4');
  no('x/{n:max(5)}', 'x/6');
  yes('x/{n:range(1,10)}', 'x/10');
  no('x/{n:range(1,10)}', 'x/0');
  yes('x/{code:regex(^[A-Z]{{2}}\\d+$)}', 'x/AB12');
  yes('x/{d:datetime}', 'x/2024-01-31');
  yes('x/{d:double}', 'x/1.5e3');
  yes('x/{id:int?}', 'x');
});

test('bad templates are refused with the reason', () => {
  assert.throws(() => compileRoute('x/{id:nosuch}'), /unknown constraint "nosuch"/);
  assert.throws(() => compileRoute('x/{*rest}/y'), /catch-all parameter must be the last segment/);
  assert.throws(() => compileRoute('x/{id}/{id}'), /appears twice/);
  assert.throws(() => compileRoute('x/{id'), /unclosed/);
  assert.throws(() => compileRoute('x/{n:min(a)}'), /needs a numeric argument/);
});

test('precedence: literal before constrained before plain before optional before catch-all', () => {
  const routes = ['kinds/{*rest}', 'kinds/{name?}', 'kinds/{name}', 'kinds/{id:int}', 'kinds/special'].map(
    compileRoute,
  );
  const sorted = [...routes].sort(compareRoutes).map((r) => r.template);
  assert.deepEqual(sorted, ['kinds/special', 'kinds/{id:int}', 'kinds/{name}', 'kinds/{name?}', 'kinds/{*rest}']);
});
