/**
 * The people directory (tag People), the signed-in user's self-service profile under `/me`
 * (tag Me: personal fields, interests, fun facts, expertise, addresses, secondary emails, media
 * metadata, visibility, team, password, sessions, two-factor) and their dashboard layout (tag
 * Dashboard). Handlers only call `c.var.sdk`; the SDK applies privacy and permissions.
 *
 * `/me` routes act on the caller: they are for signed-in users. An API key has no "me": the SDK
 * refuses it (400 PROFILE.USER_REQUIRED), and the routes that need the caller's id (sessions)
 * refuse it the same way.
 */
import {
  addressAddSchema,
  addressUpdateSchema,
  dashboardLayoutSchema,
  expertiseAddSchema,
  funFactAddSchema,
  funFactReorderSchema,
  funFactUpdateSchema,
  interestAddSchema,
  mediaSetSchema,
  PEOPLE_ERRORS,
  PEOPLE_SORTS,
  POLICY_ERRORS,
  PROFILE_FIELDS,
  PROFILE_MEDIA_TYPES,
  PROFILE_VISIBILITIES,
  passwordSchema,
  profileUpdateSchema,
  secondaryEmailAddSchema,
  twoFactorCodeSchema,
  visibilitySetSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { type Caller, defineRoute, dto, IdParam, nullableTime, pageOf } from '../route';
import type { RouteDeps } from './index';
import { Session, SessionsEnded } from './users';

const ALL: Caller[] = ['admin', 'manager', 'user'];
const nullableString = z.string().nullable();

const PersonCard = dto('PersonCard', {
  id: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  fullName: z.string(),
  jobTitle: nullableString,
  department: nullableString,
  location: nullableString,
  avatarUrl: nullableString,
  startDate: nullableString,
  isNewJoiner: z.boolean(),
});
// A nullable card: `anyOf [card, null]` (a nullable $ref must not become `allOf [card, {type: [object, null]}]`, which refuses null).
const NoCard = z.null();
const Interest = dto('ProfileInterest', {
  id: z.string(),
  interest: z.string(),
  category: nullableString,
  createdAt: nullableTime,
});
const FunFact = dto('ProfileFunFact', {
  id: z.string(),
  fact: z.string(),
  sortOrder: z.number(),
  isVisible: z.boolean(),
  createdAt: nullableTime,
});
const Expertise = dto('ProfileExpertise', {
  id: z.string(),
  topic: z.string(),
  proficiencyLevel: nullableString,
  isWillingToHelp: z.boolean(),
  createdAt: nullableTime,
});
const Address = dto('ProfileAddress', {
  id: z.string(),
  addressType: nullableString,
  streetAddress1: nullableString,
  streetAddress2: nullableString,
  city: nullableString,
  stateProvince: nullableString,
  postalCode: nullableString,
  country: nullableString,
  isPrimary: z.boolean(),
  createdAt: nullableTime,
  updatedAt: nullableTime,
});
const SecondaryEmail = dto('ProfileSecondaryEmail', {
  id: z.string(),
  email: z.string(),
  emailType: nullableString,
  isVerified: z.boolean(),
  createdAt: nullableTime,
});
const Media = dto('ProfileMedia', {
  id: z.string(),
  mediaType: z.string(),
  storageType: z.string(),
  storagePath: z.string(),
  originalFilename: nullableString,
  mimeType: nullableString,
  sizeBytes: z.number().nullable(),
  createdAt: nullableTime,
  updatedAt: nullableTime,
});
/** A media file as other people see it (no storage location). */
const PersonMedia = dto('PersonMedia', {
  id: z.string(),
  mediaType: z.string(),
  mimeType: nullableString,
  sizeBytes: z.number().nullable(),
  updatedAt: nullableTime,
});
const Visibility = z
  .record(z.enum(PROFILE_FIELDS), z.enum(PROFILE_VISIBILITIES))
  .openapi('ProfileVisibility');
const hidden = z.array(z.enum(PROFILE_FIELDS));
const PersonProfile = dto('PersonProfile', {
  ...PersonCard.shape,
  timezone: nullableString,
  employeeType: nullableString,
  manager: z.union([PersonCard, NoCard]),
  bio: nullableString,
  mobilePhone: nullableString,
  workPhone: nullableString,
  workPhoneExtension: nullableString,
  interests: z.array(Interest),
  funFacts: z.array(FunFact),
  expertise: z.array(Expertise),
  addresses: z.array(Address),
  secondaryEmails: z.array(SecondaryEmail),
  media: z.array(PersonMedia),
  hidden,
});
const UserProfile = dto('UserProfile', {
  ...PersonCard.shape,
  bio: nullableString,
  mobilePhone: nullableString,
  workPhone: nullableString,
  workPhoneExtension: nullableString,
  timezone: nullableString,
  preferredLanguage: nullableString,
  employeeType: nullableString,
  reportingManagerId: nullableString,
  interests: z.array(Interest),
  funFacts: z.array(FunFact),
  expertise: z.array(Expertise),
  addresses: z.array(Address),
  secondaryEmails: z.array(SecondaryEmail),
  media: z.array(Media),
  visibility: Visibility,
  hidden,
});
const Expert = dto('ExpertPerson', {
  ...PersonCard.shape,
  expertise: z.object({
    topic: z.string(),
    proficiencyLevel: nullableString,
    isWillingToHelp: z.boolean(),
  }),
});
const Team = z
  .object({
    person: PersonCard,
    manager: z.union([PersonCard, NoCard]),
    peers: z.array(PersonCard),
    reports: z.array(PersonCard),
  })
  .openapi('PeopleTeam');
const Dashboard = z
  .object({
    userId: z.string(),
    isDefault: z.boolean(),
    widgets: z.array(
      z
        .object({
          widgetType: z.string(),
          position: z.number(),
          isVisible: z.boolean(),
          config: z.record(z.string(), z.unknown()),
        })
        .openapi('DashboardWidget'),
    ),
  })
  .openapi('DashboardLayout');
const TwoFactorStatus = z
  .object({
    enabled: z.boolean(),
    pendingEnrolment: z.boolean(),
    backupCodesLeft: z.number().int(),
  })
  .openapi('TwoFactorStatus');
const BackupCodes = z.object({ backupCodes: z.array(z.string()) }).openapi('TwoFactorBackupCodes');
const CodeBody = z.object({ code: twoFactorCodeSchema }).strict();

/** The SDK checks the topic again (`expertiseTopicSchema`). */
const TopicParam = z.object({
  topic: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'topic', in: 'path' } }),
});
const MediaTypeParam = z.object({
  type: z.enum(PROFILE_MEDIA_TYPES).openapi({ param: { name: 'type', in: 'path' } }),
});
const PeopleQuery = z.object({
  q: z
    .string()
    .trim()
    .max(100)
    .optional()
    .openapi({ description: 'Names, job titles, and the expertise and interests you may see.' }),
  department: z.string().trim().min(1).max(255).optional(),
  departmentId: z.uuid().optional(),
  location: z.string().trim().min(1).max(255).optional(),
  locationId: z.uuid().optional(),
  newJoiners: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: 'Only people who started within the last 30 days.' }),
  sort: z.enum(PEOPLE_SORTS).optional(),
  direction: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(4000).optional(),
});
/** The media metadata without its type (taken from the path); the SDK checks the type's limits. */
const MediaBody = z.object(mediaSetSchema.shape).omit({ mediaType: true }).strict();

/** The caller's user id, for SDK methods that name the user (`/me` is for signed-in users). */
function myId(c: Context<AppEnv>): string {
  const actor = c.var.actor;
  if (actor?.type === 'user') return actor.userId;
  if (!actor) throw POLICY_ERRORS.NO_ACTOR({ reason: 'Sign in to use /me.' });
  throw PEOPLE_ERRORS.PROFILE_USER_REQUIRED({ route: true });
}

/** People directory, `/me` and dashboard routes. */
export function registerPeopleRoutes(app: OpenAPIHono<AppEnv>, { auth }: RouteDeps): void {
  /** The token of the caller's session (from the cookie), to keep it when other sessions end. */
  const currentSessionToken = async (c: Context<AppEnv>): Promise<string | undefined> => {
    if (c.var.actor?.type !== 'user' || !c.req.header('cookie')) return undefined;
    const found = await auth.betterAuth.api.getSession({ headers: c.req.raw.headers });
    return found?.session.token;
  };

  const people = 'People';
  defineRoute(app, {
    method: 'get',
    path: '/people',
    operationId: 'listPeople',
    tag: people,
    summary: 'The people directory: active colleagues, filtered and sorted, one page at a time',
    callers: ALL,
    scope: 'people:read',
    query: PeopleQuery,
    response: pageOf(PersonCard),
    handler: (c, { query }) => c.var.sdk.people.list(query),
  });
  defineRoute(app, {
    method: 'get',
    path: '/people/by-expertise/{topic}',
    operationId: 'listPeopleByExpertise',
    tag: people,
    summary: 'Up to 100 people whose visible expertise matches a topic, most proficient first',
    callers: ALL,
    scope: 'people:read',
    params: TopicParam,
    response: z.array(Expert),
    handler: (c, { params }) => c.var.sdk.people.byExpertise(params.topic),
  });
  defineRoute(app, {
    method: 'get',
    path: '/people/{id}',
    operationId: 'getPerson',
    tag: people,
    summary:
      "A person's card (fields hidden by their visibility settings are empty and listed in `hidden`)",
    callers: ALL,
    scope: 'people:read',
    params: IdParam,
    response: PersonProfile,
    handler: (c, { params }) => c.var.sdk.people.get(params.id),
  });
  defineRoute(app, {
    method: 'get',
    path: '/people/{id}/team',
    operationId: 'getPersonTeam',
    tag: people,
    summary: "A person's manager, peers and direct reports",
    callers: ALL,
    scope: 'people:read',
    params: IdParam,
    response: Team,
    handler: (c, { params }) => c.var.sdk.people.team(params.id),
  });

  const me = 'Me';
  const read = { tag: me, callers: ALL, scope: 'people:read' } as const;
  const write = { tag: me, callers: ALL, scope: 'people:write' } as const;
  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me',
    summary: 'Your whole profile',
    response: UserProfile,
    handler: (c) => c.var.sdk.profile.get(),
  });
  defineRoute(app, {
    ...write,
    method: 'patch',
    path: '/me/profile',
    summary: 'Change your personal fields (names, bio, phones, time zone, language)',
    body: profileUpdateSchema,
    response: UserProfile,
    handler: (c, { body }) => c.var.sdk.profile.update(body),
  });
  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/team',
    summary: 'Your manager, peers and direct reports',
    response: Team,
    handler: (c) => c.var.sdk.people.team(),
  });

  // Interests, fun facts, expertise, addresses, secondary emails.
  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/interests',
    summary: 'Your interests',
    response: z.array(Interest),
    handler: (c) => c.var.sdk.profile.interests.list(),
  });
  defineRoute(app, {
    ...write,
    method: 'post',
    path: '/me/interests',
    summary: 'Add an interest',
    body: interestAddSchema,
    response: Interest,
    handler: (c, { body }) => c.var.sdk.profile.interests.add(body),
  });
  defineRoute(app, {
    ...write,
    method: 'delete',
    path: '/me/interests/{id}',
    summary: 'Remove an interest',
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.profile.interests.remove(params.id);
      return undefined;
    },
  });

  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/fun-facts',
    summary: 'Your fun facts, in order',
    response: z.array(FunFact),
    handler: (c) => c.var.sdk.profile.funFacts.list(),
  });
  defineRoute(app, {
    ...write,
    method: 'post',
    path: '/me/fun-facts',
    summary: 'Add a fun fact (at the end)',
    body: funFactAddSchema,
    response: FunFact,
    handler: (c, { body }) => c.var.sdk.profile.funFacts.add(body),
  });
  defineRoute(app, {
    ...write,
    method: 'put',
    path: '/me/fun-facts/order',
    summary: 'Reorder your fun facts (the ids of all of them, in the new order)',
    body: z.object({ ids: funFactReorderSchema }).strict(),
    response: z.array(FunFact),
    handler: (c, { body }) => c.var.sdk.profile.funFacts.reorder(body.ids),
  });
  defineRoute(app, {
    ...write,
    method: 'patch',
    path: '/me/fun-facts/{id}',
    summary: 'Change a fun fact',
    params: IdParam,
    body: funFactUpdateSchema,
    response: FunFact,
    handler: (c, { params, body }) => c.var.sdk.profile.funFacts.update(params.id, body),
  });
  defineRoute(app, {
    ...write,
    method: 'delete',
    path: '/me/fun-facts/{id}',
    summary: 'Remove a fun fact',
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.profile.funFacts.remove(params.id);
      return undefined;
    },
  });

  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/expertise',
    operationId: 'listMyExpertise',
    summary: 'Your expertise topics',
    response: z.array(Expertise),
    handler: (c) => c.var.sdk.profile.expertise.list(),
  });
  defineRoute(app, {
    ...write,
    method: 'post',
    path: '/me/expertise',
    operationId: 'addMyExpertise',
    summary: 'Add an expertise topic',
    body: expertiseAddSchema,
    response: Expertise,
    handler: (c, { body }) => c.var.sdk.profile.expertise.add(body),
  });
  defineRoute(app, {
    ...write,
    method: 'delete',
    path: '/me/expertise/{id}',
    summary: 'Remove an expertise topic',
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.profile.expertise.remove(params.id);
      return undefined;
    },
  });

  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/addresses',
    summary: 'Your addresses',
    response: z.array(Address),
    handler: (c) => c.var.sdk.profile.addresses.list(),
  });
  defineRoute(app, {
    ...write,
    method: 'post',
    path: '/me/addresses',
    summary: 'Add an address',
    body: addressAddSchema,
    response: Address,
    handler: (c, { body }) => c.var.sdk.profile.addresses.add(body),
  });
  defineRoute(app, {
    ...write,
    method: 'patch',
    path: '/me/addresses/{id}',
    summary: 'Change an address',
    params: IdParam,
    body: addressUpdateSchema,
    response: Address,
    handler: (c, { params, body }) => c.var.sdk.profile.addresses.update(params.id, body),
  });
  defineRoute(app, {
    ...write,
    method: 'delete',
    path: '/me/addresses/{id}',
    summary: 'Remove an address',
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.profile.addresses.remove(params.id);
      return undefined;
    },
  });

  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/secondary-emails',
    summary: 'Your secondary email addresses',
    response: z.array(SecondaryEmail),
    handler: (c) => c.var.sdk.profile.secondaryEmails.list(),
  });
  defineRoute(app, {
    ...write,
    method: 'post',
    path: '/me/secondary-emails',
    summary: 'Add a secondary email address (unverified)',
    body: secondaryEmailAddSchema,
    response: SecondaryEmail,
    handler: (c, { body }) => c.var.sdk.profile.secondaryEmails.add(body),
  });
  defineRoute(app, {
    ...write,
    method: 'delete',
    path: '/me/secondary-emails/{id}',
    summary: 'Remove a secondary email address',
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.profile.secondaryEmails.remove(params.id);
      return undefined;
    },
  });

  // Media metadata (the files themselves are stored by the client).
  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/media',
    operationId: 'listMyMedia',
    summary: 'The metadata of your recordings (voice intro, video intro, name pronunciation)',
    response: z.array(Media),
    handler: (c) => c.var.sdk.profile.media.list(),
  });
  defineRoute(app, {
    ...write,
    method: 'put',
    path: '/me/media/{type}',
    summary: 'Record the metadata of an uploaded recording (replaces the one of this type)',
    description:
      'The MIME type, size and duration are checked against the limits of the type (400 with `errors` otherwise).',
    params: MediaTypeParam,
    body: MediaBody,
    response: Media,
    handler: (c, { params, body }) =>
      c.var.sdk.profile.media.set({ ...body, mediaType: params.type }),
  });
  defineRoute(app, {
    ...write,
    method: 'delete',
    path: '/me/media/{type}',
    summary: 'Remove the metadata of a recording (returns what was removed)',
    params: MediaTypeParam,
    response: Media,
    handler: (c, { params }) => c.var.sdk.profile.media.remove(params.type),
  });

  defineRoute(app, {
    ...read,
    method: 'get',
    path: '/me/visibility',
    summary: 'Who may see each of your profile fields',
    response: Visibility,
    handler: (c) => c.var.sdk.profile.visibility.get(),
  });
  defineRoute(app, {
    ...write,
    method: 'put',
    path: '/me/visibility',
    summary: 'Set who may see some of your profile fields (everyone, team, manager, none)',
    body: visibilitySetSchema,
    response: Visibility,
    handler: (c, { body }) => c.var.sdk.profile.visibility.set(body),
  });

  // Password, sessions and two-factor: signed-in users only (no API key scope grants them).
  const self = {
    tag: me,
    callers: ALL,
    description: 'For signed-in users; API keys are refused.',
  } as const;
  defineRoute(app, {
    ...self,
    method: 'post',
    path: '/me/password',
    operationId: 'changeMyPassword',
    summary:
      'Change your password (checks the current one; ends your other sessions, keeps this one)',
    body: z
      .object({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema })
      .strict(),
    status: 204,
    handler: async (c, { body }) => {
      const keepSessionToken = await currentSessionToken(c);
      await c.var.sdk.credentials.changePassword({
        ...body,
        ...(keepSessionToken ? { keepSessionToken } : {}),
      });
      return undefined;
    },
  });
  defineRoute(app, {
    ...self,
    method: 'get',
    path: '/me/sessions',
    summary: 'Your active sessions',
    response: z.array(Session),
    handler: (c) => c.var.sdk.credentials.listSessions(myId(c)),
  });
  defineRoute(app, {
    ...self,
    method: 'delete',
    path: '/me/sessions',
    operationId: 'endMyOtherSessions',
    summary: 'End your other sessions (this one stays)',
    response: SessionsEnded,
    handler: async (c) => {
      const userId = myId(c);
      const exceptToken = await currentSessionToken(c);
      return {
        ended: await c.var.sdk.credentials.revokeSessions(
          userId,
          exceptToken ? { exceptToken } : {},
        ),
      };
    },
  });
  defineRoute(app, {
    ...self,
    method: 'get',
    path: '/me/two-factor',
    summary: 'Your two-factor state: enabled, enrolment pending, backup codes left',
    response: TwoFactorStatus,
    handler: (c) => c.var.sdk.twoFactor.status(),
  });
  defineRoute(app, {
    ...self,
    method: 'post',
    path: '/me/two-factor/enrol',
    summary: 'Start enrolling an authenticator app: the secret and otpauth URL (shown once)',
    response: z
      .object({ secret: z.string(), otpauthUrl: z.string() })
      .openapi('TwoFactorEnrolment'),
    status: 200,
    handler: (c) => c.var.sdk.twoFactor.beginEnrolment(),
  });
  defineRoute(app, {
    ...self,
    method: 'post',
    path: '/me/two-factor/confirm',
    summary:
      'Confirm the enrolment with a current code: two-factor is on; 10 backup codes (shown once)',
    body: CodeBody,
    response: BackupCodes,
    status: 200,
    handler: (c, { body }) => c.var.sdk.twoFactor.confirmEnrolment(body.code),
  });
  defineRoute(app, {
    ...self,
    method: 'post',
    path: '/me/two-factor/disable',
    summary: 'Turn two-factor off (with a current code or a backup code)',
    body: CodeBody,
    status: 204,
    handler: async (c, { body }) => {
      await c.var.sdk.twoFactor.disable({ code: body.code });
      return undefined;
    },
  });
  defineRoute(app, {
    ...self,
    method: 'post',
    path: '/me/two-factor/backup-codes',
    operationId: 'regenerateMyTwoFactorBackupCodes',
    summary: 'Replace your backup codes (with a current code); the new ones are shown once',
    body: CodeBody,
    response: BackupCodes,
    status: 200,
    handler: (c, { body }) => c.var.sdk.twoFactor.regenerateBackupCodes(body.code),
  });

  const dashboard = 'Dashboard';
  defineRoute(app, {
    tag: dashboard,
    callers: ALL,
    scope: 'people:read',
    method: 'get',
    path: '/me/dashboard',
    summary: 'Your dashboard layout (the defaults when you have not chosen)',
    response: Dashboard,
    handler: (c) => c.var.sdk.dashboard.get(),
  });
  defineRoute(app, {
    tag: dashboard,
    callers: ALL,
    scope: 'people:write',
    method: 'put',
    path: '/me/dashboard',
    summary: 'Replace your dashboard layout (an empty list restores the defaults)',
    body: z.object({ widgets: dashboardLayoutSchema }).strict(),
    response: Dashboard,
    handler: (c, { body }) => c.var.sdk.dashboard.set(body.widgets),
  });
}
