#!/usr/bin/env python3
"""A Switchboard JSON handler in Python, standard library only.

It never sees MCP: Switchboard POSTs one JSON envelope per request and this answers one JSON
object (the handler contract). The "travel desk" has:

  get_weather   a tool with structured output (output_schema + structured_content)
  book_flight   a tool that asks two questions in a row (class, then seat) through elicitation
  whoami        shows the session id and the X-Tenant header the MCP client sent
  travel://policy and travel://bookings/{id}   a resource and a resource template
  trip_summary  a prompt

Run:  python3 examples/handler.py [PORT]      (default 8081; 0 picks a free port)
Then: "travel": { "handler": "http://127.0.0.1:8081/", "forwardHeaders": ["X-Tenant"] } in Switchboard's
mcpServers (X-Tenant is not forwarded by default).
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLASSES = ["economy", "premium", "business"]
SEATS = {"window": "A", "aisle": "C"}

TOOLS = [
    {
        "name": "get_weather",
        "title": "Weather",
        "description": "Current weather for a city.",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
        "output_schema": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "temperature_c": {"type": "number"},
                "conditions": {"type": "string"},
            },
            "required": ["city", "temperature_c", "conditions"],
        },
        "annotations": {"read_only_hint": True, "open_world_hint": False},
    },
    {
        "name": "book_flight",
        "title": "Book a flight",
        "description": "Books a flight; asks for the class and the seat.",
        "input_schema": {
            "type": "object",
            "properties": {"destination": {"type": "string"}},
            "required": ["destination"],
        },
        "annotations": {"destructive_hint": False, "idempotent_hint": False},
    },
    {
        "name": "whoami",
        "description": "The MCP session and the X-Tenant header this call came with.",
        "input_schema": {"type": "object", "properties": {}},
    },
]

RESOURCES = [
    {
        "uri": "travel://policy",
        "name": "travel-policy",
        "title": "Travel policy",
        "description": "Who may book which class.",
        "mime_type": "text/markdown",
    }
]

RESOURCE_TEMPLATES = [
    {
        "uri_template": "travel://bookings/{id}",
        "name": "booking",
        "description": "A booking by id, e.g. travel://bookings/BK-TOK-14A",
        "mime_type": "application/json",
    }
]

PROMPTS = [
    {
        "name": "trip_summary",
        "title": "Trip summary",
        "description": "Asks for a short summary of a trip.",
        "arguments": [{"name": "destination", "description": "Where to", "required": True}],
    }
]

POLICY = "# Travel policy\n\nEconomy for trips under 6 hours; business above.\n"


def error(code, message):
    return {"error": {"code": code, "message": message}}


def text(value):
    return {"content": [{"type": "text", "text": value}]}


def get_weather(args):
    city = str(args.get("city") or "").strip()
    if not city:
        return error(400, "city is required")
    weather = {"city": city, "temperature_c": 10 + len(city) % 20, "conditions": "sunny"}
    return {
        "content": [{"type": "text", "text": f"{city}: {weather['temperature_c']} °C, sunny"}],
        "structured_content": weather,
    }


def book_flight(args, answers, context):
    """Round 1 asks the class, round 2 the seat, round 3 books. State lives in context and answers."""
    destination = str(args.get("destination") or "").strip()
    if not destination:
        return error(400, "destination is required")
    if len(answers) == 0:
        return {
            "elicit": {
                "message": f"Which class would you like to fly to {destination}?",
                "schema": {
                    "type": "object",
                    "properties": {"class": {"type": "string", "title": "Class", "enum": CLASSES}},
                    "required": ["class"],
                },
                "context": {"step": "class"},
            }
        }
    travel_class = answers[0].get("class")
    if travel_class not in CLASSES:
        return error(400, f"unknown class {travel_class!r}")
    if len(answers) == 1:
        return {
            "elicit": {
                "message": f"Window or aisle seat in {travel_class}?",
                "schema": {
                    "type": "object",
                    "properties": {"seat": {"type": "string", "title": "Seat", "enum": list(SEATS)}},
                    "required": ["seat"],
                },
                "context": {"step": "seat", "class": travel_class},
            }
        }
    if (context or {}).get("class") != travel_class:
        return error(409, "context does not match the answers")
    seat_kind = answers[1].get("seat")
    if seat_kind not in SEATS:
        return error(400, f"unknown seat {seat_kind!r}")
    seat = "14" + SEATS[seat_kind]
    booking = f"BK-{destination[:3].upper()}-{seat}"
    return {
        "content": [
            {"type": "text", "text": f"Booked a {travel_class} {seat_kind} seat ({seat}) to {destination}. Booking {booking}."},
            {
                "type": "resource_link",
                "uri": f"travel://bookings/{booking}",
                "name": booking,
                "mime_type": "application/json",
            },
        ],
        "structured_content": {"booking": booking, "destination": destination, "class": travel_class, "seat": seat},
    }


def call_tool(envelope, headers):
    name = envelope.get("name")
    args = envelope.get("arguments") or {}
    if name == "get_weather":
        return get_weather(args)
    if name == "book_flight":
        return book_flight(args, envelope.get("elicitation_results") or [], envelope.get("context"))
    if name == "whoami":
        who = {"session_id": envelope.get("session_id"), "tenant": headers.get("X-Tenant")}
        return {"content": [{"type": "text", "text": json.dumps(who)}], "structured_content": who}
    return error(404, f"Unknown tool: {name}")


def read_resource(envelope):
    uri = envelope.get("uri", "")
    if uri == "travel://policy":
        return text(POLICY)
    prefix = "travel://bookings/"
    if uri.startswith(prefix) and uri[len(prefix):].startswith("BK-"):
        return text(json.dumps({"booking": uri[len(prefix):], "status": "confirmed"}))
    return error(404, f"No such resource: {uri}")


def get_prompt(envelope):
    if envelope.get("name") != "trip_summary":
        return error(404, f"Unknown prompt: {envelope.get('name')}")
    destination = (envelope.get("arguments") or {}).get("destination")
    if not destination:
        return error(400, "destination is required")
    return {
        "description": f"Trip to {destination}",
        "content": [{"type": "text", "role": "user", "text": f"Summarise my trip to {destination} in three bullet points."}],
    }


def handle(envelope, headers):
    kind = envelope.get("type")
    if kind == "discover":
        return {"tools": TOOLS, "resources": RESOURCES, "resource_templates": RESOURCE_TEMPLATES, "prompts": PROMPTS}
    if kind == "call_tool":
        return call_tool(envelope, headers)
    if kind == "read_resource":
        return read_resource(envelope)
    if kind == "get_prompt":
        return get_prompt(envelope)
    if kind == "elicitation_cancelled":
        # The user said no: nothing was booked, so there is nothing to undo. The reply is ignored.
        print(f"{envelope.get('name')}: {envelope.get('action')} ({envelope.get('request_id')})", file=sys.stderr)
        return {}
    return error(400, f"Unknown envelope type: {kind}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Switchboard's connection pool expects

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            envelope = json.loads(self.rfile.read(length) or b"{}")
            status, reply = 200, handle(envelope, self.headers)
        except (ValueError, AttributeError) as exc:
            status, reply = 400, error(400, f"bad request: {exc}")
        body = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # quiet; errors still reach stderr


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"travel desk handler on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
