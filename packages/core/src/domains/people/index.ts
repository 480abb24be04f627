export * from './dashboard.service';
export * from './people.service';
export * from './profile.service';
