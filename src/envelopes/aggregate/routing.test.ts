import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  currentRoutingOrder,
  everyoneHasActed,
  type RoutedRecipient,
  recipientsToInvite,
} from './routing.ts';

const r = (
  id: string,
  routingOrder: number,
  status: RoutedRecipient['status'],
  role: RoutedRecipient['role'] = 'signer',
) => ({
  id,
  routingOrder,
  status,
  role,
});

describe('routing by order', () => {
  it('invites the whole lowest group at once', () => {
    const recipients = [r('a', 1, 'created'), r('b', 1, 'created'), r('c', 2, 'created')];
    assert.deepEqual(
      recipientsToInvite(recipients).map((x) => x.id),
      ['a', 'b'],
    );
  });

  it('waits for every member of a group before inviting the next', () => {
    const recipients = [r('a', 1, 'completed'), r('b', 1, 'delivered'), r('c', 2, 'created')];
    assert.equal(currentRoutingOrder(recipients), 1);
    assert.deepEqual(recipientsToInvite(recipients), []);
  });

  it('moves on when the group is done, skipping gaps in the numbering', () => {
    const recipients = [r('a', 1, 'completed'), r('b', 1, 'completed'), r('c', 5, 'created')];
    assert.deepEqual(
      recipientsToInvite(recipients).map((x) => x.id),
      ['c'],
    );
  });

  it('never invites cc recipients to act and does not wait for them', () => {
    const recipients = [r('a', 1, 'completed'), r('cc', 1, 'created', 'cc'), r('cc2', 9, 'created', 'cc')];
    assert.deepEqual(recipientsToInvite(recipients), []);
    assert.equal(everyoneHasActed(recipients), true);
  });

  it('does not re-invite someone already invited', () => {
    const recipients = [r('a', 1, 'sent'), r('b', 1, 'created')];
    assert.deepEqual(
      recipientsToInvite(recipients).map((x) => x.id),
      ['b'],
    );
  });

  it('counts approvers and viewers as recipients who must act', () => {
    const recipients = [r('a', 1, 'completed'), r('v', 2, 'created', 'viewer')];
    assert.equal(everyoneHasActed(recipients), false);
    assert.deepEqual(
      recipientsToInvite(recipients).map((x) => x.id),
      ['v'],
    );
  });
});
