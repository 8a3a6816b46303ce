import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/**
 * One local "Lambda instance": loads the bundled MCP handler (the artifact that is deployed) and answers the
 * events the front sends over IPC.
 */
interface InvokeMessage {
  id: number;
  event: APIGatewayProxyEvent;
  timeoutMs: number;
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const bundle = process.env.MCP_HANDLER_BUNDLE;
if (!bundle || !process.send) {
  console.error('worker.ts is started by the local cluster (needs MCP_HANDLER_BUNDLE and an IPC channel)');
  process.exit(1);
}

const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };

function lambdaContext(id: number, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'mcp-cluster-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:mcp-cluster-local',
    memoryLimitInMB: '1024',
    awsRequestId: `local-${process.pid}-${id}`,
    logGroupName: '/aws/lambda/mcp-cluster-local',
    logStreamName: `worker-${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

process.on('message', async (message: InvokeMessage) => {
  let result: APIGatewayProxyResult;
  try {
    result = await handler(message.event, lambdaContext(message.id, message.timeoutMs));
  } catch (error) {
    // Lambda answers an unhandled error with a 502 from API Gateway; so does the local front.
    console.error(JSON.stringify({ level: 'error', message: 'handler threw', error: String(error) }));
    result = {
      statusCode: 502,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Internal server error"}',
    };
  }
  process.send?.({ id: message.id, result });
});

process.send({ ready: true });
