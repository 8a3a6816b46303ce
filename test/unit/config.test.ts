import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../shared/config/config.js';
import { ConfigError } from '../../shared/errors/errors.js';

describe('loadConfig', () => {
  it('fills every optional setting with its default when only the table name is set', () => {
    const config = loadConfig({ REGISTRY_TABLE_NAME: 'registry' });
    assert.deepEqual(config, {
      REGISTRY_TABLE_NAME: 'registry',
      SECRETS_PREFIX: 'mcp-cluster/',
      REGISTRY_TTL_MS: 10_000,
      SECRETS_TTL_MS: 60_000,
      AUTH_CACHE_TTL_MS: 10_000,
      MAX_BODY_BYTES: 1_048_576,
      MAX_RESULT_BYTES: 5_000_000,
      RESULT_LINK_THRESHOLD_BYTES: 65_536,
      RESULT_LINK_TTL_SECONDS: 3_600,
      TOOL_TIMEOUT_MS: 10_000,
      DEADLINE_MARGIN_MS: 1_000,
      JSON_RESPONSE_TIMEOUT_MS: 28_000,
      REQUEST_STATE_TTL_MS: 600_000,
      SERVER_NAME: 'mcp-cluster',
      LOG_LEVEL: 'info',
      AUDIT_RETENTION_DAYS: 90,
      IDEMPOTENCY_TTL_SECONDS: 3600,
      IDEMPOTENCY_WINDOW_SECONDS: 60,
      IDEMPOTENCY_MAX_RESULT_BYTES: 100_000,
      AUDIT_WRITE: 'log',
      OAUTH_ALGORITHMS: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      OAUTH_TENANT_CLAIM: 'tenant',
      OAUTH_CLOCK_TOLERANCE_SECONDS: 5,
      REQUIRED_SCOPES: [],
      ALLOWED_ORIGINS: [],
      OUTBOUND_ALLOWED_CIDRS: [],
      OUTBOUND_DNS_SERVERS: [],
      TOOLS_PAGE_SIZE: 100,
    });
  });

  it('reads the large-result settings and refuses a threshold or retention out of range', () => {
    const config = loadConfig({
      REGISTRY_TABLE_NAME: 'r',
      RESULT_BUCKET_NAME: 'results',
      RESULT_LINK_THRESHOLD_BYTES: '100000',
      RESULT_LINK_TTL_SECONDS: '86400',
    });
    assert.equal(config.RESULT_BUCKET_NAME, 'results');
    assert.equal(config.RESULT_LINK_THRESHOLD_BYTES, 100_000);
    assert.equal(config.RESULT_LINK_TTL_SECONDS, 86_400);
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', RESULT_LINK_THRESHOLD_BYTES: '10' }),
      /RESULT_LINK_THRESHOLD_BYTES/,
    );
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', RESULT_LINK_TTL_SECONDS: '30' }),
      /RESULT_LINK_TTL_SECONDS/,
    );
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', RESULT_LINK_TTL_SECONDS: '999999' }),
      /RESULT_LINK_TTL_SECONDS/,
    );
  });

  it('reads the private ranges and DNS servers of HTTP tools, and refuses malformed ones', () => {
    const config = loadConfig({
      REGISTRY_TABLE_NAME: 'r',
      OUTBOUND_ALLOWED_CIDRS: '127.0.0.0/8, ::1/128',
      OUTBOUND_DNS_SERVERS: '127.0.0.1:5353,[::1]:53,10.0.0.2',
    });
    assert.deepEqual(config.OUTBOUND_ALLOWED_CIDRS, ['127.0.0.0/8', '::1/128']);
    assert.deepEqual(config.OUTBOUND_DNS_SERVERS, ['127.0.0.1:5353', '[::1]:53', '10.0.0.2']);
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', OUTBOUND_ALLOWED_CIDRS: '10.0.0.0/40' }),
      /OUTBOUND_ALLOWED_CIDRS/,
    );
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', OUTBOUND_DNS_SERVERS: 'dns.example.com' }),
      /OUTBOUND_DNS_SERVERS/,
    );
  });

  it('splits algorithm and scope lists, and refuses symmetric or unknown JWT algorithms', () => {
    const config = loadConfig({
      REGISTRY_TABLE_NAME: 'r',
      OAUTH_ALGORITHMS: 'ES256, RS256',
      REQUIRED_SCOPES: 'mcp:use, mcp:read',
    });
    assert.deepEqual(config.OAUTH_ALGORITHMS, ['ES256', 'RS256']);
    assert.deepEqual(config.REQUIRED_SCOPES, ['mcp:use', 'mcp:read']);
    assert.throws(() => loadConfig({ REGISTRY_TABLE_NAME: 'r', OAUTH_ALGORITHMS: 'HS256' }), /OAUTH_ALGORITHMS/);
    assert.throws(() => loadConfig({ REGISTRY_TABLE_NAME: 'r', OAUTH_ALGORITHMS: 'none' }), /OAUTH_ALGORITHMS/);
  });

  it('refuses an OAuth issuer that is not an http(s) URL or carries a query or fragment, saying why', () => {
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', OAUTH_ISSUER: 'login.example.com' }),
      /OAUTH_ISSUER: must be an http\(s\) URL/,
    );
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', OAUTH_ISSUER: 'https://login.example.com/?tenant=a' }),
      /OAUTH_ISSUER: must have no query or fragment/,
    );
    assert.equal(
      loadConfig({ REGISTRY_TABLE_NAME: 'r', OAUTH_ISSUER: 'https://a.example/' }).OAUTH_ISSUER,
      'https://a.example/',
    );
  });

  it('splits the default OAuth scopes and reads the clock tolerance', () => {
    const config = loadConfig({
      REGISTRY_TABLE_NAME: 'r',
      OAUTH_DEFAULT_SCOPES: 'weather:read, files:read',
      OAUTH_CLOCK_TOLERANCE_SECONDS: '30',
    });
    assert.deepEqual(config.OAUTH_DEFAULT_SCOPES, ['weather:read', 'files:read']);
    assert.equal(config.OAUTH_CLOCK_TOLERANCE_SECONDS, 30);
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'r', OAUTH_CLOCK_TOLERANCE_SECONDS: '3600' }),
      /OAUTH_CLOCK_TOLERANCE_SECONDS/,
    );
  });

  it('turns numeric environment strings into numbers', () => {
    const config = loadConfig({
      REGISTRY_TABLE_NAME: 'registry',
      REGISTRY_TTL_MS: '250',
      MAX_BODY_BYTES: '4096',
      DEADLINE_MARGIN_MS: '0',
      LOG_LEVEL: 'debug',
      PUBLIC_BASE_URL: 'https://mcp.example.com',
    });
    assert.equal(config.REGISTRY_TTL_MS, 250);
    assert.equal(config.MAX_BODY_BYTES, 4096);
    assert.equal(config.DEADLINE_MARGIN_MS, 0);
    assert.equal(config.LOG_LEVEL, 'debug');
    assert.equal(config.PUBLIC_BASE_URL, 'https://mcp.example.com');
  });

  it('reports every problem at once, naming each bad variable, with code CONFIG_INVALID', () => {
    assert.throws(
      () => loadConfig({ REGISTRY_TABLE_NAME: 'registry', MAX_BODY_BYTES: 'lots', LOG_LEVEL: 'chatty' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /MAX_BODY_BYTES/);
        assert.match(error.message, /LOG_LEVEL/);
        return true;
      },
    );
  });

  it('requires the registry table name', () => {
    assert.throws(() => loadConfig({}), { code: 'CONFIG_INVALID', message: /REGISTRY_TABLE_NAME/ });
  });

  it('refuses negative durations, a zero body limit and a malformed public URL', () => {
    assert.throws(
      () =>
        loadConfig({
          REGISTRY_TABLE_NAME: 'registry',
          SECRETS_TTL_MS: '-1',
          MAX_BODY_BYTES: '0',
          PUBLIC_BASE_URL: 'not a url',
        }),
      (error: Error) => {
        for (const name of ['SECRETS_TTL_MS', 'MAX_BODY_BYTES', 'PUBLIC_BASE_URL'])
          assert.match(error.message, new RegExp(name));
        return true;
      },
    );
  });
});
