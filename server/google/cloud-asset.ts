// Cloud Asset API: effective IAM policies, IAM policy search, resource search and the Policy Analyzer.
import type { cloudasset_v1 } from 'googleapis/build/src/apis/cloudasset/v1';
import { systemClock, type Clock } from '../clock';
import type { Binding } from '../domain/iam-policy';
import { AppError, notFound } from '../errors';
import { BatchedReads, CallBudget } from './batched-reads';
import { lazyClient, backendError, googleMessageOf, readOptions, statusOf, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

export const PROJECT_RESOURCE_PREFIX = '//cloudresourcemanager.googleapis.com/projects/';
export const PROJECT_ASSET_TYPE = 'cloudresourcemanager.googleapis.com/Project';

/** Where eligible bindings live: projects and their ancestors, nothing below. */
export const RESOURCE_HIERARCHY_TYPES = [
  'cloudresourcemanager.googleapis.com/Project',
  'cloudresourcemanager.googleapis.com/Folder',
  'cloudresourcemanager.googleapis.com/Organization',
] as const;

/** Google's limits for one Asset search query: "Up to 10 comparisons … with a maximum of 2048 characters." */
export const SEARCH_QUERY_LIMITS = { comparisons: 10, characters: 2048 };

/**
 * Packs comparisons (each one term such as `policy:"user:a@example.com"`) into as few `OR` queries as
 * Google's limits allow, in order. A term too long for a query of its own is refused: no query could hold it.
 */
export function policySearchQueries(terms: readonly string[], limits = SEARCH_QUERY_LIMITS): string[] {
  const queries: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const term of terms) {
    if (term.length > limits.characters) throw new Error(`The search term ${term.slice(0, 80)}… is longer than ${limits.characters} characters.`);
    const added = current.length === 0 ? term.length : length + ' OR '.length + term.length;
    if (current.length === limits.comparisons || added > limits.characters) {
      queries.push(current.join(' OR '));
      current = [term];
      length = term.length;
    } else {
      current.push(term);
      length = added;
    }
  }
  if (current.length > 0) queries.push(current.join(' OR '));
  return queries;
}

export interface AttachedBinding {
  /** Where the policy holding the binding is attached, e.g. `//cloudresourcemanager.googleapis.com/folders/1`. */
  attachedResource: string;
  binding: Binding;
}

export interface PolicySearchResult {
  resource: string;
  /** projects/NUMBER, for project results. */
  project?: string;
  folders: string[];
  organization?: string;
  bindings: Binding[];
}

export interface ProjectResource {
  projectId: string;
  displayName?: string;
  /** Ancestor folders, nearest first, as `folders/N`. */
  folders: string[];
  organization?: string;
  state?: string;
  /** The project's labels; the access policy can match on them. */
  labels?: Record<string, string>;
}

export interface AnalysisResult {
  attachedResource: string;
  binding: Binding;
  /** Project ids among the resources the binding applies to. */
  projectIds: string[];
  /** Identities (`user:…`) the analysis resolved, groups expanded when asked. */
  identities: string[];
}

/** effectiveIamPolicies.batchGet: "at most 20 names per call". */
export const EFFECTIVE_POLICY_NAMES_PER_CALL = 20;

/** This process's share of BatchGetEffectiveIamPolicies (100 a minute per project) unless configured. */
export const DEFAULT_EFFECTIVE_POLICY_READS_PER_MINUTE = 80;

export class CloudAsset {
  private readonly api: () => cloudasset_v1.Cloudasset;
  private readonly effectiveReads: BatchedReads<AttachedBinding[]>;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
    private readonly scope: string,
    effectiveReadsPerMinute = DEFAULT_EFFECTIVE_POLICY_READS_PER_MINUTE,
    private readonly now: Clock = systemClock,
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { cloudasset_v1 } = require('googleapis/build/src/apis/cloudasset/v1') as typeof import('googleapis/build/src/apis/cloudasset/v1');
      return new cloudasset_v1.Cloudasset(options);
    });
    this.effectiveReads = new BatchedReads((projectIds) => this.readEffectiveBindings(projectIds), new CallBudget(effectiveReadsPerMinute), {
      maxNames: EFFECTIVE_POLICY_NAMES_PER_CALL,
      maxWaitMs: timeouts.readMs,
      what: 'effective IAM policy reads (Asset BatchGetEffectiveIamPolicies, EFFECTIVE_POLICY_READS_PER_MINUTE)',
      splitWhen: (e) => e instanceof AppError && e.code === 'NOT_FOUND',
    });
  }

  /**
   * The bindings that apply to a project: its own policy and those of its folders and organization. The
   * method's quota is only 100 calls a minute per project, shared by every user: a read joins the call in
   * flight when it carries the project (an answer at most one round trip older than a new one, far less
   * than the Asset API's own lag behind IAM), and otherwise goes out in the next call with every other
   * project asked for meanwhile (BatchedReads), paced to EFFECTIVE_POLICY_READS_PER_MINUTE. Every read
   * is answered by a call sent after it was asked for or already in flight, never by a stored answer.
   */
  effectiveBindings(projectId: string): Promise<AttachedBinding[]> {
    return this.effectiveReads.read(projectId);
  }

  private async readEffectiveBindings(projectIds: string[]): Promise<AttachedBinding[][]> {
    const names = projectIds.map((id) => `${PROJECT_RESOURCE_PREFIX}${id}`);
    const what = projectIds.length === 1 ? `project ${projectIds[0]}` : `projects ${projectIds.join(', ')}`;
    try {
      const res = await this.api().effectiveIamPolicies.batchGet({ scope: this.scope, names }, readOptions(this.timeouts));
      const byName = new Map((res.data.policyResults ?? []).map((r) => [r.fullResourceName, r.policies ?? []]));
      return names.map((name) => (byName.get(name) ?? []).flatMap((p) => (p.policy?.bindings ?? []).map((b) => ({ attachedResource: p.attachedResource ?? '', binding: b as Binding }))));
    } catch (e) {
      const status = statusOf(e);
      if (status === 400 || status === 404) {
        // Several names are read again one by one (BatchedReads.splitWhen): only a single one reaches a caller.
        const named = projectIds.length === 1 ? `The project '${projectIds[0]}' does` : `One of the projects ${projectIds.join(', ')} does`;
        throw notFound(`${named} not exist or is outside the scope of this service (${this.scope}).`);
      }
      throw backendError(e, `reading the effective IAM policies of ${what}`);
    }
  }

  /** IAM policies in the scope matching a searchAllIamPolicies query, all pages, only matched bindings. */
  async searchIamPolicies(query: string, assetTypes?: string[]): Promise<PolicySearchResult[]> {
    const results: PolicySearchResult[] = [];
    for await (const page of this.iamPolicyPages(query, assetTypes)) results.push(...page);
    return results;
  }

  /**
   * The same search one page (at most 500 policies) at a time, for callers that keep only a little of
   * each page: their memory stays that of one page however many policies match.
   */
  async *iamPolicyPages(query: string, assetTypes?: string[]): AsyncGenerator<PolicySearchResult[]> {
    let pageToken: string | undefined;
    do {
      let res;
      try {
        res = await this.api().v1.searchAllIamPolicies({ scope: this.scope, query, assetTypes, pageSize: 500, pageToken }, readOptions(this.timeouts));
      } catch (e) {
        throw backendError(e, 'searching IAM policies');
      }
      yield (res.data.results ?? []).map((r) => ({
        resource: r.resource ?? '',
        project: r.project ?? undefined,
        folders: r.folders ?? [],
        organization: r.organization ?? undefined,
        bindings: (r.policy?.bindings ?? []) as Binding[],
      }));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
  }

  /**
   * The policies of projects, folders and the organization that have a binding naming one of the
   * principals: one search per query that Google's limits allow, run side by side.
   */
  async searchPoliciesNaming(principals: readonly string[]): Promise<PolicySearchResult[]> {
    const queries = policySearchQueries(principals.map((p) => `policy:"${p.replace(/["\\]/g, '')}"`));
    return (await Promise.all(queries.map((q) => this.searchIamPolicies(q, [...RESOURCE_HIERARCHY_TYPES])))).flat();
  }

  /** Projects in the scope with their folder ancestry, all pages. */
  async searchProjects(query?: string): Promise<ProjectResource[]> {
    const projects: ProjectResource[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api().v1.searchAllResources(
          { scope: this.scope, assetTypes: ['cloudresourcemanager.googleapis.com/Project'], query, pageSize: 500, pageToken },
          readOptions(this.timeouts),
        );
        for (const r of res.data.results ?? []) {
          const projectId = r.additionalAttributes?.projectId ?? r.name?.slice(PROJECT_RESOURCE_PREFIX.length);
          if (typeof projectId === 'string' && projectId) {
            projects.push({
              projectId,
              displayName: r.displayName || undefined,
              folders: r.folders ?? [],
              organization: r.organization ?? undefined,
              state: r.state ?? undefined,
              labels: r.labels ?? undefined,
            });
          }
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw backendError(e, 'listing projects');
    }
    return projects;
  }

  /** Policy Analyzer: which bindings give an identity access, evaluated at now. */
  async analyze(query: {
    identity?: string;
    resource?: string;
    roles?: string[];
    permissions?: string[];
    expandGroups?: boolean;
    expandResources?: boolean;
  }): Promise<{ results: AnalysisResult[]; warnings: string[] }> {
    try {
      const res = await this.api().v1.analyzeIamPolicy(
        {
          scope: this.scope,
          'analysisQuery.identitySelector.identity': query.identity,
          'analysisQuery.resourceSelector.fullResourceName': query.resource,
          'analysisQuery.accessSelector.roles': query.roles,
          'analysisQuery.accessSelector.permissions': query.permissions,
          'analysisQuery.options.expandGroups': query.expandGroups,
          'analysisQuery.options.expandResources': query.expandResources,
          'analysisQuery.conditionContext.accessTime': this.now().toISOString(),
          executionTimeout: `${Math.max(1, Math.floor(this.timeouts.readMs / 1000))}s`,
        },
        // Its quota is per day without Security Command Center: waiting does not bring it back.
        readOptions(this.timeouts, false),
      );
      const analysis = res.data.mainAnalysis;
      const results = (analysis?.analysisResults ?? []).map((r) => ({
        attachedResource: r.attachedResourceFullName ?? '',
        binding: r.iamBinding as Binding,
        projectIds: (r.accessControlLists ?? [])
          .flatMap((acl) => acl.resources ?? [])
          .map((res) => res.fullResourceName ?? '')
          .filter((name) => name.startsWith(PROJECT_RESOURCE_PREFIX) && !name.slice(PROJECT_RESOURCE_PREFIX.length).includes('/'))
          .map((name) => name.slice(PROJECT_RESOURCE_PREFIX.length)),
        identities: (r.identityList?.identities ?? []).map((i) => i.name ?? ''),
      }));
      const warnings = (analysis?.nonCriticalErrors ?? []).map((e) => e.cause ?? '').filter((c) => c !== '');
      // proto3 JSON leaves false out: an analysis not marked fully explored was cut short.
      if (analysis && analysis.fullyExplored !== true) {
        warnings.push(
          'The Policy Analyzer did not explore everything (fullyExplored: false; it expands at most 1,000 resources per binding and 1,000 members per group), so some projects, roles or reviewers may be missing. The AssetInventory catalog (RESOURCE_CATALOG=AssetInventory) has no such limit.',
        );
      }
      return { results, warnings: [...new Set(warnings)] };
    } catch (e) {
      const status = statusOf(e);
      if (status === 429) {
        throw new AppError(
          429,
          'QUOTA_EXCEEDED',
          `The Policy Analyzer quota is exhausted (AnalyzeIamPolicy: 20 analysis queries per organization per day without Security Command Center Premium or Enterprise; 100 a minute and 1,000 a day per project). ` +
            `Try again later; to lift the limit, switch to the AssetInventory catalog (RESOURCE_CATALOG=AssetInventory) or activate Security Command Center Premium. Google said: ${googleMessageOf(e)}`,
        );
      }
      if (status === 400 && query.resource) throw notFound(`The resource '${query.resource}' does not exist or is outside the scope of this service (${this.scope}).`);
      throw backendError(e, 'analyzing IAM policies (Policy Analyzer)');
    }
  }
}
