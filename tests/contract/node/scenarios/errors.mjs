// 4xx answers surface as the SDK's error classes, with the status and the Knock body they parsed.
import { attempt, knockClient } from '../support.mjs';

export default async function ({ userId, collection, publicApiKey }) {
  const knock = knockClient();
  const invalidEmail = await attempt(knock.users.update(userId, { email: 'not-an-email' }));
  const notWritten = await attempt(knock.users.get(userId));
  const reservedCollection = await attempt(knock.objects.set('$system', 'p1', { name: 'x' }));
  const badTimezone = await attempt(knock.objects.set(collection, 'p1', { timezone: 'Mars/Olympus_Mons' }));
  const unknownKey = await attempt(knockClient({ apiKey: 'sk_unknown_contract_key' }).users.list({ page_size: 1 }));
  // the API's public key, meant for browsers with a user token, on a route browsers do not call
  const publicKey = await attempt(knockClient({ apiKey: publicApiKey }).users.list({ page_size: 1 }));
  return { invalidEmail, notWritten, reservedCollection, badTimezone, unknownKey, publicKey };
}
