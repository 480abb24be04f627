export * from './dashboard.schema';
export * from './dashboard.service';
export * from './people.schema';
export * from './people.service';
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
export * from './profile.schema';
export * from './profile.service';
export type { ProfileField, ProfileRelationship, ProfileViewer, ProfileVisibility, VisibilityMap } from './visibility';
export { canViewField, DEFAULT_VISIBILITY, normalizeVisibility, PROFILE_FIELDS, PROFILE_VISIBILITIES } from './visibility';
