/**
 * The three examples, run for real, through the upstream behaviour suite: handler.py and
 * handler.mjs over HTTP, handler.php under php-fpm on 127.0.0.1 and on a Unix socket, and the
 * same desk under node-fastcgi (TCP and Unix socket).
 */
import { createHandlerUpstream } from '../../../main/engine/upstreams/handler/handler-upstream.ts';
import { startExample } from '../../fixtures/handlers/example-process.ts';
import { EXAMPLE_PHP, startPhpFpm } from '../../fixtures/handlers/php-fpm.ts';
import { jsonResponder, startFastcgiHandler, travelDesk } from '../../fixtures/handlers/servers.ts';
import { FAST_BACKOFF, specFor } from './helpers.ts';
import { describeUpstreamBehaviour } from './upstream-behaviour.ts';

/** The desk tells tenants apart by X-Tenant, which a handler gets only when its entry forwards it. */
const TENANT = { forwardHeaders: ['X-Tenant'] };

for (const kind of ['python', 'node'] as const) {
  describeUpstreamBehaviour(`examples/handler.${kind === 'python' ? 'py' : 'mjs'} over HTTP`, async () => {
    const example = await startExample(kind);
    const upstream = createHandlerUpstream(specFor(`travel-${kind}`, example.url, TENANT), { backoff: FAST_BACKOFF });
    return {
      upstream,
      output: example.output,
      close: async () => {
        await upstream.stop();
        await example.stop();
      },
    };
  });
}

for (const listen of ['tcp', 'unix'] as const) {
  describeUpstreamBehaviour(
    `examples/handler.php under php-fpm (${listen === 'tcp' ? '127.0.0.1' : 'Unix socket'})`,
    async () => {
      const fpm = await startPhpFpm({ listen });
      const upstream = createHandlerUpstream(
        specFor(`travel-php-${listen}`, fpm.address, { entrypoint: EXAMPLE_PHP, ...TENANT }),
        { backoff: FAST_BACKOFF },
      );
      return {
        upstream,
        close: async () => {
          await upstream.stop();
          await fpm.stop();
        },
      };
    },
  );

  describeUpstreamBehaviour(
    `the travel desk under node-fastcgi (${listen === 'tcp' ? '127.0.0.1' : 'Unix socket'})`,
    async () => {
      const desk = await travelDesk();
      const server = await startFastcgiHandler(
        jsonResponder(({ envelope, headers }) => desk(envelope, headers)),
        { listen },
      );
      const upstream = createHandlerUpstream(
        specFor(`travel-fcgi-${listen}`, server.address, { entrypoint: '/srv/travel/handler.js', ...TENANT }),
        { backoff: FAST_BACKOFF },
      );
      return {
        upstream,
        output: () =>
          server.received
            .filter((r) => r.envelope.type === 'elicitation_cancelled')
            .map((r) => `${String(r.envelope.name)}: ${String(r.envelope.action)}`)
            .join('\n'),
        close: async () => {
          await upstream.stop();
          await server.close();
        },
      };
    },
  );
}
