import type { RecipientRole, RecipientStatus } from './statuses.ts';

/**
 * Routing (SPEC §A), pure: recipients act in groups by routing order, in parallel inside a
 * group; the next group is invited only when every actionable recipient of the previous one
 * is done. CC recipients never act: they receive the completed copy.
 */

export interface RoutedRecipient {
  id: string;
  role: RecipientRole;
  routingOrder: number;
  status: RecipientStatus;
}

const acts = (recipient: RoutedRecipient) => recipient.role !== 'cc';

/** The routing order whose recipients must act now, or null when everyone has acted. */
export function currentRoutingOrder(recipients: RoutedRecipient[]): number | null {
  const waiting = recipients.filter((r) => acts(r) && r.status !== 'completed').map((r) => r.routingOrder);
  return waiting.length === 0 ? null : Math.min(...waiting);
}

/** Recipients of the current group who have not been invited yet. */
export function recipientsToInvite(recipients: RoutedRecipient[]): RoutedRecipient[] {
  const order = currentRoutingOrder(recipients);
  if (order === null) return [];
  return recipients.filter((r) => acts(r) && r.routingOrder === order && r.status === 'created');
}

export const everyoneHasActed = (recipients: RoutedRecipient[]) => currentRoutingOrder(recipients) === null;
