// The start page: choose a project, see your eligible roles there, and activate or request them. The
// project is in the address (`/?projectId=`, as jit-access 1.x's links had it); an outcome opens its own
// page, so Back returns here.
import type { MeResponse, ProjectsResponse } from '../../../server/api/schemas';
import { api } from '../api';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { ProjectPicker } from '../components/ProjectPicker';
import { rememberedProject, rememberProject } from '../remembered-project';
import { navigate, projectHref } from '../router';
import { useResource } from '../use-resource';
import { ACTIVATION_STATE } from './ActivationResult';
import { SCHEDULED_STATE } from './MyAccessPage';
import { REQUEST_STATE } from './ApprovalRequested';
import { BREAK_GLASS_STATE } from './BreakGlassResult';
import { ProjectRoles, type Outcome } from './ProjectRoles';

interface RolesPageProps {
  settings: MeResponse['settings'];
  /** The project the address names, if any. */
  projectId: string | null;
}

export function RolesPage({ settings, projectId }: RolesPageProps) {
  const projects = useResource(() => api.projects(), []);

  function choose(chosen: string) {
    rememberProject(chosen);
    navigate(projectHref(chosen), { replace: true });
  }

  function showOutcome(outcome: Outcome) {
    if (outcome.kind === 'activated') navigate('/activated', { state: { [ACTIVATION_STATE]: outcome.result } });
    else if (outcome.kind === 'scheduled') navigate('/my-access', { state: { [SCHEDULED_STATE]: outcome.result } });
    else if (outcome.kind === 'break-glass') navigate('/break-glass-activated', { state: { [BREAK_GLASS_STATE]: outcome.result } });
    else navigate('/requested', { state: { [REQUEST_STATE]: outcome.result } });
  }

  return (
    <>
      <PageHeading title="Request access" />
      <p className="lead">Activate a role you are eligible for, for as long as you need it and no longer.</p>
      {projects.state === 'loading' && <Loading>Loading your projects…</Loading>}
      {projects.state === 'failed' && <ErrorNotice context="load" title="Your projects could not be loaded" error={projects.error} onRetry={projects.reload} />}
      {projects.state === 'ready' && (
        <ChosenProject projects={projects.data.projects} requested={projectId} onChange={choose} settings={settings} onOutcome={showOutcome} />
      )}
    </>
  );
}

interface ChosenProjectProps {
  projects: ProjectsResponse['projects'];
  requested: string | null;
  onChange: (projectId: string) => void;
  settings: MeResponse['settings'];
  onOutcome: (outcome: Outcome) => void;
}

function ChosenProject({ projects, requested, onChange, settings, onOutcome }: ChosenProjectProps) {
  if (projects.length === 0) {
    return (
      <Notice kind="info" title="You have no eligible roles">
        <p>No project in scope grants you a role you could activate. If you need one, ask your administrator to make you eligible.</p>
      </Notice>
    );
  }
  const ids = projects.map((p) => p.id);
  // The address wins; else the last project used here, if the user still has it; else the only one.
  const remembered = rememberedProject();
  const fallback = remembered && ids.includes(remembered) ? remembered : ids.length === 1 ? ids[0] : null;
  const projectId = requested ? (ids.includes(requested) ? requested : null) : fallback;
  return (
    <>
      {requested && !projectId && (
        <Notice kind="warning" title={`You have no eligible roles on ${requested}`}>
          <p>The link names a project where you hold nothing to activate, or that this service does not offer. Choose one of your projects below.</p>
        </Notice>
      )}
      {/* Keyed by the chosen project, so that each choice starts with fresh state. */}
      <ProjectPicker key={`picker:${projectId}`} projects={projects} value={projectId} onChange={onChange} />
      {projectId ? <ProjectRoles key={projectId} projectId={projectId} settings={settings} onOutcome={onOutcome} /> : <p className="muted">Choose a project to see your roles there.</p>}
    </>
  );
}
