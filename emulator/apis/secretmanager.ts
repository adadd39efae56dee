// Secret Manager v1: versions.access over the world's `secrets` (each secret a list of plain-text versions, oldest first).
import type { Request, Response } from 'express';
import type { EmulatorEnv } from '../env';
import { iamPermissionDenied, invalidArgument, notFound, strictQuery, type Route } from '../http';

export function secretManagerRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;

  const access = (req: Request, res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    const [, projectInPath, secretId, versionId] = match;
    const requested = `projects/${projectInPath}/secrets/${secretId}/versions/${versionId}`;
    if (versionId !== 'latest' && !/^[1-9][0-9]{0,18}$/.test(versionId)) {
      throw invalidArgument(`Invalid version id "${versionId}" in ${requested}: use a positive version number or "latest".`);
    }
    const project = state.project(projectInPath);
    // Secret-level IAM policies are not modelled: the project's policy (and its ancestors') decides.
    if (!project || !state.hasPermission(res.locals.principal, 'secretmanager.versions.access', `projects/${project.id}`)) {
      throw iamPermissionDenied(
        'secretmanager.versions.access',
        requested,
        `Permission 'secretmanager.versions.access' denied for resource '${requested}' (or it may not exist).`,
      );
    }
    const versions = state.secrets.get(`projects/${project.id}/secrets/${secretId}`) ?? state.secrets.get(`projects/${project.number}/secrets/${secretId}`);
    const secretName = `projects/${project.number}/secrets/${secretId}`;
    if (!versions || versions.length === 0) throw notFound(`Secret [${secretName}] not found or has no versions.`);
    const version = versionId === 'latest' ? versions.length : Number(versionId);
    if (version > versions.length) throw notFound(`Secret Version [${secretName}/versions/${version}] not found.`);
    const data = Buffer.from(versions[version - 1], 'utf8');
    const crc = crc32c(data);
    // Google omits proto3 defaults: an empty payload has neither data nor a zero checksum.
    return { name: `${secretName}/versions/${version}`, payload: { ...(data.length > 0 ? { data: data.toString('base64') } : {}), ...(crc !== 0 ? { dataCrc32c: String(crc) } : {}) } };
  };

  return [
    {
      method: 'GET',
      pattern: /^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/:]+):access$/,
      api: 'secretmanager',
      name: 'secretmanager.projects.secrets.versions.access',
      handler: access,
    },
  ];
}

/** CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Secret Manager reports as `dataCrc32c`. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
