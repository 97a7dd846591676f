// workflows.trigger with mixed recipients (then workflows.cancel), with a bad inline recipient, and
// repeated with one idempotencyKey.
import { attempt, knockClient } from '../support.mjs';

export default async function ({ knownId, inlineId, projectId, badInlineId, replayInlineId, idempotencyKey }) {
  const knock = knockClient();
  await knock.users.update(knownId, { name: 'Known' });
  const triggered = await knock.workflows.trigger('new-comment', {
    recipients: [
      knownId,
      { id: inlineId, email: 'inline@example.com' },
      { id: projectId, collection: 'projects', name: 'Apollo' },
    ],
    actor: knownId,
    data: { comment_id: 'c_9' },
    cancellation_key: `${inlineId}-ck`,
  });
  const inline = await knock.users.get(inlineId);
  const cancelled = await attempt(knock.workflows.cancel('new-comment', { cancellation_key: `${inlineId}-ck` }));

  const badInline = await attempt(
    knock.workflows.trigger('new-comment', {
      recipients: [{ id: badInlineId, name: 'x' }, { id: 'y', email: 'no' }],
    }),
  );
  const badInlineAfter = await attempt(knock.users.get(badInlineId));

  const body = { recipients: [{ id: replayInlineId, name: 'x' }] };
  const first = await knock.workflows.trigger('new-comment', body, { idempotencyKey });
  const { data: replayed, response } = await knock.workflows
    .trigger('new-comment', body, { idempotencyKey })
    .withResponse();
  const reused = await attempt(
    knock.workflows.trigger('new-comment', { recipients: [replayInlineId] }, { idempotencyKey }),
  );

  return {
    triggered,
    inlineEmail: inline.email,
    cancelled,
    badInline,
    badInlineAfter,
    replay: {
      first: first.workflow_run_id,
      replayed: replayed.workflow_run_id,
      headers: Object.fromEntries(
        ['idempotent-replayed', 'original-x-request-id', 'x-request-id'].map((name) => [
          name,
          response.headers.get(name),
        ]),
      ),
    },
    reused,
  };
}
