import { OciError, statusError } from '../errors';
import { registryEndpoint } from '../reference';
import { Answer, TransportFailure } from './roundTrip';

/** Whether an answer is what was asked for: 2xx, or a status the caller accepts (404 for "exists?"). */
export function isSuccess(answer: Answer, allow: number[] = []): boolean {
  return (
    (answer.status >= 200 && answer.status < 300) ||
    allow.includes(answer.status)
  );
}

/** The error for an answer that is not a success: class from the status, the registry's code and advice. */
export function answerError(
  registry: string,
  what: string,
  answer: Answer,
  advice?: string,
): OciError {
  const server = new URL(answer.url).host;
  return statusError({
    registry,
    server: server === registryEndpoint(registry) ? undefined : server,
    what,
    status: answer.status,
    body: answer.body,
    retries: answer.retries,
    advice,
  });
}

/** The error for an exchange without an answer; a refusal of `checkHost` passes on as it was thrown. */
export function failureError(
  registry: string,
  what: string,
  failure: TransportFailure,
): Error {
  if (failure.passOn instanceof Error) {
    return failure.passOn;
  }
  const { retries } = failure;
  const server =
    failure.server === registryEndpoint(registry) ? registry : failure.server;
  const after = retries ? ` (after ${retries} retries)` : '';
  let message = `${server} could not be reached for ${what}: ${failure.detail}${after}; check that the registry is up and reachable.`;
  if (failure.unreachable) {
    message = `Could not reach ${server}: ${failure.detail} (${what}${after}); check the host name and that the registry is up and reachable from here.`;
  }
  if (failure.code === 'TIMEOUT') {
    const within =
      failure.timeoutMs !== undefined
        ? `${failure.timeoutMs} ms`
        : 'the time allowed';
    message = `${server} did not answer ${what} within ${within}${after}; raise the timeout for ${registry} if it is slow.`;
  } else if (failure.code === 'BLOCKED_HOST') {
    message = `${what} was not sent to ${server}: ${failure.detail}.`;
  } else if (failure.code === 'TOO_LARGE') {
    message = `${server} answered ${what} with ${failure.detail}; check that the reference points at an image, or raise the limit.`;
  }
  return new OciError(failure.code, message, {
    host: registry,
    retries,
    unreachable: failure.unreachable || undefined,
    cause: failure.cause,
  });
}

/**
 * Runs a round trip for a request described as `what` and settles it as the
 * operations need it: the answer when it is a success, else an OciError
 * (from `refused` for unsuccessful answers, when given). A caller's abort
 * passes on as its reason.
 */
export async function checked(
  registry: string,
  what: string,
  run: () => Promise<Answer>,
  options: {
    allow?: number[];
    refused?: (answer: Answer) => Promise<OciError> | OciError;
  } = {},
): Promise<Answer> {
  let answer: Answer;
  try {
    answer = await run();
  } catch (error) {
    throw error instanceof TransportFailure
      ? failureError(registry, what, error)
      : error;
  }
  if (isSuccess(answer, options.allow)) {
    return answer;
  }
  throw options.refused
    ? await options.refused(answer)
    : answerError(registry, what, answer);
}
