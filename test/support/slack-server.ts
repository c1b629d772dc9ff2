/**
 * A local HTTP server standing in for Slack's Web API (`chat.postMessage`, `chat.update`,
 * `chat.postEphemeral`, `views.open`), for tests of the notifier and the end-to-end flow:
 *
 *   const slack = await startSlackServer();
 *   const client = createSlackWebClient({ slackApiUrl: slack.apiUrl });
 *   ...
 *   expect(slack.calls('chat.postMessage')[0].args.blocks).toEqual([...]);
 *   await slack.stop();
 *
 * It records every call with its bearer token and its arguments (form fields, JSON-valued fields
 * such as `blocks` parsed), and answers as Slack does: `{ ok: true, channel, ts }`, or a queued
 * failure (`{ ok: false, error }`, an HTTP status).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  /** The token the call carried (bearer header, else form field); not repeated in `args`. */
  token: string | undefined;
  args: Record<string, unknown>;
}

export type SlackFailure = { error: string } | { status: number; retryAfterSeconds?: number };

export interface SlackServer {
  /** `http://127.0.0.1:PORT/api/`: pass as `slackApiUrl`. */
  readonly apiUrl: string;
  /** Every call so far, or those of one method. */
  calls(method?: string): SlackCall[];
  /** The next call of `method` fails this way (queued: one failure per call). */
  failNext(method: string, failure: SlackFailure): void;
  reset(): void;
  stop(): Promise<void>;
}

/** Fields Slack's SDK sends JSON-encoded inside the form. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

export async function startSlackServer(): Promise<SlackServer> {
  const recorded: SlackCall[] = [];
  const failures = new Map<string, SlackFailure[]>();
  let nextTs = 1_717_200_000_000_100n;

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const authorization = request.headers.authorization;
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    const args: Record<string, unknown> = {};
    const contentType = request.headers['content-type'] ?? '';
    if (contentType.includes('application/json')) {
      Object.assign(args, JSON.parse(body || '{}'));
    } else {
      for (const [key, value] of new URLSearchParams(body)) {
        args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
      }
    }
    // The SDK sends a per-call token as a form field as well as in the header.
    const formToken = typeof args.token === 'string' ? args.token : undefined;
    delete args.token;
    recorded.push({ method, token: token ?? formToken, args });

    const failure = failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
      response.writeHead(failure.status, headers).end(JSON.stringify({ ok: false, error: 'http_error' }));
      return;
    }
    if (failure) {
      reply(response, { ok: false, error: failure.error });
      return;
    }
    switch (method) {
      case 'chat.postMessage': {
        const ts = formatTs(nextTs);
        nextTs += 100n;
        // A message to a user id goes to the app's direct message with them (a D... channel).
        const channel =
          typeof args.channel === 'string' && /^[UW]/.test(args.channel)
            ? `D${args.channel.slice(1)}`
            : args.channel;
        reply(response, { ok: true, channel, ts, message: { ts } });
        return;
      }
      case 'chat.update':
        reply(response, { ok: true, channel: args.channel, ts: args.ts });
        return;
      case 'chat.postEphemeral':
        reply(response, { ok: true, message_ts: formatTs(nextTs) });
        return;
      case 'views.open':
        reply(response, { ok: true, view: { id: `V${recorded.length.toString().padStart(9, '0')}` } });
        return;
      default:
        reply(response, { ok: false, error: 'unknown_method' });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls: (method) => recorded.filter((call) => method === undefined || call.method === method),
    failNext(method, failure) {
      const queue = failures.get(method) ?? [];
      queue.push(failure);
      failures.set(method, queue);
    },
    reset() {
      recorded.length = 0;
      failures.clear();
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function reply(response: ServerResponse, body: Record<string, unknown>): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** `1717200000000100` -> `1717200000.000100` */
function formatTs(value: bigint): string {
  const text = value.toString();
  return `${text.slice(0, 10)}.${text.slice(10)}`;
}
