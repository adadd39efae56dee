// The instance metadata server on App Engine and Cloud Run: the project's id and number and the
// service's own account, which the IAP audience and signed approval requests depend on.
import { project, instance } from 'gcp-metadata';

export interface RuntimeIdentity {
  projectId: string;
  projectNumber: string;
  serviceAccount: string;
}

export async function runtimeIdentity(): Promise<RuntimeIdentity> {
  const [projectId, projectNumber, serviceAccount] = await Promise.all([
    project('project-id') as Promise<string>,
    project('numeric-project-id') as Promise<number | string>,
    instance('service-accounts/default/email') as Promise<string>,
  ]);
  return { projectId, projectNumber: String(projectNumber), serviceAccount: serviceAccount.toLowerCase() };
}
