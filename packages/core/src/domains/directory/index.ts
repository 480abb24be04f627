export * from './cost-centers.service';
export * from './custom-fields.service';
export * from './departments.service';
export * from './job-titles.service';
export * from './locations.service';
