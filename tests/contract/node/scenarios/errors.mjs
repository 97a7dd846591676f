// 4xx answers surface as the SDK's error classes, with the status and the Knock body they parsed.
import { attempt, knockClient } from '../support.mjs';

export default async function ({ userId, collection }) {
  const knock = knockClient();
  const invalidEmail = await attempt(knock.users.update(userId, { email: 'not-an-email' }));
  const notWritten = await attempt(knock.users.get(userId));
  const reservedCollection = await attempt(knock.objects.set('$tenants', 'p1', { name: 'x' }));
  const badTimezone = await attempt(knock.objects.set(collection, 'p1', { timezone: 'Mars/Olympus_Mons' }));
  const unknownKey = await attempt(knockClient({ apiKey: 'sk_unknown_contract_key' }).users.list({ page_size: 1 }));
  const publicKey = await attempt(knockClient({ apiKey: 'pk_test_contract_key' }).users.get('anyone'));
  return { invalidEmail, notWritten, reservedCollection, badTimezone, unknownKey, publicKey };
}
