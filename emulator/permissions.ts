// The permissions of the predefined roles the emulator enforces: the ones a JIT service account is given,
// and a few common ones. A role not listed here grants nothing to the caller (it can still be bound).
const PROJECT_READ = ['resourcemanager.projects.get', 'resourcemanager.projects.list'];

const ROLE_PERMISSIONS: Record<string, readonly string[]> = {
  'roles/owner': ['*'],
  'roles/editor': [
    'resourcemanager.projects.get',
    'resourcemanager.projects.list',
    'resourcemanager.folders.get',
    'resourcemanager.folders.list',
    'resourcemanager.organizations.get',
    'resourcemanager.projects.getIamPolicy',
    'resourcemanager.folders.getIamPolicy',
    'resourcemanager.organizations.getIamPolicy',
    'logging.logEntries.create',
    'logging.logEntries.list',
    'pubsub.topics.publish',
    'pubsub.topics.get',
  ],
  'roles/viewer': [
    'resourcemanager.projects.get',
    'resourcemanager.projects.list',
    'resourcemanager.folders.get',
    'resourcemanager.folders.list',
    'resourcemanager.organizations.get',
    'resourcemanager.projects.getIamPolicy',
    'resourcemanager.folders.getIamPolicy',
    'resourcemanager.organizations.getIamPolicy',
    'logging.logEntries.list',
    'pubsub.topics.get',
  ],
  'roles/browser': [
    'resourcemanager.projects.get',
    'resourcemanager.projects.list',
    'resourcemanager.folders.get',
    'resourcemanager.folders.list',
    'resourcemanager.organizations.get',
  ],
  'roles/resourcemanager.projectIamAdmin': ['resourcemanager.projects.get', 'resourcemanager.projects.getIamPolicy', 'resourcemanager.projects.setIamPolicy'],
  'roles/resourcemanager.folderIamAdmin': ['resourcemanager.folders.get', 'resourcemanager.folders.getIamPolicy', 'resourcemanager.folders.setIamPolicy'],
  'roles/resourcemanager.organizationAdmin': [
    'resourcemanager.organizations.get',
    'resourcemanager.organizations.getIamPolicy',
    'resourcemanager.organizations.setIamPolicy',
    'resourcemanager.folders.get',
    'resourcemanager.folders.list',
    'resourcemanager.folders.getIamPolicy',
    'resourcemanager.folders.setIamPolicy',
    'resourcemanager.projects.get',
    'resourcemanager.projects.list',
    'resourcemanager.projects.getIamPolicy',
    'resourcemanager.projects.setIamPolicy',
  ],
  'roles/resourcemanager.organizationViewer': ['resourcemanager.organizations.get'],
  'roles/resourcemanager.folderViewer': ['resourcemanager.folders.get', 'resourcemanager.folders.list'],
  'roles/iam.securityReviewer': [
    'resourcemanager.projects.getIamPolicy',
    'resourcemanager.folders.getIamPolicy',
    'resourcemanager.organizations.getIamPolicy',
  ],
  'roles/cloudasset.viewer': [
    'cloudasset.assets.analyzeIamPolicy',
    'cloudasset.assets.searchAllIamPolicies',
    'cloudasset.assets.searchAllResources',
    'cloudasset.assets.listResource',
    'cloudasset.assets.listIamPolicy',
    'resourcemanager.projects.get',
    'resourcemanager.folders.get',
    'resourcemanager.organizations.get',
  ],
  'roles/iam.serviceAccountTokenCreator': [
    'iam.serviceAccounts.signJwt',
    'iam.serviceAccounts.signBlob',
    'iam.serviceAccounts.getAccessToken',
    'iam.serviceAccounts.getOpenIdToken',
    'iam.serviceAccounts.implicitDelegation',
  ],
  // Roles of other products, as the worlds grant them to people: their Resource Manager permissions (each includes
  // resourcemanager.projects.get, which jit-access 1.x narrows discovery with) and a few of their own.
  'roles/compute.viewer': [...PROJECT_READ, 'compute.instances.get', 'compute.instances.list'],
  'roles/compute.admin': [...PROJECT_READ, 'compute.instances.get', 'compute.instances.list', 'compute.instances.create', 'compute.instances.delete'],
  'roles/cloudsql.admin': [...PROJECT_READ, 'cloudsql.instances.get', 'cloudsql.instances.list', 'cloudsql.instances.update'],
  'roles/storage.objectAdmin': [...PROJECT_READ, 'storage.objects.get', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete'],
  'roles/storage.admin': [...PROJECT_READ, 'storage.buckets.get', 'storage.buckets.list', 'storage.objects.get', 'storage.objects.list'],
  'roles/bigquery.dataViewer': [...PROJECT_READ, 'bigquery.datasets.get', 'bigquery.tables.get', 'bigquery.tables.getData', 'bigquery.tables.list'],
  'roles/bigquery.admin': [...PROJECT_READ, 'bigquery.datasets.get', 'bigquery.datasets.create', 'bigquery.tables.get', 'bigquery.tables.getData', 'bigquery.jobs.create'],
  'roles/pubsub.editor': [...PROJECT_READ, 'pubsub.topics.get', 'pubsub.topics.list', 'pubsub.topics.create', 'pubsub.topics.publish'],
  'roles/run.admin': [...PROJECT_READ, 'run.services.get', 'run.services.list', 'run.services.create', 'run.services.update'],
  'roles/container.developer': [...PROJECT_READ, 'container.clusters.get', 'container.clusters.list', 'container.pods.get', 'container.pods.list'],
  'roles/logging.logWriter': ['logging.logEntries.create'],
  'roles/logging.viewer': ['logging.logEntries.list'],
  'roles/pubsub.publisher': ['pubsub.topics.publish'],
  'roles/pubsub.viewer': ['pubsub.topics.get', 'pubsub.topics.list'],
  'roles/secretmanager.secretAccessor': ['secretmanager.versions.access'],
};

export function roleGrants(role: string, permission: string): boolean {
  const permissions = ROLE_PERMISSIONS[role];
  return permissions !== undefined && (permissions.includes('*') || permissions.includes(permission));
}

export function permissionsOf(role: string): readonly string[] {
  return ROLE_PERMISSIONS[role] ?? [];
}
