// users.delete then users.get (a NotFoundError); users.merge folds a guest into a user and removes the guest.
import { attempt, knockClient } from '../support.mjs';

export default async function ({ doomedId, userId, guestId }) {
  const knock = knockClient();
  await knock.users.update(doomedId, { name: 'Temp' });
  const deleted = await attempt(knock.users.delete(doomedId));
  const afterDelete = await attempt(knock.users.get(doomedId));

  await knock.users.update(userId, { name: 'Ada' });
  await knock.users.update(guestId, { name: 'Guest', email: 'guest@example.com', cart: [1] });
  const merged = await knock.users.merge(userId, { from_user_id: guestId });
  const guestAfterMerge = await attempt(knock.users.get(guestId));

  return { deleted, afterDelete, merged, guestAfterMerge };
}
