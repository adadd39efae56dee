// The permissions of the predefined roles the emulator enforces: the ones a JIT service account is given,
// and a few common ones. A role not listed here grants nothing to the caller (it can still be bound).
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
