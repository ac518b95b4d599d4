/**
 * What a profile advertises in initialize (and server/discover): what its members support,
 * never more. Servers start after clients connect, so this is decided with what is known: the
 * members ready now, the others as they were when last ready in this run; a member never seen
 * adds nothing. Tools, prompts and resources are always offered with listChanged: the gateway
 * itself sends list_changed when a server arrives, leaves or changes its lists, so a client
 * that connected early still learns about servers that come up later. What a member adds only
 * when seen: resources.subscribe, logging, completions, tasks (and which task requests).
 */
type Caps = Record<string, unknown>;

function isObject(value: unknown): value is Caps {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep union of plain objects (capability trees are objects of objects). */
function merge(into: Caps, from: Caps): void {
  for (const [key, value] of Object.entries(from)) {
    if (!isObject(value)) continue;
    const existing = into[key];
    if (!isObject(existing)) into[key] = {};
    merge(into[key] as Caps, value);
  }
}

export function profileCapabilities(members: readonly Caps[]): Caps {
  const resources: Caps = { listChanged: true };
  const out: Caps = { tools: { listChanged: true }, prompts: { listChanged: true }, resources };
  let tasks: Caps | undefined;
  for (const caps of members) {
    if (isObject(caps.resources) && caps.resources.subscribe === true) resources.subscribe = true;
    if (isObject(caps.logging)) out.logging = {};
    if (isObject(caps.completions)) out.completions = {};
    if (isObject(caps.tasks)) {
      tasks ??= { list: {} };
      if (isObject(caps.tasks.cancel)) tasks.cancel = {};
      if (isObject(caps.tasks.requests)) {
        if (!isObject(tasks.requests)) tasks.requests = {};
        merge(tasks.requests as Caps, caps.tasks.requests);
      }
    }
  }
  // tasks/list is the gateway's own (merged, per session), so it is there whenever tasks are.
  if (tasks) out.tasks = tasks;
  return out;
}
