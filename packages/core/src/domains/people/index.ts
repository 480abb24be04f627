export type { DashboardLayoutInput, DashboardWidgetInput, WidgetType } from './dashboard.schema';
export {
  DEFAULT_WIDGETS,
  dashboardLayoutSchema,
  dashboardWidgetSchema,
  MAX_WIDGETS,
  WIDGET_TYPES,
} from './dashboard.schema';
export type { DashboardLayout, DashboardService, DashboardWidget } from './dashboard.service';
export { createDashboardService } from './dashboard.service';
export { PEOPLE_ERRORS } from './people.errors';
export type { PeopleListInput, PeopleSort } from './people.schema';
export { expertiseTopicSchema, PEOPLE_SORTS, peopleListSchema } from './people.schema';
export type { ExpertPerson, PeopleService, PeopleTeam, PersonProfile } from './people.service';
export { createPeopleService } from './people.service';
export type {
  PersonCard,
  PersonMedia,
  ProfileAddress,
  ProfileExpertise,
  ProfileFunFact,
  ProfileInterest,
  ProfileItems,
  ProfileMedia,
  ProfileSecondaryEmail,
} from './people.shared';
export type {
  AddressAddInput,
  AddressUpdateInput,
  ExpertiseAddInput,
  FunFactAddInput,
  FunFactReorderInput,
  FunFactUpdateInput,
  InterestAddInput,
  MediaSetInput,
  ProficiencyLevel,
  ProfileAddressType,
  ProfileMediaType,
  ProfileUpdateInput,
  SecondaryEmailAddInput,
  VisibilitySetInput,
} from './profile.schema';
export {
  addressAddSchema,
  addressUpdateSchema,
  expertiseAddSchema,
  funFactAddSchema,
  funFactReorderSchema,
  funFactUpdateSchema,
  interestAddSchema,
  mediaSetSchema,
  PROFICIENCY_LEVELS,
  PROFILE_ADDRESS_TYPES,
  PROFILE_LIMITS,
  PROFILE_MEDIA_CONSTRAINTS,
  PROFILE_MEDIA_STORAGE_TYPES,
  PROFILE_MEDIA_TYPES,
  profileUpdateSchema,
  SECONDARY_EMAIL_TYPES,
  secondaryEmailAddSchema,
  visibilityInputSchema,
  visibilitySetSchema,
} from './profile.schema';
export type {
  ProfileAddresses,
  ProfileExpertiseTopics,
  ProfileFunFacts,
  ProfileInterests,
  ProfileMediaFiles,
  ProfileOptions,
  ProfileSecondaryEmails,
  ProfileService,
  UserProfile,
} from './profile.service';
export { createProfileService } from './profile.service';
export type {
  ProfileField,
  ProfileRelationship,
  ProfileViewer,
  ProfileVisibility,
  VisibilityMap,
} from './visibility';
export {
  canViewField,
  DEFAULT_VISIBILITY,
  normalizeVisibility,
  PROFILE_FIELDS,
  PROFILE_VISIBILITIES,
} from './visibility';
