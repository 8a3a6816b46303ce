import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClusterContext, stackPropsFromContext } from '../../infra/cdk/context.js';

const parse = (context: Record<string, unknown>) => parseClusterContext((key) => context[key]);

describe('the app context', () => {
  it('defaults to the dev stage with 1024 MB, 28 s for a JSON answer, 300 s for a streamed one and a 10 s tool deadline', () => {
    const context = parse({});
    assert.equal(context.stage, 'dev');
    assert.equal(context.retain, undefined, 'retention follows the stage unless set');
    assert.equal(context.memorySize, 1024);
    assert.equal(context.timeoutSeconds, 28);
    assert.equal(context.streamingTimeoutSeconds, 300);
    assert.equal(context.toolTimeoutMs, 10_000);
    assert.equal(context.waf, false);
    assert.equal(context.apiGatewayCloudWatchRole, true);
  });

  it('takes numbers, booleans and lists as the strings -c passes', () => {
    const context = parse({
      stage: 'prod',
      memorySize: '2048',
      waf: 'true',
      retain: 'false',
      corsOrigins: 'https://a.example.com, https://b.example.com',
    });
    assert.equal(context.memorySize, 2048);
    assert.equal(context.waf, true);
    assert.equal(context.retain, false);
    assert.deepEqual(context.corsOrigins, ['https://a.example.com', 'https://b.example.com']);
  });

  it('takes the same values as JSON types from cdk.json', () => {
    const context = parse({ memorySize: 512, waf: true, corsOrigins: ['https://a.example.com'] });
    assert.equal(context.memorySize, 512);
    assert.equal(context.waf, true);
    assert.deepEqual(context.corsOrigins, ['https://a.example.com']);
  });

  it('lists every problem in one error, each with the key and the value given', () => {
    assert.throws(
      () =>
        parse({
          stage: 'Prod',
          memorySize: 'lots',
          timeoutSeconds: '40',
          waf: 'yes',
          logRetentionDays: '8',
          domainName: 'mcp.example.com',
          alarmEmail: 'not-an-email',
          corsOrigins: 'app.example.com',
        }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        const lines = error.message.split('\n').slice(1);
        assert.equal(lines.length, 8, error.message);
        assert.match(error.message, /stage: .*lower-case.* \(got "Prod"\)/);
        assert.match(error.message, /memorySize: must be a whole number \(got "lots"\)/);
        assert.match(error.message, /timeoutSeconds: must be at most 28 \(got "40"\)/);
        assert.match(error.message, /waf: must be true or false \(got "yes"\)/);
        assert.match(error.message, /logRetentionDays: must be one of/);
        assert.match(error.message, /certificateArn: is required with domainName/);
        assert.match(error.message, /alarmEmail: must be an email address/);
        assert.match(error.message, /corsOrigins.0: must be origins such as https:\/\/app.example.com/);
        return true;
      },
    );
  });

  it('refuses a tool deadline that leaves the function no time to answer', () => {
    assert.throws(() => parse({ timeoutSeconds: '10', toolTimeoutMs: '9500' }), /toolTimeoutMs: must leave 1000 ms/);
  });

  it('takes a streaming timeout of up to 15 minutes, and no more', () => {
    const props = stackPropsFromContext(parse({ streamingTimeoutSeconds: '900' }));
    assert.equal(props.mcpFunction?.streamingTimeout?.toSeconds(), 900);
    assert.equal(props.mcpFunction?.jsonResponseTimeout?.toSeconds(), 28);
    assert.throws(() => parse({ streamingTimeoutSeconds: '901' }), /streamingTimeoutSeconds: must be at most 900/);
    assert.throws(() => parse({ streamingTimeoutSeconds: '29' }), /streamingTimeoutSeconds: must be at least 30/);
  });

  it('refuses more provisioned than reserved concurrency', () => {
    assert.throws(
      () => parse({ reservedConcurrency: '5', provisionedConcurrency: '10' }),
      /provisionedConcurrency: must not exceed reservedConcurrency/,
    );
  });

  it('refuses a domain outside its hosted zone, and a zone id without its name', () => {
    assert.throws(
      () =>
        parse({
          domainName: 'mcp.example.org',
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
          hostedZoneId: 'Z0123456789',
          hostedZoneName: 'example.com',
        }),
      /domainName: must be in the hosted zone example.com/,
    );
    assert.throws(
      () =>
        parse({
          domainName: 'mcp.example.com',
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
          hostedZoneId: 'Z0123456789',
        }),
      /hostedZoneName: is required with hostedZoneId/,
    );
  });

  it('reads the private ranges HTTP tools may reach, and refuses what is not a CIDR', () => {
    assert.deepEqual(
      stackPropsFromContext(parse({ outboundAllowedCidrs: '10.0.0.0/8, fd00::/8' })).outboundAllowedCidrs,
      ['10.0.0.0/8', 'fd00::/8'],
    );
    assert.throws(() => parse({ outboundAllowedCidrs: '10.0.0.0/33' }), /outboundAllowedCidrs: must be valid CIDRs/);
    assert.throws(
      () => parse({ outboundAllowedCidrs: 'intranet' }),
      /outboundAllowedCidrs: must be comma-separated CIDRs/,
    );
  });

  it('refuses both an alarm email and an alarm topic', () => {
    assert.throws(
      () => parse({ alarmEmail: 'ops@example.com', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms' }),
      /alarmEmail: give alarmEmail or alarmTopicArn, not both/,
    );
  });

  it('needs an audience for an OAuth issuer when no custom domain fixes the endpoint URL', () => {
    assert.throws(
      () => parse({ oauthIssuer: 'https://login.example.com' }),
      /oauthAudience: is required with oauthIssuer/,
    );
    assert.throws(
      () => parse({ oauthIssuer: 'http://login.example.com', oauthAudience: 'x' }),
      /oauthIssuer: must be an https URL/,
    );
    const props = stackPropsFromContext(
      parse({
        oauthIssuer: 'https://login.example.com',
        oauthAudience: 'https://mcp.example.com/mcp',
        requiredScopes: 'mcp:use',
      }),
    );
    assert.deepEqual(props.oauth, {
      issuer: 'https://login.example.com',
      audience: 'https://mcp.example.com/mcp',
      jwksUri: undefined,
    });
    assert.deepEqual(props.requiredScopes, ['mcp:use']);
  });

  it('turns into stack properties with the custom domain, WAF and alarms grouped', () => {
    const props = stackPropsFromContext(
      parse({
        stage: 'prod',
        domainName: 'mcp.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
        waf: 'true',
        wafRateLimit: '300',
        alarmEmail: 'ops@example.com',
      }),
    );
    assert.equal(props.stage, 'prod');
    assert.deepEqual(props.customDomain, {
      domainName: 'mcp.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
      hostedZone: undefined,
    });
    assert.deepEqual(props.waf, { rateLimit: 300 });
    assert.equal(props.alarms?.email, 'ops@example.com');
    assert.equal(stackPropsFromContext(parse({})).waf, undefined);
  });
});
