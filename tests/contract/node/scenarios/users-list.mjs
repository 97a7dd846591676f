// users.list: one page with its page_info, and auto-pagination through every page.
import { collect, knockClient } from '../support.mjs';

export default async function ({ userIds }) {
  const knock = knockClient();
  for (const userId of userIds) {
    await knock.users.update(userId, { plan: 'list' });
  }
  const page = await knock.users.list({ page_size: 1 });
  const listed = await collect(knock.users.list({ page_size: 2 }));
  return {
    firstPage: { entries: page.entries.length, pageInfo: page.page_info, hasNextPage: page.hasNextPage() },
    listedIds: listed.map((user) => user.id),
  };
}
