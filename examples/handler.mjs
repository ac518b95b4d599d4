#!/usr/bin/env node
/**
 * A Switchboard JSON handler in Node.js, built-ins only.
 *
 * It never sees MCP: Switchboard POSTs one JSON envelope per request and this answers one JSON
 * object (the handler contract). The "travel desk" has:
 *
 *   get_weather   a tool with structured output (output_schema + structured_content)
 *   book_flight   a tool that asks two questions in a row (class, then seat) through elicitation
 *   whoami        shows the session id and the X-Tenant header the MCP client sent
 *   travel://policy and travel://bookings/{id}   a resource and a resource template
 *   trip_summary  a prompt
 *
 * Run:  node examples/handler.mjs [PORT]      (default 8082; 0 picks a free port)
 * Then: "travel": { "handler": "http://127.0.0.1:8082/", "forwardHeaders": ["X-Tenant"] } in Switchboard's
 * mcpServers (X-Tenant is not forwarded by default).
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const CLASSES = ['economy', 'premium', 'business'];
const SEATS = { window: 'A', aisle: 'C' };

const TOOLS = [
  {
    name: 'get_weather',
    title: 'Weather',
    description: 'Current weather for a city.',
    input_schema: {
      type: 'object',
      properties: { city: { type: 'string', description: 'City name' } },
      required: ['city'],
    },
    output_schema: {
      type: 'object',
      properties: { city: { type: 'string' }, temperature_c: { type: 'number' }, conditions: { type: 'string' } },
      required: ['city', 'temperature_c', 'conditions'],
    },
    annotations: { read_only_hint: true, open_world_hint: false },
  },
  {
    name: 'book_flight',
    title: 'Book a flight',
    description: 'Books a flight; asks for the class and the seat.',
    input_schema: { type: 'object', properties: { destination: { type: 'string' } }, required: ['destination'] },
    annotations: { destructive_hint: false, idempotent_hint: false },
  },
  {
    name: 'whoami',
    description: 'The MCP session and the X-Tenant header this call came with.',
    input_schema: { type: 'object', properties: {} },
  },
];

const RESOURCES = [
  {
    uri: 'travel://policy',
    name: 'travel-policy',
    title: 'Travel policy',
    description: 'Who may book which class.',
    mime_type: 'text/markdown',
  },
];

const RESOURCE_TEMPLATES = [
  {
    uri_template: 'travel://bookings/{id}',
    name: 'booking',
    description: 'A booking by id, e.g. travel://bookings/BK-TOK-14A',
    mime_type: 'application/json',
  },
];

const PROMPTS = [
  {
    name: 'trip_summary',
    title: 'Trip summary',
    description: 'Asks for a short summary of a trip.',
    arguments: [{ name: 'destination', description: 'Where to', required: true }],
  },
];

const POLICY = '# Travel policy\n\nEconomy for trips under 6 hours; business above.\n';

const error = (code, message) => ({ error: { code, message } });
const text = (value) => ({ content: [{ type: 'text', text: value }] });

function getWeather(args) {
  const city = String(args.city ?? '').trim();
  if (!city) return error(400, 'city is required');
  const weather = { city, temperature_c: 10 + (city.length % 20), conditions: 'sunny' };
  return {
    content: [{ type: 'text', text: `${city}: ${weather.temperature_c} °C, sunny` }],
    structured_content: weather,
  };
}

/** Round 1 asks the class, round 2 the seat, round 3 books. State lives in context and answers. */
function bookFlight(args, answers, context) {
  const destination = String(args.destination ?? '').trim();
  if (!destination) return error(400, 'destination is required');
  if (answers.length === 0) {
    return {
      elicit: {
        message: `Which class would you like to fly to ${destination}?`,
        schema: {
          type: 'object',
          properties: { class: { type: 'string', title: 'Class', enum: CLASSES } },
          required: ['class'],
        },
        context: { step: 'class' },
      },
    };
  }
  const travelClass = answers[0]?.class;
  if (!CLASSES.includes(travelClass)) return error(400, `unknown class ${JSON.stringify(travelClass)}`);
  if (answers.length === 1) {
    return {
      elicit: {
        message: `Window or aisle seat in ${travelClass}?`,
        schema: {
          type: 'object',
          properties: { seat: { type: 'string', title: 'Seat', enum: Object.keys(SEATS) } },
          required: ['seat'],
        },
        context: { step: 'seat', class: travelClass },
      },
    };
  }
  if (context?.class !== travelClass) return error(409, 'context does not match the answers');
  const seatKind = answers[1]?.seat;
  if (!Object.hasOwn(SEATS, seatKind)) return error(400, `unknown seat ${JSON.stringify(seatKind)}`);
  const seat = `14${SEATS[seatKind]}`;
  const booking = `BK-${destination.slice(0, 3).toUpperCase()}-${seat}`;
  return {
    content: [
      {
        type: 'text',
        text: `Booked a ${travelClass} ${seatKind} seat (${seat}) to ${destination}. Booking ${booking}.`,
      },
      { type: 'resource_link', uri: `travel://bookings/${booking}`, name: booking, mime_type: 'application/json' },
    ],
    structured_content: { booking, destination, class: travelClass, seat },
  };
}

function callTool(envelope, headers) {
  const args = envelope.arguments ?? {};
  switch (envelope.name) {
    case 'get_weather':
      return getWeather(args);
    case 'book_flight':
      return bookFlight(args, envelope.elicitation_results ?? [], envelope.context);
    case 'whoami': {
      const who = { session_id: envelope.session_id, tenant: headers['x-tenant'] ?? null };
      return { content: [{ type: 'text', text: JSON.stringify(who) }], structured_content: who };
    }
    default:
      return error(404, `Unknown tool: ${envelope.name}`);
  }
}

function readResource(envelope) {
  const uri = String(envelope.uri ?? '');
  if (uri === 'travel://policy') return text(POLICY);
  const prefix = 'travel://bookings/';
  if (uri.startsWith(`${prefix}BK-`))
    return text(JSON.stringify({ booking: uri.slice(prefix.length), status: 'confirmed' }));
  return error(404, `No such resource: ${uri}`);
}

function getPrompt(envelope) {
  if (envelope.name !== 'trip_summary') return error(404, `Unknown prompt: ${envelope.name}`);
  const destination = envelope.arguments?.destination;
  if (!destination) return error(400, 'destination is required');
  return {
    description: `Trip to ${destination}`,
    content: [{ type: 'text', role: 'user', text: `Summarise my trip to ${destination} in three bullet points.` }],
  };
}

/** One envelope in, one reply out (exported so Switchboard's tests can run the same desk in-process). */
export function handle(envelope, headers = {}) {
  switch (envelope.type) {
    case 'discover':
      return { tools: TOOLS, resources: RESOURCES, resource_templates: RESOURCE_TEMPLATES, prompts: PROMPTS };
    case 'call_tool':
      return callTool(envelope, headers);
    case 'read_resource':
      return readResource(envelope);
    case 'get_prompt':
      return getPrompt(envelope);
    case 'elicitation_cancelled':
      // The user said no: nothing was booked, so there is nothing to undo. The reply is ignored.
      console.error(`${envelope.name}: ${envelope.action} (${envelope.request_id})`);
      return {};
    default:
      return error(400, `Unknown envelope type: ${envelope.type}`);
  }
}

function serve(port) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let status = 200;
      let reply;
      try {
        reply = handle(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'), req.headers);
      } catch (err) {
        status = 400;
        reply = error(400, `bad request: ${err.message}`);
      }
      const body = JSON.stringify(reply);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(`travel desk handler on http://127.0.0.1:${server.address().port}/`);
  });
}

// Serve when run as a program, not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) serve(Number(process.argv[2] ?? 8082));
