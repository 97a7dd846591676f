// audiences.addMembers makes the audience and identifies the inline user, listMembers answers the members
// (a user never identified with user null, a page at a time with the cursor), removeMembers takes one
// tenant's membership away; an unknown audience is a NotFoundError.
import { attempt, knockClient } from '../support.mjs';

export default async function ({ key, userId, ghostId, unknownKey }) {
  const knock = knockClient();
  const added = await attempt(
    knock.audiences.addMembers(key, {
      create_audience: true,
      members: [
        { user: { id: userId, name: 'Ada', email: 'ada@example.com' }, tenant: 'acme' },
        { user: { id: userId }, tenant: 'globex' },
        { user: { id: ghostId } },
      ],
    }),
  );
  const listed = await knock.audiences.listMembers(key);
  const firstPage = await knock.audiences.listMembers(key, { query: { page_size: 2 } });
  const secondPage = await knock.audiences.listMembers(key, {
    query: { page_size: 2, after: firstPage.page_info.after },
  });
  const removed = await attempt(knock.audiences.removeMembers(key, { members: [{ user: { id: userId }, tenant: 'acme' }] }));
  const afterRemove = await knock.audiences.listMembers(key);
  const unknown = await attempt(knock.audiences.addMembers(unknownKey, { members: [{ user: { id: userId } }] }));
  await knock.audiences.removeMembers(key, {
    members: [{ user: { id: userId }, tenant: 'globex' }, { user: { id: ghostId } }],
  });
  return {
    added,
    listed,
    pages: [firstPage.entries.length, secondPage.entries.length, secondPage.page_info.after],
    pagedIds: [...firstPage.entries, ...secondPage.entries].map((entry) => [entry.user_id, entry.tenant ?? null]),
    removed,
    afterRemove: afterRemove.entries.map((entry) => [entry.user_id, entry.tenant ?? null]),
    unknown,
  };
}
