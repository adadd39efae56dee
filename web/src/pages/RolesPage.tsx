// The start page: choose a project, see your eligible roles there, and activate or request them. The
// outcome replaces the page until the user goes back to the list.
import { useState } from 'react';
import type { MeResponse } from '../../../server/api/schemas';
import { api } from '../api';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { ProjectPicker } from '../components/ProjectPicker';
import { useRememberedProject } from '../remembered-project';
import { useResource } from '../use-resource';
import { ActivationResult } from './ActivationResult';
import { ApprovalRequested } from './ApprovalRequested';
import { ProjectRoles, type Outcome } from './ProjectRoles';

export function RolesPage({ settings }: { settings: MeResponse['settings'] }) {
  const projects = useResource(() => api.projects(), []);
  const [remembered, setProjectId] = useRememberedProject();
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  if (outcome?.kind === 'activated') return <ActivationResult result={outcome.result} onBack={() => setOutcome(null)} />;
  if (outcome?.kind === 'requested') return <ApprovalRequested result={outcome.result} onBack={() => setOutcome(null)} />;
  return (
    <>
      <PageHeading title="Request access" />
      <p className="lead">Activate a role you are eligible for, for as long as you need it and no longer.</p>
      {projects.state === 'loading' && <Loading>Loading your projects…</Loading>}
      {projects.state === 'failed' && <ErrorNotice title="Your projects could not be loaded" error={projects.error} onRetry={projects.reload} />}
      {projects.state === 'ready' && (
        <ChosenProject projects={projects.data.projects.map((p) => p.id)} remembered={remembered} onChange={setProjectId} settings={settings} onOutcome={setOutcome} />
      )}
    </>
  );
}

interface ChosenProjectProps {
  projects: string[];
  remembered: string | null;
  onChange: (projectId: string) => void;
  settings: MeResponse['settings'];
  onOutcome: (outcome: Outcome) => void;
}

function ChosenProject({ projects, remembered, onChange, settings, onOutcome }: ChosenProjectProps) {
  if (projects.length === 0) {
    return (
      <Notice kind="info" title="You have no eligible roles">
        <p>No project in scope grants you a role you could activate. If you need one, ask your administrator to make you eligible.</p>
      </Notice>
    );
  }
  // A remembered project the user no longer has (or another user's) is not offered.
  const projectId = remembered && projects.includes(remembered) ? remembered : projects.length === 1 ? projects[0] : null;
  return (
    <>
      {/* Keyed by the chosen project, so that each choice starts with fresh state. */}
      <ProjectPicker key={`picker:${projectId}`} projects={projects} value={projectId} onChange={onChange} />
      {projectId ? <ProjectRoles key={projectId} projectId={projectId} settings={settings} onOutcome={onOutcome} /> : <p className="muted">Choose a project to see your roles there.</p>}
    </>
  );
}
