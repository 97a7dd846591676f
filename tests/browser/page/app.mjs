// What a front end does with @knocklabs/client, as window.runScenario(input) for the driver (drive.mjs) to call.
//
// input: {apiUrl, publicKey, user: {id, ...properties}, token, preferences, channelId, channelData}.
// It answers {identify, user, setPreferences, getPreferences, setChannelData, getChannelData, attempts}:
// each call's {value} or {error} (the message of what the client threw), and every HTTP attempt the
// client made, as fetch saw it ({method, path, status, body} or {method, path, error}).
import Knock from "@knocklabs/client";

const attempts = [];
const nativeFetch = globalThis.fetch.bind(globalThis);

// The client binds globalThis.fetch when it makes its API client (at the first call): this wrapper
// records each attempt, so that the scenario can wait for the identification authenticate() starts
// without handing back its promise, and the test can see what the browser let through.
globalThis.fetch = (input, init = {}) => {
  const url = new URL(String(input));
  const attempt = { method: init.method || "GET", path: url.pathname + url.search };
  const response = nativeFetch(input, init);
  attempts.push({
    ...attempt,
    outcome: response.then(
      async (answer) => ({ ...attempt, status: answer.status, body: await bodyOf(answer.clone()) }),
      (error) => ({ ...attempt, error: String(error) }),
    ),
  });
  return response;
};

async function bodyOf(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

async function outcome(promise) {
  try {
    return { value: (await promise) ?? null };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

// The first attempt of `method path`, once it has ended (the client's own retries may follow it).
async function firstAttempt(method, path, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = attempts.find((attempt) => attempt.method === method && attempt.path === path);
    if (found) return found.outcome;
    if (Date.now() > deadline) return { method, path, error: "the client made no such request" };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

window.runScenario = async (input) => {
  const knock = new Knock(input.publicKey, { host: input.apiUrl });
  const userPath = `/v1/users/${encodeURIComponent(input.user.id)}`;
  // Identifies the user inline: PUT /v1/users/{id} with the other properties, not awaited by the client.
  knock.authenticate(input.user, input.token);
  const results = { identify: await firstAttempt("PUT", userPath) };
  results.user = await outcome(knock.user.get());
  results.setPreferences = await outcome(knock.user.setPreferences(input.preferences));
  results.getPreferences = await outcome(knock.user.getPreferences());
  const channel = { channelId: input.channelId };
  results.setChannelData = await outcome(knock.user.setChannelData({ ...channel, channelData: input.channelData }));
  results.getChannelData = await outcome(knock.user.getChannelData(channel));
  results.attempts = await Promise.all(attempts.map((attempt) => attempt.outcome));
  knock.teardown();
  return results;
};

document.getElementById("status").textContent = "ready";
