/**
 * `mongodb`: a MongoDB (Atlas) database user's connection string. Atlas passwords are changed by a human
 * (or a new user is created), so `issue` asks for one; `validate` parses the string (clear reasons for
 * bad schemes, missing credentials, bad host lists, unencoded characters) and then — with
 * `settings.liveCheck` (default true) — connects with the official driver and runs an authenticated
 * `ping`. `mongodb+srv` strings are resolved through DNS SRV/TXT first, by the rotator itself, so a
 * missing DNS answer reads `unavailable` with the record's name.
 *
 * Enabling the live check in Azure: keep `liveCheck: true` and let the Function App reach the cluster —
 * add its outbound IP addresses (or a VNet integration / private endpoint) to the Atlas project's IP
 * Access List, and allow DNS (SRV/TXT) resolution for `mongodb+srv`. Locally, the composition root passes
 * `loopbackOnly: true`: only servers on 127.0.0.1/localhost are contacted and SRV is not resolved.
 */
import type {
  CredentialProvider,
  ProviderContext,
  RevokeResult,
  ValidationResult,
} from '../../rotation/ports.js';
import {
  isLoopbackHost,
  manualIssue,
  pendingHuman,
  rejected,
  revokedVersion,
  unavailable,
} from '../openai-compatible/manual.js';
import { type MongoConnectionString, parseConnectionString } from './connection-string.js';
import { classifyDriverError, driverPing, type MongoDbProviderDeps, resolveSrvUri } from './live-check.js';
import { MONGODB_ATLAS_URL, type MongoDbSettings, mongoDbSettingsSchema } from './settings.js';

/** Everything secret in a parsed string, in the forms a message could carry it. */
function secretsOf(value: string, parsed: MongoConnectionString, uri: string): string[] {
  const encodedPassword = parsed.rawUserinfo.slice(parsed.rawUserinfo.indexOf(':') + 1);
  return [value, uri, parsed.rawUserinfo, parsed.password, encodedPassword];
}

async function liveCheck(
  ctx: ProviderContext<MongoDbSettings>,
  value: string,
  parsed: MongoConnectionString,
  deps: MongoDbProviderDeps,
): Promise<ValidationResult> {
  if (deps.loopbackOnly && !parsed.srv) {
    const remote = parsed.hosts.find((h) => !isLoopbackHost(h.host));
    if (remote) {
      return unavailable(`local mode only contacts MongoDB servers on loopback; ${remote.host} is not one`);
    }
  }
  let uri = value;
  if (parsed.srv) {
    const resolved = await resolveSrvUri(parsed, deps);
    if ('result' in resolved) return resolved.result;
    uri = resolved.uri;
  }
  const ping = deps.ping ?? driverPing;
  try {
    await ping(uri, { serverSelectionTimeoutMS: ctx.settings.serverSelectionTimeoutMS });
    return { ok: true };
  } catch (error) {
    return classifyDriverError(error, secretsOf(value, parsed, uri));
  }
}

function hostsText(parsed: MongoConnectionString): string {
  return parsed.hosts.map((h) => h.host).join(',');
}

export function createMongoDbProvider(deps: MongoDbProviderDeps = {}): CredentialProvider<MongoDbSettings> {
  return {
    kind: 'mongodb',
    mode: 'manual',
    settingsSchema: mongoDbSettingsSchema,
    revokePolicy: 'on-compromise',

    async issue(_ctx, current) {
      const parsed = current ? parseConnectionString(current.value) : undefined;
      const user = parsed?.ok ? ` (now user '${parsed.value.username}' on ${hostsText(parsed.value)})` : '';
      return manualIssue(
        {
          noun: 'MongoDB connection string',
          dashboardUrl: MONGODB_ATLAS_URL,
          steps: [
            `In MongoDB Atlas open the project, then Security → Database Access${user}.`,
            'Preferably click "Add New Database User" with the same roles (e.g. alternate between two users such as app-a and app-b): consumers keep working on the old user until the new string is propagated. Or "Edit" the user → "Edit Password" → Update User, which kills the old password at once.',
            'Get the connection string from Clusters → Connect → Drivers and put the password in it, percent-encoding : / ? # [ ] @ and %.',
          ],
          afterwards: 'Delete the old database user once every consumer runs on the new string.',
        },
        current,
      );
    },

    async validate(ctx, credential) {
      const parsed = parseConnectionString(credential.value);
      if (!parsed.ok) return rejected(`malformed MongoDB connection string: ${parsed.problem}`);
      if (!ctx.settings.liveCheck) {
        ctx.log.warn('mongodb: liveCheck is off; only the connection string format was checked', {
          group: ctx.group.id,
        });
        return { ok: true };
      }
      return liveCheck(ctx, credential.value, parsed.value, deps);
    },

    async revoke(ctx, credential): Promise<RevokeResult> {
      const old = await revokedVersion(ctx, credential.version);
      const parsedOld = old ? parseConnectionString(old.value) : undefined;
      const id = credential.credentialId ? `, credential ${credential.credentialId}` : '';
      const where = `(Key Vault version ${credential.version}${id})`;
      if (!parsedOld?.ok) {
        return pendingHuman(
          `revoke the MongoDB credential of Key Vault version ${credential.version}${id} in Atlas → Database Access`,
        );
      }
      const primary = ctx.group.secrets[0];
      const current = primary ? await ctx.secrets.getCurrent(ctx.group.vault, primary.name) : undefined;
      const parsedNow = current ? parseConnectionString(current.value) : undefined;
      const { username } = parsedOld.value;
      const hosts = hostsText(parsedOld.value);
      if (parsedNow?.ok && parsedNow.value.username === username) {
        return pendingHuman(
          `make sure the old password of MongoDB user '${username}' on ${hosts} ${where} no longer works: it must have been changed in Atlas → Database Access`,
        );
      }
      return pendingHuman(
        `delete MongoDB database user '${username}' on ${hosts} ${where} in Atlas → Database Access`,
      );
    },
  };
}
