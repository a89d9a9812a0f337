import { z } from 'zod';
import { LEVELS_OF_ASSURANCE } from './saml/matchingDataSet.ts';

/*
 * How a sender asks for a recipient's identity to be checked (SPEC §E), as a discriminated
 * union: every method listed must pass before the recipient may see the documents and sign.
 * The default is the email link alone (possession of the mailbox).
 */

/** E.164: a plus, a country code and up to 15 digits in all. */
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form, e.g. +447700900123');
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'yyyy-MM-dd')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), 'a real date');

export const identityMethodInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('email') }),
  z.strictObject({
    kind: z.literal('accessCode'),
    /** Given to the signer out of band by the sender; stored only as a hash. */
    code: z.string().min(4).max(64),
  }),
  z.strictObject({
    kind: z.literal('otp'),
    channel: z.enum(['email', 'sms']),
    phone: e164.optional(),
  }),
  z.strictObject({
    kind: z.literal('saml'),
    minLevel: z.enum(LEVELS_OF_ASSURANCE).optional(),
    expected: z
      .object({
        firstName: z.string().trim().min(1).max(200),
        middleNames: z.string().trim().max(200).optional(),
        surname: z.string().trim().min(1).max(200),
        dateOfBirth: isoDate,
      })
      .optional(),
  }),
  z.strictObject({
    kind: z.literal('oidc'),
    /** The provider's verified email must be the recipient's (default); false accepts any account. */
    matchEmail: z.boolean().default(true),
  }),
]);
export type IdentityMethodInput = z.infer<typeof identityMethodInput>;

export const identityMethodsInput = z
  .array(identityMethodInput)
  .min(1)
  .max(5)
  .superRefine((methods, context) => {
    const kinds = methods.map((m) => m.kind);
    for (const [index, kind] of kinds.entries()) {
      if (kinds.indexOf(kind) !== index) {
        context.addIssue({ code: 'custom', path: [index, 'kind'], message: `${kind} is listed twice` });
      }
    }
    for (const [index, method] of methods.entries()) {
      if (method.kind === 'otp' && method.channel === 'sms' && !method.phone) {
        context.addIssue({ code: 'custom', path: [index, 'phone'], message: 'required for SMS codes' });
      }
    }
  });

export type IdentityKind = 'email' | 'accessCode' | 'otp' | 'saml' | 'oidc';
