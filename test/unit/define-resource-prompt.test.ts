import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePrompt } from '../../shared/tools/define-prompt.js';
import { defineResource, parseUriTemplate } from '../../shared/tools/define-resource.js';
import { lazyPrompt, lazyResource, promptMetadata, resourceMetadata } from '../../shared/tools/lazy-items.js';

describe('URI templates (RFC 6570 level 1)', () => {
  it('matches literal parts exactly and one segment per variable, percent-decoded', () => {
    const template = parseUriTemplate('users://{tenant}/profiles/{userId}')!;
    assert.deepEqual(template.variables, ['tenant', 'userId']);
    assert.deepEqual(template.match('users://acme/profiles/u%2D1'), { tenant: 'acme', userId: 'u-1' });
    assert.equal(template.match('users://acme/profiles/u-1/extra'), undefined, 'a variable never spans a /');
    assert.equal(template.match('users://acme/profile/u-1'), undefined);
    assert.equal(template.match('users://acme/profiles/'), undefined, 'a variable is never empty');
    assert.equal(template.match('users://acme/profiles/%E0%A4%A'), undefined, 'bad percent-encoding matches nothing');
    assert.deepEqual(
      parseUriTemplate('a.b+c://x/{id}')!.match('a.b+c://x/1'),
      { id: '1' },
      'regex characters are literal',
    );
  });

  it('refuses what level 1 is not: operators, a variable twice, no variable, no scheme', () => {
    for (const bad of [
      'users://{+path}',
      'users://{id}/{id}',
      'users://all',
      'no-scheme/{id}',
      'users://{a{b}}',
      'u://{ id}',
    ]) {
      assert.equal(parseUriTemplate(bad), null, bad);
    }
  });
});

describe('defineResource and definePrompt', () => {
  it('refuses a resource without exactly one of uri and uriTemplate, or completing a variable it lacks', () => {
    const read = async () => 'x';
    assert.throws(() => defineResource({ name: 'a', description: 'A.', read }), /exactly one of uri and uriTemplate/);
    assert.throws(
      () => defineResource({ name: 'a', description: 'A.', uri: 'x://a', uriTemplate: 'x://{a}', read }),
      /exactly one/,
    );
    assert.throws(() => defineResource({ name: 'a', description: 'A.', uri: 'not a uri', read }), /absolute URI/);
    assert.throws(
      () => defineResource({ name: 'a', description: 'A.', uriTemplate: 'x://{id}', complete: { other: ['1'] }, read }),
      /complete.other names no variable/,
    );
    assert.throws(() => defineResource({ name: 'a b', description: 'A.', uri: 'x://a', read }), /must match/);
  });

  it('refuses a prompt argument without a description', () => {
    assert.throws(
      () =>
        definePrompt({ name: 'p', description: 'P.', arguments: { x: { description: ' ' } }, get: async () => 'x' }),
      /argument "x" needs a description/,
    );
  });

  it('serves a folder item from its metadata and loads its module once, on first use, refusing one edited since', async () => {
    const resource = defineResource({
      name: 'doc',
      description: 'A doc.',
      uriTemplate: 'doc://{id}',
      complete: { id: ['1', '2'] },
      read: async ({ variables }) => `doc ${variables.id}`,
    });
    let loads = 0;
    const lazy = lazyResource(resourceMetadata(resource), async () => {
      loads++;
      return { default: resource };
    });
    assert.equal(lazy.uriTemplate, 'doc://{id}');
    const ctx = {} as Parameters<typeof lazy.read>[1];
    assert.deepEqual(await lazy.completeVariable('id', '', { ...ctx, arguments: {} }), ['1', '2']);
    assert.equal(loads, 0, 'a listed completion needs no module');
    assert.equal(
      await Promise.all([lazy.read({ uri: 'doc://1', variables: { id: '1' } }, ctx), lazy.ready!()]).then(([v]) => v),
      'doc 1',
    );
    assert.equal(loads, 1);

    const prompt = definePrompt({ name: 'p', description: 'P.', get: async () => 'x' });
    const edited = definePrompt({ name: 'p', description: 'P, edited.', get: async () => 'x' });
    const stale = lazyPrompt(promptMetadata(prompt), async () => ({ default: edited }));
    await assert.rejects(stale.ready!(), /prompt p changed since its index was generated: run `npm run tools:index`/);
  });
});
