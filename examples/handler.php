<?php
/**
 * A Switchboard JSON handler in PHP, run by php-fpm (no web server in between).
 *
 * It never sees MCP: Switchboard sends one JSON envelope per request on stdin (php://input) and
 * this prints one JSON object (the handler contract). The "travel desk" has:
 *
 *   get_weather   a tool with structured output (output_schema + structured_content)
 *   book_flight   a tool that asks two questions in a row (class, then seat) through elicitation
 *   whoami        shows the session id and the X-Tenant header the MCP client sent
 *   travel://policy and travel://bookings/{id}   a resource and a resource template
 *   trip_summary  a prompt
 *
 * Run:  php-fpm8.2 -F -R -y examples/php-fpm.conf      (listens on 127.0.0.1:9000)
 * Then: "travel": { "handler": "127.0.0.1:9000", "entrypoint": "/abs/path/to/examples/handler.php",
 *                   "forwardHeaders": ["X-Tenant"] }      (X-Tenant is not forwarded by default)
 */

declare(strict_types=1);

const CLASSES = ['economy', 'premium', 'business'];
const SEATS = ['window' => 'A', 'aisle' => 'C'];
const POLICY = "# Travel policy\n\nEconomy for trips under 6 hours; business above.\n";

function error_reply(int $code, string $message): array
{
    return ['error' => ['code' => $code, 'message' => $message]];
}

function text_reply(string $text): array
{
    return ['content' => [['type' => 'text', 'text' => $text]]];
}

function discover(): array
{
    // (object) [] keeps empty objects as {} in JSON, not [].
    return [
        'tools' => [
            [
                'name' => 'get_weather',
                'title' => 'Weather',
                'description' => 'Current weather for a city.',
                'input_schema' => ['type' => 'object', 'properties' => ['city' => ['type' => 'string', 'description' => 'City name']], 'required' => ['city']],
                'output_schema' => [
                    'type' => 'object',
                    'properties' => ['city' => ['type' => 'string'], 'temperature_c' => ['type' => 'number'], 'conditions' => ['type' => 'string']],
                    'required' => ['city', 'temperature_c', 'conditions'],
                ],
                'annotations' => ['read_only_hint' => true, 'open_world_hint' => false],
            ],
            [
                'name' => 'book_flight',
                'title' => 'Book a flight',
                'description' => 'Books a flight; asks for the class and the seat.',
                'input_schema' => ['type' => 'object', 'properties' => ['destination' => ['type' => 'string']], 'required' => ['destination']],
                'annotations' => ['destructive_hint' => false, 'idempotent_hint' => false],
            ],
            [
                'name' => 'whoami',
                'description' => 'The MCP session and the X-Tenant header this call came with.',
                'input_schema' => ['type' => 'object', 'properties' => (object) []],
            ],
        ],
        'resources' => [
            ['uri' => 'travel://policy', 'name' => 'travel-policy', 'title' => 'Travel policy', 'description' => 'Who may book which class.', 'mime_type' => 'text/markdown'],
        ],
        'resource_templates' => [
            ['uri_template' => 'travel://bookings/{id}', 'name' => 'booking', 'description' => 'A booking by id, e.g. travel://bookings/BK-TOK-14A', 'mime_type' => 'application/json'],
        ],
        'prompts' => [
            [
                'name' => 'trip_summary',
                'title' => 'Trip summary',
                'description' => 'Asks for a short summary of a trip.',
                'arguments' => [['name' => 'destination', 'description' => 'Where to', 'required' => true]],
            ],
        ],
    ];
}

function get_weather(array $args): array
{
    $city = trim((string) ($args['city'] ?? ''));
    if ($city === '') {
        return error_reply(400, 'city is required');
    }
    $weather = ['city' => $city, 'temperature_c' => 10 + strlen($city) % 20, 'conditions' => 'sunny'];
    return [
        'content' => [['type' => 'text', 'text' => "{$city}: {$weather['temperature_c']} °C, sunny"]],
        'structured_content' => $weather,
    ];
}

/** Round 1 asks the class, round 2 the seat, round 3 books. State lives in context and answers. */
function book_flight(array $args, array $answers, $context): array
{
    $destination = trim((string) ($args['destination'] ?? ''));
    if ($destination === '') {
        return error_reply(400, 'destination is required');
    }
    if (count($answers) === 0) {
        return ['elicit' => [
            'message' => "Which class would you like to fly to {$destination}?",
            'schema' => ['type' => 'object', 'properties' => ['class' => ['type' => 'string', 'title' => 'Class', 'enum' => CLASSES]], 'required' => ['class']],
            'context' => ['step' => 'class'],
        ]];
    }
    $class = $answers[0]['class'] ?? null;
    if (!in_array($class, CLASSES, true)) {
        return error_reply(400, 'unknown class ' . json_encode($class));
    }
    if (count($answers) === 1) {
        return ['elicit' => [
            'message' => "Window or aisle seat in {$class}?",
            'schema' => ['type' => 'object', 'properties' => ['seat' => ['type' => 'string', 'title' => 'Seat', 'enum' => array_keys(SEATS)]], 'required' => ['seat']],
            'context' => ['step' => 'seat', 'class' => $class],
        ]];
    }
    if (($context['class'] ?? null) !== $class) {
        return error_reply(409, 'context does not match the answers');
    }
    $seatKind = $answers[1]['seat'] ?? null;
    if (!is_string($seatKind) || !isset(SEATS[$seatKind])) {
        return error_reply(400, 'unknown seat ' . json_encode($seatKind));
    }
    $seat = '14' . SEATS[$seatKind];
    // By characters, not bytes: "Москва" cut in the middle of a letter would not be valid UTF-8.
    preg_match('/^.{0,3}/u', $destination, $first);
    $booking = 'BK-' . strtoupper($first[0] ?? '') . '-' . $seat;
    return [
        'content' => [
            ['type' => 'text', 'text' => "Booked a {$class} {$seatKind} seat ({$seat}) to {$destination}. Booking {$booking}."],
            ['type' => 'resource_link', 'uri' => "travel://bookings/{$booking}", 'name' => $booking, 'mime_type' => 'application/json'],
        ],
        'structured_content' => ['booking' => $booking, 'destination' => $destination, 'class' => $class, 'seat' => $seat],
    ];
}

function call_tool(array $envelope): array
{
    $args = is_array($envelope['arguments'] ?? null) ? $envelope['arguments'] : [];
    switch ($envelope['name'] ?? '') {
        case 'get_weather':
            return get_weather($args);
        case 'book_flight':
            return book_flight($args, $envelope['elicitation_results'] ?? [], $envelope['context'] ?? null);
        case 'whoami':
            // Client headers arrive as HTTP_* params, like any CGI request header.
            $who = ['session_id' => $envelope['session_id'] ?? null, 'tenant' => $_SERVER['HTTP_X_TENANT'] ?? null];
            return ['content' => [['type' => 'text', 'text' => json_encode($who)]], 'structured_content' => $who];
        default:
            return error_reply(404, 'Unknown tool: ' . ($envelope['name'] ?? ''));
    }
}

function read_resource(array $envelope): array
{
    $uri = (string) ($envelope['uri'] ?? '');
    if ($uri === 'travel://policy') {
        return text_reply(POLICY);
    }
    $prefix = 'travel://bookings/';
    if (str_starts_with($uri, $prefix . 'BK-')) {
        return text_reply(json_encode(['booking' => substr($uri, strlen($prefix)), 'status' => 'confirmed']));
    }
    return error_reply(404, "No such resource: {$uri}");
}

function get_prompt(array $envelope): array
{
    if (($envelope['name'] ?? '') !== 'trip_summary') {
        return error_reply(404, 'Unknown prompt: ' . ($envelope['name'] ?? ''));
    }
    $destination = $envelope['arguments']['destination'] ?? '';
    if ($destination === '') {
        return error_reply(400, 'destination is required');
    }
    return [
        'description' => "Trip to {$destination}",
        'content' => [['type' => 'text', 'role' => 'user', 'text' => "Summarise my trip to {$destination} in three bullet points."]],
    ];
}

function handle(array $envelope): array
{
    switch ($envelope['type'] ?? '') {
        case 'discover':
            return discover();
        case 'call_tool':
            return call_tool($envelope);
        case 'read_resource':
            return read_resource($envelope);
        case 'get_prompt':
            return get_prompt($envelope);
        case 'elicitation_cancelled':
            // The user said no: nothing was booked, so there is nothing to undo. The reply is ignored.
            error_log("{$envelope['name']}: {$envelope['action']} ({$envelope['request_id']})");
            return [];
        default:
            return error_reply(400, 'Unknown envelope type: ' . json_encode($envelope['type'] ?? null));
    }
}

header('Content-Type: application/json');
$envelope = json_decode(file_get_contents('php://input') ?: '{}', true);
if (!is_array($envelope)) {
    http_response_code(400);
    echo json_encode(error_reply(400, 'bad request: the body is not a JSON object'));
    return;
}
echo json_encode((object) handle($envelope), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
