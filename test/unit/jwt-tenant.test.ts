import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { principalFromClaims } from '../../shared/auth/jwt-verifier.js';

describe("a token's tenant", () => {
  it('is the claim OAUTH_TENANT_CLAIM names, and the default tenant without it (a tid claim names none)', () => {
    assert.equal(principalFromClaims({ sub: 'a', tenant: 'acme' }, 'tenant').tenant, 'acme');
    assert.equal(
      principalFromClaims({ sub: 'a', tid: '72f988bf-86f1-41af-91ab-2d7cd011db47' }, 'tenant').tenant,
      'default',
    );
    assert.equal(principalFromClaims({ sub: 'a', tid: 'contoso' }, 'tid').tenant, 'contoso');
  });
});
