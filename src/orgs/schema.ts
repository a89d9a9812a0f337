import { z } from 'zod';
import { API_KEY_SCOPES, ROLES } from './scopes.ts';

/*
 * Request and response schemas of the staff routes (sign-in, users, API keys): Fastify validates
 * requests and serialises answers with them, and the OpenAPI document is made from them
 * (http/contract.ts). Requests are strict: an unknown property is refused with its path.
 */

const instant = z.string().describe('ISO 8601 instant');
export const role = z.enum(ROLES);
export const scope = z.enum(API_KEY_SCOPES);

/** The signed-in user, as sign-in answers it. */
export const userView = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.string(),
    twoStepSignIn: z.boolean(),
  })
  .meta({ id: 'User' });

export const signedInView = z
  .object({
    status: z.literal('signed-in'),
    token: z
      .string()
      .optional()
      .describe(
        'The session token (`sgs_…`) to send as `Authorization: Bearer`; absent with `?session=cookie`',
      ),
    expiresAt: z.string(),
    user: userView,
  })
  .meta({ id: 'SignedIn' });

/** GET /api/v1/auth/me: the user and the organisation they act in. */
export const currentUserView = userView
  .extend({ organization: z.object({ id: z.string(), name: z.string() }) })
  .meta({ id: 'CurrentUser' });

/* Users of an organisation (src/orgs/accounts.ts). */

export const userStatus = z
  .enum(['active', 'invited', 'deactivated'])
  .describe('invited: added, no password chosen and never signed in yet');

export const userAccountView = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role,
    status: userStatus,
    twoStepSignIn: z.boolean(),
    createdAt: instant,
    lastSignInAt: instant.nullable(),
    deactivatedAt: instant.nullable(),
  })
  .meta({ id: 'UserAccount' });

export const userAccountPage = z
  .object({
    data: z.array(userAccountView),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'UserAccountPage' });

const pageQuery = {
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
};

export const usersQuery = z.strictObject({ status: userStatus.optional(), ...pageQuery });
export const apiKeysQuery = z.strictObject(pageQuery);

/** Ids are checked by the service: one that is not a UUID is as unknown as another organisation's. */
export const idParams = z.strictObject({ id: z.string().max(100).describe('UUID') });

const personName = z.string().trim().max(200);

export const inviteUserBody = z
  .strictObject({
    email: z.email().max(254),
    role,
    name: personName.optional(),
  })
  .meta({ id: 'UserInvitation' });

export const updateUserBody = z
  .strictObject({ role: role.optional(), name: personName.optional() })
  .refine((body) => body.role !== undefined || body.name !== undefined, {
    message: 'name at least one property to change',
  })
  .meta({ id: 'UserChange' });

/** Actions (deactivate, reactivate) take no body; an empty object is accepted, anything in it is not. */
export const noBody = z.strictObject({}).optional();

/* Invitations and password resets (no session: the link is the credential). */

export const acceptInviteBody = z.strictObject({
  token: z.string().min(10).max(200),
  password: z.string().max(1000).describe('At least 12 characters'),
  name: personName.optional(),
});

export const passwordResetBody = z.strictObject({
  email: z.email().max(254),
  organizationId: z.uuid().optional().describe('Only the account in this organisation'),
});

export const passwordResetCompleteBody = z.strictObject({
  token: z.string().min(10).max(200),
  password: z.string().max(1000).describe('At least 12 characters'),
});

/* API keys (src/orgs/apiKeys.ts). */

export const apiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart'),
    scopes: z.array(z.string()),
    createdAt: instant,
    lastUsedAt: instant.nullable().describe('To the minute: recorded at most once a minute'),
    createdBy: z
      .object({ id: z.string(), email: z.string(), name: z.string() })
      .nullable()
      .describe('Null for a key made with `signet create-api-key`'),
  })
  .meta({ id: 'ApiKey' });

export const apiKeyPage = z
  .object({
    data: z.array(apiKeyView),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'ApiKeyPage' });

export const createdApiKeyView = apiKeyView
  .extend({ key: z.string().describe('The secret (`sgk_…`): shown this once, never again') })
  .meta({ id: 'CreatedApiKey' });

export const createApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(scope).min(1).max(API_KEY_SCOPES.length),
  })
  .meta({ id: 'NewApiKey' });
