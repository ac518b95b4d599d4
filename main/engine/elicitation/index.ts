/**
 * Elicitation and sampling the client cannot answer: the prompt broker holds them for the user
 * (listed and answered through the engine API), validates answers, and never answers silently.
 */
export { PromptBroker, USER_REJECTED, DEFAULT_MAX_PENDING, MAX_URL_LENGTH, type PromptBrokerEvents, type PromptBrokerOptions } from './broker.ts';
export { PromptAnswerError } from './validate.ts';
export type {
  AskOptions,
  ElicitationFormPromptDto,
  ElicitationUrlPromptDto,
  FormFieldSchemaDto,
  FormSchemaDto,
  FormValue,
  PendingPromptDto,
  PromptAnswer,
  PromptClient,
  PromptMethod,
  PromptOutcome,
  PromptRequest,
  PromptSettledDto,
  SamplingContentDto,
  SamplingMessageDto,
  SamplingParamsDto,
  SamplingPromptDto,
} from './types.ts';
