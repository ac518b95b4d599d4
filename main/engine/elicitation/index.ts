/**
 * Elicitation and sampling the client cannot answer: the question broker holds them for the user
 * (listed and answered through the control API), validates answers, and never answers silently.
 */
export {
  QuestionBroker,
  USER_REJECTED,
  DEFAULT_MAX_PENDING,
  MAX_URL_LENGTH,
  pageRefusal,
  type QuestionBrokerEvents,
  type QuestionBrokerOptions,
} from './broker.ts';
export { QuestionAnswerError } from './validate.ts';
export type { AskOptions, QuestionMethod, QuestionRequest } from './types.ts';
