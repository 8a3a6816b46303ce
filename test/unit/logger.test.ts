import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sdkLogger } from '../../shared/aws/sdk-logger.js';
import { McpClusterError } from '../../shared/errors/errors.js';
import { Redactor } from '../../shared/logging/redactor.js';
import { captureLogs } from '../helpers/aws.js';

describe('Redactor', () => {
  it('replaces every occurrence of a registered value', () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t-value');
    assert.equal(redactor.redact('a s3cr3t-value and s3cr3t-value'), 'a [REDACTED] and [REDACTED]');
  });

  it('registers each string field of a JSON secret, so a field alone is scrubbed too', () => {
    const redactor = new Redactor();
    redactor.add(JSON.stringify({ apiKey: 'key-1234567', baseUrl: 'https://upstream.example.com', port: 8443 }));
    assert.equal(redactor.size, 3);
    assert.equal(
      redactor.redact('calling https://upstream.example.com with key-1234567'),
      'calling [REDACTED] with [REDACTED]',
    );
  });

  it('does not register values too short to scrub without mangling ordinary text', () => {
    const redactor = new Redactor();
    redactor.add('abc');
    redactor.add(JSON.stringify({ pin: '12' }));
    assert.equal(redactor.size, 1, 'only the whole JSON value');
    assert.equal(redactor.redact('abc 12'), 'abc 12');
  });

  it('scrubs the whole of a longer secret that contains a shorter one', () => {
    const redactor = new Redactor();
    redactor.add('hunter22');
    redactor.add('hunter22-and-the-rest');
    assert.equal(redactor.redact('token hunter22-and-the-rest'), 'token [REDACTED]');
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, message and fields', () => {
    const { logger, entries } = captureLogs();
    logger.info('snapshot loaded', { tools: 4 });
    const [entry] = entries();
    assert.equal(entry?.level, 'info');
    assert.equal(entry?.message, 'snapshot loaded');
    assert.equal(entry?.tools, 4);
    assert.ok(!Number.isNaN(Date.parse(String(entry?.time))));
  });

  it('scrubs secret values from messages and fields before writing', () => {
    const redactor = new Redactor();
    redactor.add(JSON.stringify({ username: 'svc-weather', password: 'correct-horse-battery' }));
    const { logger, lines } = captureLogs({ redactor });
    logger.error('login failed for svc-weather', { detail: 'password correct-horse-battery was refused' });
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /svc-weather|correct-horse-battery/);
    assert.match(lines[0]!, /\[REDACTED\]/);
  });

  it('scrubs a secret that contains a quote or a backslash', () => {
    const redactor = new Redactor();
    redactor.add('pa"ss\\word-42');
    const { logger, lines } = captureLogs({ redactor });
    logger.info('connecting', { password: 'pa"ss\\word-42' });
    assert.doesNotMatch(lines[0]!, /word-42/);
  });

  it('drops lines below its level and writes nothing when silent', () => {
    const warnOnly = captureLogs({ level: 'warn' });
    warnOnly.logger.debug('d');
    warnOnly.logger.info('i');
    warnOnly.logger.warn('w');
    warnOnly.logger.error('e');
    assert.deepEqual(
      warnOnly.entries().map((e) => e.level),
      ['warn', 'error'],
    );
    const silent = captureLogs({ level: 'silent' });
    silent.logger.error('e');
    assert.equal(silent.lines.length, 0);
  });

  it('gives a child its parent fields plus its own, without changing the parent', () => {
    const { logger, entries } = captureLogs();
    const child = logger.child({ requestId: 'req-1' }).child({ tool: 'calculate' });
    child.info('ran');
    logger.info('plain');
    const [fromChild, fromParent] = entries();
    assert.equal(fromChild?.requestId, 'req-1');
    assert.equal(fromChild?.tool, 'calculate');
    assert.equal(fromParent?.requestId, undefined);
    assert.equal(fromParent?.tool, undefined);
  });

  it('serializes errors with name, message, code and stack', () => {
    const { logger, entries } = captureLogs();
    logger.error('failed', { error: new McpClusterError('SOMETHING_BROKE', 'it broke') });
    const error = entries()[0]?.error as Record<string, unknown>;
    assert.equal(error.name, 'McpClusterError');
    assert.equal(error.message, 'it broke');
    assert.equal(error.code, 'SOMETHING_BROKE');
    assert.match(String(error.stack), /it broke\n\s+at /);
  });

  it('scrubs a secret quoted in an error message', () => {
    const redactor = new Redactor();
    redactor.add('tok_abcdef123456');
    const { logger, lines } = captureLogs({ redactor });
    logger.error('upstream refused', { error: new Error('401 for token tok_abcdef123456') });
    assert.doesNotMatch(lines[0]!, /tok_abcdef123456/);
  });

  it("gives the AWS SDK a logger for its warnings and errors, without the info the SDK would build every call's record for", () => {
    const { logger, entries } = captureLogs({ level: 'warn' });
    const sdk = sdkLogger(logger);
    assert.equal('info' in sdk, false);
    sdk.debug('@aws-sdk/credential-provider-env - fromEnv');
    sdk.warn('socket usage at capacity', { sockets: 50 });
    sdk.error(new Error('request failed'));
    assert.deepEqual(
      entries().map((entry) => [entry.level, entry.message]),
      [
        ['warn', 'AWS SDK'],
        ['error', 'AWS SDK'],
      ],
    );
    assert.deepEqual(entries()[0]?.sdk, ['socket usage at capacity', { sockets: 50 }]);
  });
});
