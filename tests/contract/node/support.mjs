// What the scenarios share: the client as an application builds it, and plain-JSON reports of SDK errors.
import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  Knock,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from '@knocklabs/node';

// The SDK's error class per status; a report names the first one the error is an instance of.
const ERROR_CLASSES = {
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
};

/** The API's URL and secret key, as the Python helper passes them. */
export const apiUrl = process.env.RECIPIENTS_API_URL;
export const apiKey = process.env.RECIPIENTS_API_KEY;

/** A Knock client for the API; no retries, so a 5xx or 409 fails at once. `options` override any of them. */
export function knockClient(options = {}) {
  return new Knock({ apiKey, baseURL: apiUrl, maxRetries: 0, ...options });
}

/** An SDK status error as JSON: its class, status and the Knock body it parsed. Anything else is rethrown. */
export function describeError(error) {
  if (!(error instanceof APIError) || error instanceof APIConnectionError) {
    throw error;
  }
  const found = Object.entries(ERROR_CLASSES).find(([, errorClass]) => error instanceof errorClass);
  return { class: found ? found[0] : 'APIError', status: error.status, body: error.error ?? null };
}

/** `{value}` when the call succeeds (null for a 204), else `{error}` as describeError reports it. */
export async function attempt(call) {
  try {
    return { value: (await call) ?? null };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** Every entry of a paginated list, the SDK following page_info.after. */
export async function collect(page) {
  const entries = [];
  for await (const entry of page) {
    entries.push(entry);
  }
  return entries;
}

/** Poll bulkOperations.get until the operation has finished (or `timeoutMs` passed), and return it. */
export async function waitForOperation(knock, operationId, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const operation = await knock.bulkOperations.get(operationId);
    if (['completed', 'failed'].includes(operation.status) || Date.now() > deadline) {
      return operation;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
