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

/**
 * Lambda's response streaming, as its Node.js runtime offers it (`awslambda.streamifyResponse`,
 * `awslambda.HttpResponseStream.from`): a handler it wraps gets a stream whose prelude (status, headers) and chunks
 * are sent to the front over IPC as they are written, so the front sends them on as API Gateway's STREAM mode does.
 */
const STREAMING = Symbol('streaming');
type StreamingHandler = ((event: APIGatewayProxyEvent, stream: ResponseStream, context: Context) => Promise<void>) & {
  [STREAMING]?: true;
};
interface ResponseStream {
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): void;
  prelude?(head: { statusCode: number; headers: Record<string, string> }): void;
}
(globalThis as { awslambda?: unknown }).awslambda = {
  streamifyResponse(fn: StreamingHandler) {
    fn[STREAMING] = true;
    return fn;
  },
  HttpResponseStream: {
    from(stream: ResponseStream, head: { statusCode: number; headers: Record<string, string> }) {
      stream.prelude?.(head);
      return stream;
    },
  },
};

const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler | StreamingHandler };

function responseStream(id: number): ResponseStream {
  const text = (chunk: string | Uint8Array) =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return {
    prelude: (head) => process.send?.({ id, head }),
    write(chunk) {
      process.send?.({ id, chunk: text(chunk) });
      return true;
    },
    end(chunk) {
      if (chunk !== undefined) process.send?.({ id, chunk: text(chunk) });
    },
  };
}

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
    if ((handler as StreamingHandler)[STREAMING]) {
      await (handler as StreamingHandler)(
        message.event,
        responseStream(message.id),
        lambdaContext(message.id, message.timeoutMs),
      );
      process.send?.({ id: message.id, streamed: true });
      return;
    }
    result = await (handler as Handler)(message.event, lambdaContext(message.id, message.timeoutMs));
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
