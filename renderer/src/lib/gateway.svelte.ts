/**
 * What the whole app shows of the gateway: its status, servers, waiting questions and recent log
 * lines, kept current by the contract's events (no polling). `resync` means "fetch again".
 */
import type {
  ConfigProblem,
  GatewayStatus,
  LogLine,
  Question,
  QuestionAnswer,
  ServerView,
  SessionView,
} from '../../../preload/contract/index.ts';
import { errorCode, errorText, isUnauthorized, type Api } from './api.ts';
import { shownServerState } from './format.ts';
import type { StreamState } from '../../../preload/contract/http-bridge.ts';

/** Log lines kept for the log views, newest last. */
const MAX_LOG_LINES = 2000;
/** Servers going down are read out at most this often (what happens meanwhile is said together). */
const SERVER_NEWS_GAP_MS = 10_000;

/** Why questions went away unanswered here: not answered in time, withdrawn, or answered in another window. */
export type QuestionGoneWhy = 'expired' | 'withdrawn' | 'elsewhere';

/**
 * `not-started`: the desktop app's own gateway is not running (its start failed); `problem` says why.
 * `starting`: it is still starting (the window opens before it runs); `resync` comes once it ran or failed.
 */
export type ConnectionState = 'connecting' | 'connected' | 'unauthorized' | 'unreachable' | 'not-started' | 'starting';

/** The id of the page's notice that the gateway cannot be reached: what a control it leaves disabled refers to. */
export const UNREACHABLE_NOTICE = 'gateway-unreachable';

export class GatewayState {
  status = $state<GatewayStatus | undefined>();
  servers = $state<ServerView[]>([]);
  questions = $state<Question[]>([]);
  sessions = $state<SessionView[]>([]);
  logs = $state.raw<LogLine[]>([]);
  configProblem = $state<ConfigProblem | undefined>();
  /** Changes of the clients' files so far (a change means: list the clients again). */
  clientFileChanges = $state(0);
  connection = $state<ConnectionState>('connecting');
  /** Why the last refresh failed, or why nothing live arrives. */
  problem = $state<string | undefined>();
  /** The gateway answers but refuses this page's live connection (too many open): `problem` says what it said. */
  liveRefused = $state(false);
  /** Why the live connection is down (a page whose fetches work shows nothing live meanwhile), if it is. */
  private streamDown: string | undefined;
  /** Read out when a question arrives (a live region, wherever the user is). */
  questionNews = $state('');
  /** Questions arrived so far (a change means: a new one). */
  questionArrivals = $state(0);
  /** Questions gone unanswered here since the note about them was dismissed: how many, whose, why. */
  questionGone = $state<{ count: number; servers: string[]; outcome: QuestionGoneWhy } | undefined>();
  /** Questions this page is sending an answer to: their end is no news here. */
  private readonly answering = new Set<string>();
  /** Read out when a server goes down (it failed, or needs a login), wherever the user is. */
  serverNews = $state('');
  private serversDown: string[] = [];
  private serverNewsTimer: ReturnType<typeof setTimeout> | undefined;
  private serverNewsAt = 0;
  readonly api: Api;

  /** Whether the gateway answers now: every action that asks it is offered only then (not while it is unreachable). */
  get connected(): boolean {
    return this.connection === 'connected';
  }

  /** For `aria-describedby` of a control disabled because the gateway cannot be reached: the notice saying why. */
  get offlineNote(): string | undefined {
    return this.connection === 'unreachable' ? UNREACHABLE_NOTICE : undefined;
  }

  /** `onStream`: how the live event stream fares, where it can break (a browser page). */
  constructor(api: Api, onStream?: (listener: (state: StreamState, why?: string) => void) => void) {
    this.api = api;
    onStream?.((state, why) => {
      // Broken or refused: say so, since nothing arrives any more. Back: fetch everything again.
      if (state === 'open') {
        this.streamDown = undefined;
        this.liveRefused = false;
        if (this.connection === 'unreachable' || this.connection === 'unauthorized') void this.refresh();
        return;
      }
      this.connection = state;
      if (state === 'unreachable') {
        // A page whose first fetch works after this still gets nothing live: refresh keeps saying so.
        this.streamDown = why
          ? `the gateway refused this page's live connection: ${why} (trying again)`
          : 'the live connection to it broke; trying again';
        this.liveRefused = why !== undefined;
        this.problem = this.streamDown;
      } else this.problem = 'the login is no longer valid';
      if (state === 'unauthorized') this.loggedOut();
    });
    // Subscribed before the first fetch, so nothing that changes in between is missed.
    api.on('status', (status) => {
      this.status = status;
      if (!status.configError) this.configProblem = undefined;
    });
    api.on('servers', (servers) => {
      this.noteServersDown(this.servers, servers);
      this.servers = servers;
    });
    api.on('sessions', (sessions) => (this.sessions = sessions));
    api.on('question-added', (question) => {
      if (this.questions.some((q) => q.id === question.id)) return;
      this.questions = [...this.questions, question];
      // With the count: a second question from the same server is new text, so it is read out too.
      const waiting = this.questions.length;
      const count = waiting > 1 ? ` (${waiting} are waiting)` : '';
      this.questionNews = `A question from ${question.server} is waiting${count}.`;
      this.questionArrivals++;
    });
    api.on('question-ended', ({ id, outcome }) => {
      const ended = this.questions.find((q) => q.id === id);
      this.questions = this.questions.filter((q) => q.id !== id);
      // Still shown and not being answered here: it expired, its call or server went away, or it was
      // answered in another window (what was typed here went with it: the note says why).
      // Several at once (their server stopped) are one note that says how many.
      if (ended && !this.answering.has(id)) {
        const why: QuestionGoneWhy = outcome === 'expired' || outcome === 'withdrawn' ? outcome : 'elsewhere';
        const before = this.questionGone?.outcome === why ? this.questionGone : undefined;
        const servers = before?.servers.includes(ended.server)
          ? before.servers
          : [...(before?.servers ?? []), ended.server];
        this.questionGone = { count: (before?.count ?? 0) + 1, servers, outcome: why };
      }
      // The live region says what is true now: no stale "waiting" once none is, and the count left
      // otherwise (so the next arrival's text differs from what the region holds, and is read out).
      // Also when this page answered it and took it off the list already.
      const left = this.questions.length;
      this.questionNews = left === 0 ? '' : `${left} ${left === 1 ? 'question is' : 'questions are'} waiting.`;
    });
    api.on('log', (line) => {
      const next = this.logs.length >= MAX_LOG_LINES ? this.logs.slice(-MAX_LOG_LINES + 1) : this.logs.slice();
      next.push(line);
      this.logs = next;
    });
    api.on('config-error', (problem) => (this.configProblem = problem));
    api.on('client-file', () => this.clientFileChanges++);
    api.on('resync', () => void this.refresh());
    void this.refresh();
  }

  /**
   * Sends the user's answer to a question and takes it off the list once the gateway took it; its
   * end, which the gateway also announces (before or after), is no news here.
   */
  async answerQuestion(id: string, reply: QuestionAnswer): Promise<void> {
    this.answering.add(id);
    try {
      await this.api.answerQuestion(id, reply);
      this.questions = this.questions.filter((q) => q.id !== id);
    } finally {
      this.answering.delete(id);
    }
  }

  async refresh(): Promise<void> {
    try {
      const [status, servers, questions, sessions] = await Promise.all([
        this.api.getStatus(),
        this.api.listServers(),
        this.api.listQuestions(),
        this.api.listSessions(),
      ]);
      this.sessions = sessions;
      this.status = status;
      this.servers = servers;
      this.questions = questions;
      this.connection = this.streamDown ? 'unreachable' : 'connected';
      this.problem = this.streamDown;
    } catch (err) {
      this.problem = errorText(err);
      if (errorCode(err) === 'gateway_not_started') return this.notStarted('not-started');
      if (errorCode(err) === 'gateway_starting') return this.notStarted('starting');
      this.connection = isUnauthorized(err) ? 'unauthorized' : 'unreachable';
      if (this.connection === 'unauthorized') this.loggedOut();
    }
  }

  /** A server that was shown in another state and now shows failed or needs login is news; no other change is. */
  private noteServersDown(before: ServerView[], after: ServerView[]): void {
    const was = new Map(before.map((s) => [s.name, shownServerState(s).text]));
    for (const s of after) {
      const now = shownServerState(s).text;
      const then = was.get(s.name);
      if (then === undefined || then === now) continue;
      if (now === 'failed') this.serversDown.push(`${s.name} failed`);
      else if (now === 'needs login') this.serversDown.push(`${s.name} needs a login`);
    }
    if (this.serversDown.length === 0 || this.serverNewsTimer !== undefined) return;
    const wait = Math.max(0, this.serverNewsAt + SERVER_NEWS_GAP_MS - Date.now());
    this.serverNewsTimer = setTimeout(() => {
      this.serverNewsTimer = undefined;
      this.serverNewsAt = Date.now();
      const news = `${this.serversDown.length === 1 ? 'Server' : 'Servers'} down: ${this.serversDown.join('; ')}.`;
      this.serversDown = [];
      if (news !== this.serverNews) {
        this.serverNews = news;
        return;
      }
      // The same words again would change nothing on the page, and nothing would be read out: the
      // region is emptied, and says them a moment later.
      this.serverNews = '';
      setTimeout(() => (this.serverNews = news), 150);
    }, wait);
  }

  /**
   * No gateway runs (the desktop app's failed to start, or is still starting): nothing fetched before
   * is true any more, and empty lists would read as "nothing configured".
   */
  private notStarted(state: 'not-started' | 'starting'): void {
    this.connection = state;
    this.status = undefined;
    this.servers = [];
    this.sessions = [];
    this.loggedOut();
  }

  /**
   * Not logged in (a new gateway, or the login ended): the questions shown were the old session's,
   * and cannot be answered from here; the sidebar's count must not go on saying they wait. While it
   * is only unreachable they stay, with what was typed into them, for when it is back.
   */
  private loggedOut(): void {
    this.questions = [];
    this.questionNews = '';
    this.questionGone = undefined;
  }
}
