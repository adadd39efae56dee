// The emulator's catalogue of predefined roles: title, description, launch stage, and the lowest level of the
// resource hierarchy where each can be granted. It holds every role the worlds use and the folder- and
// organization-only roles of Resource Manager, Organization Policy, Billing and Security Command Center, so that
// setIamPolicy refuses them on a project as Google does. It is not exhaustive: a role missing from it can still
// be bound anywhere (as before), but roles.get does not know it.

/** Where a role can be granted: on this kind of resource and every kind above it. */
export type GrantLevel = 'project' | 'folder' | 'organization';

export interface PredefinedRole {
  name: string;
  title: string;
  description: string;
  stage: 'GA' | 'BETA';
  lowestLevel: GrantLevel;
}

const RANK: Record<GrantLevel, number> = { project: 0, folder: 1, organization: 2 };

const role = (name: string, title: string, description: string, lowestLevel: GrantLevel = 'project', stage: PredefinedRole['stage'] = 'GA'): PredefinedRole => ({
  name: `roles/${name}`,
  title,
  description,
  stage,
  lowestLevel,
});

const CATALOGUE: readonly PredefinedRole[] = [
  // Basic roles.
  role('owner', 'Owner', 'Full access to most Google Cloud resources. See the list of included permissions.'),
  role('editor', 'Editor', 'View, create, update, and delete most Google Cloud resources. See the list of included permissions.'),
  role('viewer', 'Viewer', 'View most Google Cloud resources. See the list of included permissions.'),
  role('browser', 'Browser', 'Read access to browse the hierarchy for a project, including the folder, organization, and allow policy.'),
  // Resource Manager: project-level, then folder- and organization-only roles.
  role('resourcemanager.projectIamAdmin', 'Project IAM Admin', 'Access and administer a project IAM policies.'),
  role('resourcemanager.folderAdmin', 'Folder Admin', 'Provides all available permissions for working with folders.', 'folder'),
  role('resourcemanager.folderCreator', 'Folder Creator', 'Provides permissions needed to browse the hierarchy and create folders.', 'folder'),
  role('resourcemanager.folderEditor', 'Folder Editor', 'Provides the permission to modify folders as well as view the folder IAM policies.', 'folder'),
  role('resourcemanager.folderIamAdmin', 'Folder IAM Admin', 'Provides permissions to administer allow policies on folders.', 'folder'),
  role('resourcemanager.folderMover', 'Folder Mover', 'Provides the permission to move projects and folders into and out of a parent organization or folder.', 'folder'),
  role('resourcemanager.folderViewer', 'Folder Viewer', 'Provides the permission to get a folder and list the folders and projects below a resource.', 'folder'),
  role('resourcemanager.projectCreator', 'Project Creator', 'Provides access to create new projects. Once a user creates a project, they are automatically granted the owner role for that project.', 'folder'),
  role('resourcemanager.organizationAdmin', 'Organization Administrator', 'Access to administer all resources belonging to the organization.', 'organization'),
  role('resourcemanager.organizationViewer', 'Organization Viewer', 'Provides access to view an organization.', 'organization'),
  // Organization Policy.
  role('orgpolicy.policyAdmin', 'Organization Policy Administrator', 'Provides access to define what restrictions an organization wants to have on cloud resource configuration by setting Organization Policies.', 'organization'),
  role('orgpolicy.policyViewer', 'Organization Policy Viewer', 'Provides access to view Organization Policies on resources.', 'organization'),
  // Billing (billing accounts are not modelled; their roles are granted on the organization).
  role('billing.admin', 'Billing Account Administrator', 'Authorized to see and manage all aspects of billing accounts.', 'organization'),
  role('billing.creator', 'Billing Account Creator', 'Authorized to create billing accounts.', 'organization'),
  role('billing.user', 'Billing Account User', 'Authorized to associate projects with billing accounts.', 'organization'),
  role('billing.viewer', 'Billing Account Viewer', 'Authorized to see billing account cost information and transactions.', 'organization'),
  role('billing.projectManager', 'Project Billing Manager', 'Authorized to see and manage the billing account of a project.'),
  // Security Command Center (organization-level activation; project-level grants are the newer, looser reading).
  role('securitycenter.admin', 'Security Center Admin', 'Admin (read-write) access to Security Command Center.', 'organization'),
  role('securitycenter.adminViewer', 'Security Center Admin Viewer', 'Admin read access to Security Command Center.', 'organization'),
  role('securitycenter.findingsEditor', 'Security Center Findings Editor', 'Edit access to findings in Security Command Center.', 'organization'),
  // IAM, Asset, Logging, Pub/Sub, Secret Manager: the roles the service account is given.
  role('iam.securityReviewer', 'Security Reviewer', 'Security reviewer role, with permissions to get any IAM policy.'),
  role('iam.serviceAccountTokenCreator', 'Service Account Token Creator', 'Impersonate service accounts (create OAuth2 access tokens, sign blobs or JWTs, etc).'),
  role('cloudasset.viewer', 'Cloud Asset Viewer', 'Read only access to cloud assets metadata.'),
  role('logging.logWriter', 'Logs Writer', 'Provides the permissions to write log entries.'),
  role('logging.viewer', 'Logs Viewer', 'Provides access to view logs.'),
  role('pubsub.publisher', 'Pub/Sub Publisher', 'Provides access to publish messages to a topic.'),
  role('pubsub.viewer', 'Pub/Sub Viewer', 'Provides access to view topics and subscriptions.'),
  role('pubsub.editor', 'Pub/Sub Editor', 'Provides access to modify topics and subscriptions, access to publish and consume messages.'),
  role('secretmanager.secretAccessor', 'Secret Manager Secret Accessor', 'Allows accessing the payload of secrets.'),
  // Product roles people are eligible for in the worlds.
  role('compute.viewer', 'Compute Viewer', 'Read-only access to get and list Compute Engine resources, without being able to read the data stored on them.'),
  role('compute.admin', 'Compute Admin', 'Full control of all Compute Engine resources.'),
  role('cloudsql.admin', 'Cloud SQL Admin', 'Provides full control of Cloud SQL resources.'),
  role('storage.objectAdmin', 'Storage Object Admin', 'Grants full control over objects, including listing, creating, viewing, and deleting objects.'),
  role('storage.admin', 'Storage Admin', 'Grants full control of buckets and objects.'),
  role('bigquery.dataViewer', 'BigQuery Data Viewer', 'When applied to a table or view, this role provides permissions to read data and metadata from the table or view.'),
  role('bigquery.admin', 'BigQuery Admin', 'Provides permissions to manage all resources within the project. Can manage all data within the project, and can cancel jobs from other users running within the project.'),
  role('run.admin', 'Cloud Run Admin', 'Full control over all Cloud Run resources.'),
  role('container.developer', 'Kubernetes Engine Developer', 'Provides access to Kubernetes API objects inside clusters.'),
];

const BY_NAME = new Map(CATALOGUE.map((r) => [r.name, r]));

export function predefinedRole(name: string): PredefinedRole | undefined {
  return BY_NAME.get(name);
}

export function predefinedRoles(): readonly PredefinedRole[] {
  return CATALOGUE;
}

/**
 * Whether a role may be bound on a resource of this kind. Roles outside the catalogue are allowed everywhere:
 * the catalogue is not exhaustive, and refusing every role it does not hold would be stricter than useful.
 */
export function grantableOn(roleName: string, kind: 'projects' | 'folders' | 'organizations'): boolean {
  const known = BY_NAME.get(roleName);
  if (!known) return true;
  const level: GrantLevel = kind === 'projects' ? 'project' : kind === 'folders' ? 'folder' : 'organization';
  return RANK[level] >= RANK[known.lowestLevel];
}
