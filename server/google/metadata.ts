// The instance metadata server on App Engine and Cloud Run: the project's id and number and the
// service's own account, which the IAP audience and signed approval requests depend on.

export interface RuntimeIdentity {
  projectId: string;
  projectNumber: string;
  serviceAccount: string;
}

export async function runtimeIdentity(): Promise<RuntimeIdentity> {
  // Only App Engine and Cloud Run ask; elsewhere the library need not even be loaded.
  const { project, instance } = require('gcp-metadata') as typeof import('gcp-metadata');
  const [projectId, projectNumber, serviceAccount] = await Promise.all([
    project('project-id') as Promise<string>,
    project('numeric-project-id') as Promise<number | string>,
    instance('service-accounts/default/email') as Promise<string>,
  ]);
  return { projectId, projectNumber: String(projectNumber), serviceAccount: serviceAccount.toLowerCase() };
}
