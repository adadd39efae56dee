// Google's default rate quotas for the methods the emulator serves, as their quota pages state them (sources in
// docs/emulator.md). Each counts requests to some methods in fixed windows, per consumer project (the project of
// the calling service account) or, for the Policy Analyzer's free tier, per organization.

import { z } from 'zod';

export type QuotaWindow = 'minute' | 'day';

export interface QuotaLimit {
  /** How worlds and /_emulator/quotas name it. */
  id: string;
  service: string;
  /** The metric and limit names Google reports in a 429's ErrorInfo, and their display names for the message. */
  metric: string;
  metricDisplayName: string;
  limitName: string;
  limitDisplayName: string;
  window: QuotaWindow;
  scope: 'consumer' | 'organization';
  /** Route names (`cloudasset.analyzeIamPolicy`) whose requests count. */
  methods: readonly string[];
  /** Google's default; null = no limit known or enforced. */
  limit: number | null;
  /** Counts only while the organization has no Security Command Center Premium/Enterprise. */
  withoutSecurityCommandCenter?: boolean;
}

const ASSET = 'cloudasset.googleapis.com';
const CRM = 'cloudresourcemanager.googleapis.com';
const crm = (kinds: readonly string[], verbs: readonly string[]) => kinds.flatMap((k) => verbs.map((v) => `cloudresourcemanager.${k}.${v}`));

export const QUOTA_LIMITS: readonly QuotaLimit[] = [
  {
    id: 'cloudasset.batchGetEffectiveIamPolicies.perMinute',
    service: ASSET,
    metric: `${ASSET}/batch_get_effective_iam_policies_requests`,
    metricDisplayName: 'BatchGetEffectiveIamPolicies requests',
    limitName: 'BatchGetEffectiveIamPoliciesRequestsPerMinutePerProject',
    limitDisplayName: 'BatchGetEffectiveIamPolicies requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: ['cloudasset.effectiveIamPolicies.batchGet'],
    limit: 100,
  },
  {
    id: 'cloudasset.searchAllIamPolicies.perMinute',
    service: ASSET,
    metric: `${ASSET}/search_all_iam_policies_requests`,
    metricDisplayName: 'SearchAllIamPolicies requests',
    limitName: 'SearchAllIamPoliciesRequestsPerMinutePerProject',
    limitDisplayName: 'SearchAllIamPolicies requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: ['cloudasset.searchAllIamPolicies'],
    limit: 400,
  },
  {
    id: 'cloudasset.searchAllResources.perMinute',
    service: ASSET,
    metric: `${ASSET}/search_all_resources_requests`,
    metricDisplayName: 'SearchAllResources requests',
    limitName: 'SearchAllResourcesRequestsPerMinutePerProject',
    limitDisplayName: 'SearchAllResources requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: ['cloudasset.searchAllResources'],
    limit: 400,
  },
  {
    id: 'cloudasset.analyzeIamPolicy.perMinute',
    service: ASSET,
    metric: `${ASSET}/analyze_iam_policy_requests`,
    metricDisplayName: 'AnalyzeIamPolicy requests',
    limitName: 'AnalyzeIamPolicyRequestsPerMinutePerProject',
    limitDisplayName: 'AnalyzeIamPolicy requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: ['cloudasset.analyzeIamPolicy'],
    limit: 100,
  },
  {
    id: 'cloudasset.analyzeIamPolicy.perDay',
    service: ASSET,
    metric: `${ASSET}/analyze_iam_policy_requests`,
    metricDisplayName: 'AnalyzeIamPolicy requests',
    limitName: 'AnalyzeIamPolicyRequestsPerDayPerProject',
    limitDisplayName: 'AnalyzeIamPolicy requests per day per project',
    window: 'day',
    scope: 'consumer',
    methods: ['cloudasset.analyzeIamPolicy'],
    limit: 1000,
  },
  {
    id: 'cloudasset.freeAnalysisQueries.perDay',
    service: ASSET,
    metric: `${ASSET}/free_analysis_queries`,
    metricDisplayName: 'Free analysis queries',
    limitName: 'FreeAnalysisQueriesPerDayPerOrganization',
    limitDisplayName: 'Analysis queries per organization per day',
    window: 'day',
    scope: 'organization',
    methods: ['cloudasset.analyzeIamPolicy'],
    limit: 20,
    withoutSecurityCommandCenter: true,
  },
  {
    id: 'logging.entriesList.perMinute',
    service: 'logging.googleapis.com',
    metric: 'logging.googleapis.com/read_requests',
    metricDisplayName: 'Read requests',
    limitName: 'ReadRequestsPerMinutePerProject',
    limitDisplayName: 'Read requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: ['logging.entries.list'],
    limit: 60,
  },
  {
    id: 'cloudresourcemanager.read.perMinute',
    service: CRM,
    metric: `${CRM}/v3_read_requests`,
    metricDisplayName: 'V3 read requests',
    limitName: 'V3ReadRequestsPerMinutePerProject',
    limitDisplayName: 'V3 read requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: [
      ...crm(['projects', 'folders', 'organizations'], ['get', 'getIamPolicy', 'testIamPermissions']),
      'cloudresourcemanager.projects.search',
      'cloudresourcemanager.organizations.search',
    ],
    limit: 600,
  },
  {
    id: 'cloudresourcemanager.write.perMinute',
    service: CRM,
    metric: `${CRM}/v3_write_requests`,
    metricDisplayName: 'V3 write requests',
    limitName: 'V3WriteRequestsPerMinutePerProject',
    limitDisplayName: 'V3 write requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: crm(['projects', 'folders', 'organizations'], ['setIamPolicy']),
    limit: 600,
  },
  {
    id: 'iamcredentials.generateCredentials.perMinute',
    service: 'iamcredentials.googleapis.com',
    metric: 'iamcredentials.googleapis.com/generate_credentials_requests',
    metricDisplayName: 'Generate credentials requests',
    limitName: 'GenerateCredentialsRequestsPerMinutePerProject',
    limitDisplayName: 'Generate credentials requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: ['iamcredentials.signJwt', 'iamcredentials.generateIdToken'],
    limit: 60_000,
  },
  {
    id: 'cloudidentity.read.perMinute',
    service: 'cloudidentity.googleapis.com',
    metric: 'cloudidentity.googleapis.com/read_requests',
    metricDisplayName: 'Read requests',
    limitName: 'ReadRequestsPerMinutePerProject',
    limitDisplayName: 'Read requests per minute per project',
    window: 'minute',
    scope: 'consumer',
    methods: [
      'cloudidentity.groups.lookup',
      'cloudidentity.groups.get',
      'cloudidentity.groups.memberships.list',
      'cloudidentity.groups.memberships.searchDirectGroups',
      'cloudidentity.groups.memberships.searchTransitiveGroups',
      'cloudidentity.groups.memberships.checkTransitiveMembership',
      'cloudidentity.groups.memberships.searchTransitiveMemberships',
    ],
    // Google publishes no default we could find; none is enforced unless a world or test sets one.
    limit: null,
  },
];

export const QUOTA_IDS: readonly string[] = QUOTA_LIMITS.map((q) => q.id);

/** Quota id → limit, as worlds and /_emulator/quotas give them; null lifts a limit. */
export const quotaLimitsSchema = z.record(z.string(), z.number().int().min(0).nullable()).superRefine((limits, ctx) => {
  for (const id of Object.keys(limits)) {
    if (!QUOTA_IDS.includes(id)) ctx.addIssue({ code: 'custom', path: [id], message: `unknown quota; the quotas are ${QUOTA_IDS.join(', ')}` });
  }
});
