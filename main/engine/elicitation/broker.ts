/**
 * The question broker: server-to-client requests (elicitation, sampling) that the client cannot
 * answer wait here as questions until the user answers them in the app, the time runs out, or
 * the server withdraws them. Nothing is ever answered on the user's behalf: a timeout is a cancel
 * (elicitation) or a rejection (sampling), never an accept. URLs are shown, never opened.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { USER_URL_RULE, userUrlRefusal } from '../egress/user-url.ts';
import { GatewayError, errorMessage } from '../protocol/errors.ts';
import type { Question, QuestionEnded, QuestionOutcome } from '../../../preload/contract/index.ts';
import { UNANSWERED_META, type AskOptions, type QuestionRequest } from './types.ts';
import {
  QuestionAnswerError,
  invalidParams,
  isObject,
  normalizeRequestedSchema,
  normalizeSamplingParams,
  samplingResult,
  validateFormContent,
} from './validate.ts';

export interface QuestionBrokerOptions {
  /** Questions waiting at once; beyond this new ones are refused at once. Default 100. */
  maxPending?: number;
}

export interface QuestionBrokerEvents {
  added: [question: Question];
  ended: [ended: QuestionEnded];
  /** Something worth a line in the gateway's log (a refused request, a failing listener). */
  log: [message: string];
}

/** The spec's error code for "user rejected sampling". */
export const USER_REJECTED = -1;

export const DEFAULT_MAX_PENDING = 100;
/** Longest URL we show; a longer one is refused (nobody can check it by eye). */
export const MAX_URL_LENGTH = 8192;
const MAX_TIMER_MS = 2 ** 31 - 1;

type Result = Record<string, unknown>;
type Settlement = { result: Result } | { error: Error };

interface Pending {
  question: Question;
  resolve(result: Result): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  detach(): void;
}

/** Why a URL-mode URL must not be shown, or undefined when it may be (then `href` is it, normalised). */
function checkUrl(raw: unknown): { href: string } | { refused: string } {
  if (typeof raw !== 'string' || raw === '') return { refused: 'has no url' };
  if (raw.length > MAX_URL_LENGTH) return { refused: `has a url longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { refused: 'has a url that does not parse' };
  }
  const why = userUrlRefusal(url);
  if (why) return { refused: `has ${why}; ${USER_URL_RULE} are shown` };
  // The parsed form: an internationalised host shows as punycode, so look-alike names stand out.
  return { href: url.href };
}

/** Why a URL-mode elicitation's page would not be shown to the user, or undefined when it would be. */
export function pageRefusal(url: unknown): string | undefined {
  const checked = checkUrl(url);
  return 'refused' in checked ? checked.refused : undefined;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** An elicitation's cancel that no person gave, with why (see UNANSWERED_META). */
const unanswered = (why: string): Result => ({ action: 'cancel', _meta: { [UNANSWERED_META]: why } });

function samplingRejected(code: 'request_cancelled' | 'request_timeout', why: string): GatewayError {
  const message = `User rejected sampling request (${why})`;
  return new GatewayError(code, message, { rpc: { code: USER_REJECTED, message } });
}

function shortId(id: string): string {
  return JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id);
}

export class QuestionBroker extends EventEmitter<QuestionBrokerEvents> {
  private readonly pending = new Map<string, Pending>();
  private readonly maxPending: number;

  constructor(options: QuestionBrokerOptions = {}) {
    super();
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Puts a server's request to the user. Resolves with the MCP result for the server:
   * elicitation `{ action: 'accept', content } | { action: 'decline' } | { action: 'cancel' }`
   * (a timeout is a cancel), sampling a CreateMessageResult. Rejects when sampling is declined,
   * dismissed or times out (JSON-RPC code -1), when the server's request is malformed (-32602),
   * and when `signal` fires (the server cancelled: the question is withdrawn).
   */
  ask(request: QuestionRequest, options: AskOptions): Promise<Result> {
    const { server, method } = request;
    const sampling = method === 'sampling/createMessage';
    if (options.signal?.aborted) return Promise.reject(this.withdrawnError(request));
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      return Promise.reject(
        new GatewayError(
          'internal',
          `QuestionBroker.ask: timeoutMs must be a positive number, got ${options.timeoutMs}`,
        ),
      );
    }
    if (method !== 'elicitation/create' && !sampling) {
      return Promise.reject(
        new GatewayError('method_not_found', `Switchboard cannot ask the user to answer ${String(method)}`),
      );
    }
    const timeoutMs = Math.min(options.timeoutMs, MAX_TIMER_MS);
    const createdAt = Date.now();
    const base = {
      id: randomBytes(18).toString('base64url'),
      server,
      reason: request.reason,
      createdAt,
      expiresAt: createdAt + timeoutMs,
      ...(request.client
        ? {
            client:
              request.client.version === undefined
                ? { name: request.client.name }
                : { name: request.client.name, version: request.client.version },
          }
        : {}),
    };
    const params = isObject(request.params) ? request.params : {};

    let question: Question;
    try {
      if (sampling) {
        const sp = normalizeSamplingParams(params);
        const n = sp.messages.length;
        question = {
          ...base,
          kind: 'sampling',
          mode: 'form',
          message:
            `"${server}" asks for a model reply to ${n} message${n === 1 ? '' : 's'}. Nothing is sent ` +
            `unless you write a reply.`,
          params: sp,
        };
      } else {
        if (params.message !== undefined && typeof params.message !== 'string')
          throw invalidParams('elicitation/create: "message" must be a string');
        const message = typeof params.message === 'string' ? params.message : '';
        const mode = params.mode ?? 'form';
        if (mode === 'url') {
          const url = checkUrl(params.url);
          if ('refused' in url) {
            this.log(
              `elicitation/create from "${server}" refused: it ${url.refused}; the server was told the user declined`,
            );
            return Promise.resolve({ action: 'decline' });
          }
          question = {
            ...base,
            kind: 'elicitation',
            mode: 'url',
            message,
            url: url.href,
            ...(typeof params.elicitationId === 'string' ? { elicitationId: params.elicitationId } : {}),
          };
        } else if (mode === 'form') {
          question = {
            ...base,
            kind: 'elicitation',
            mode: 'form',
            message,
            requestedSchema: normalizeRequestedSchema(params.requestedSchema),
          };
        } else {
          throw invalidParams(`elicitation/create: unknown mode ${JSON.stringify(mode)} (form or url)`);
        }
      }
    } catch (err) {
      if (err instanceof GatewayError) this.log(`${method} from "${server}" refused: ${err.message}`);
      return Promise.reject(err);
    }

    // One server asking in a loop may hold a quarter of the places, so the others can still ask.
    const perServer = Math.max(1, Math.floor(this.maxPending / 4));
    let fromServer = 0;
    for (const p of this.pending.values()) if (p.question.server === server) fromServer++;
    if (this.pending.size >= this.maxPending || fromServer >= perServer) {
      const why =
        fromServer >= perServer
          ? `"${server}" already has ${perServer} questions waiting for the user`
          : `Switchboard already has ${this.maxPending} questions waiting for the user`;
      this.log(`${method} from "${server}" refused: ${why}`);
      return sampling ? Promise.reject(samplingRejected('request_cancelled', why)) : Promise.resolve(unanswered(why));
    }

    return new Promise<Result>((resolve, reject) => {
      const id = question.id;
      const timer = setTimeout(() => {
        this.settle(
          id,
          'expired',
          sampling
            ? { error: samplingRejected('request_timeout', `no answer in Switchboard within ${seconds(timeoutMs)}`) }
            : { result: unanswered(`nobody answered it in Switchboard within ${seconds(timeoutMs)}`) },
        );
      }, timeoutMs);
      timer.unref?.();
      const signal = options.signal;
      const onAbort = () => this.settle(id, 'withdrawn', { error: this.withdrawnError(request, signal?.reason) });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        question,
        resolve,
        reject,
        timer,
        detach: () => signal?.removeEventListener('abort', onAbort),
      });
      this.emitSafely('added', structuredClone(question));
    });
  }

  /** Questions waiting for the user, oldest first. */
  list(): Question[] {
    return [...this.pending.values()].map((p) => structuredClone(p.question));
  }

  get(id: string): Question | undefined {
    const p = this.pending.get(id);
    return p ? structuredClone(p.question) : undefined;
  }

  /**
   * The user's answer to question `id` (untrusted input: checked before the server sees it).
   * Throws GatewayError 'not_found' for an unknown id, QuestionAnswerError ('invalid_request',
   * naming the field where there is one) for an answer that does not fit the question; the
   * question stays open after a refused answer.
   */
  answer(id: string, answer: unknown): void {
    const p = this.pending.get(id);
    if (!p)
      throw new GatewayError(
        'not_found',
        `no waiting question with id ${shortId(id)} (it was answered, expired or withdrawn)`,
      );
    if (!isObject(answer))
      throw new QuestionAnswerError('the answer must be an object with an "action" ("accept", "decline" or "cancel")');
    const action = answer.action;
    if (action !== 'accept' && action !== 'decline' && action !== 'cancel') {
      throw new QuestionAnswerError(
        `"action" must be "accept", "decline" or "cancel", ` +
          `got ${action === undefined ? 'nothing' : JSON.stringify(action)}`,
      );
    }
    const question = p.question;
    if (action !== 'accept') {
      const extra = Object.keys(answer).find((k) => k !== 'action');
      if (extra !== undefined) throw new QuestionAnswerError(`"${action}" takes no other fields, got "${extra}"`);
      const outcome: QuestionOutcome = action === 'decline' ? 'declined' : 'cancelled';
      if (question.kind === 'sampling') {
        this.settle(id, outcome, {
          error: samplingRejected(
            'request_cancelled',
            action === 'decline' ? 'declined in Switchboard' : 'dismissed in Switchboard',
          ),
        });
      } else {
        this.settle(id, outcome, { result: { action } });
      }
      return;
    }
    let result: Result;
    if (question.kind === 'sampling') {
      result = samplingResult(answer);
    } else if (question.mode === 'url') {
      const extra = Object.keys(answer).find((k) => k !== 'action');
      if (extra !== undefined)
        throw new QuestionAnswerError(`a URL-mode elicitation is answered with the action only, got "${extra}"`);
      result = { action: 'accept' };
    } else {
      const extra = Object.keys(answer).find((k) => k !== 'action' && k !== 'content');
      if (extra !== undefined)
        throw new QuestionAnswerError(`unexpected "${extra}" in a form answer (it takes action and content)`);
      result = { action: 'accept', content: validateFormContent(question.requestedSchema, answer.content) };
    }
    this.settle(id, 'answered', { result });
  }

  /** Withdraws every waiting question (the gateway is stopping); their asks reject with `reason`. */
  withdrawAll(reason: string): void {
    for (const id of [...this.pending.keys()])
      this.settle(id, 'withdrawn', { error: new GatewayError('request_cancelled', reason) });
  }

  // ---- internals ----------------------------------------------------------

  private settle(id: string, outcome: QuestionOutcome, how: Settlement): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.detach();
    if ('error' in how) p.reject(how.error);
    else p.resolve(how.result);
    this.emitSafely('ended', { id, outcome });
  }

  private withdrawnError(request: QuestionRequest, reason?: unknown): GatewayError {
    const why = reason === undefined ? '' : `: ${errorMessage(reason)}`;
    return new GatewayError('request_cancelled', `"${request.server}" withdrew its ${request.method} request${why}`);
  }

  private log(message: string): void {
    this.emitSafely('log', message);
  }

  /** A throwing listener must not break the broker (or the answer that triggered the event). */
  private emitSafely<K extends keyof QuestionBrokerEvents>(event: K, ...args: QuestionBrokerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: QuestionBrokerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      if (event !== 'log') this.emitSafely('log', `a question "${event}" listener failed: ${errorMessage(err)}`);
    }
  }
}
