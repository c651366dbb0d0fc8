/** What fixes a doctor finding: the role to assign or the setting to change, by area and error code. */

type Context = Record<string, string>;

const PROVIDER_ROLES: Record<string, string> = {
  'azure-cognitive-services':
    "assign the identity 'Cognitive Services Contributor' on {resourceId} (rotation calls listKeys and regenerateKey)",
  'azure-communication':
    "assign the identity 'Contributor' on the Communication Services resource {resourceId} (rotation calls listKeys and regenerateKey)",
};

function fill(template: string, context: Context): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => context[key] || `<${key}>`);
}

export function fixFor(area: string, code: string, context: Context): string | undefined {
  switch (`${area}:${code}`) {
    case 'vault:PermissionDenied':
      return /disabled/i.test(context.message ?? '')
        ? 'the current version is disabled: enable it in the portal or rotate the secret'
        : fill(
            "assign the identity 'Key Vault Secrets Officer' on vault {vault} (RBAC), or access-policy secret permissions get, list and set",
            context,
          );
    case 'vault:AzureUnavailable':
    case 'vault:ResourceNotFound':
    case 'vault:InternalError':
      return fill(
        "check vaults[].url for {vault} in rotation.json and the vault's network access (firewall, private endpoint); locally, is npm start running?",
        context,
      );
    case 'storage:PermissionDenied':
      return "assign the identity 'Storage Table Data Contributor', 'Storage Blob Data Contributor' and 'Storage Queue Data Contributor' on the AzureWebJobsStorage account";
    case 'storage:AzureUnavailable':
    case 'storage:ConfigInvalid':
    case 'storage:InternalError':
      return 'check AzureWebJobsStorage (connection string or account name) and network access to the storage account; locally, is npm start running?';
    case 'sweep:NoSweep':
      return 'check that the Function App runs and SWEEP_SCHEDULE is a valid six-field NCRONTAB expression';
    case 'provider:ProviderNotImplemented':
      return fill(
        'provider kind {kind} has no adapter in this build: upgrade the rotator or change the provider',
        context,
      );
    case 'provider:SettingsInvalid':
      return 'fix the settings of the secrets of this group in rotation.json (rotation.schema.json lists them)';
    case 'provider:SecretNotFound':
      return 'create the secret in the vault, or correct its name in rotation.json';
    case 'provider:PermissionDenied':
      return fill(
        PROVIDER_ROLES[context.kind ?? ''] ??
          'grant the identity the rights the provider needs (see providers/{kind})',
        context,
      );
    case 'provider:ResourceNotFound':
      return fill('the provider resource does not exist: check settings.resourceId ({resourceId})', context);
    case 'provider:UnknownKey':
      return 'the secret does not hold one of the resource keys: rotate it (rotator rotate NAME --reason …) to realign';
    case 'provider:CredentialRejected':
      return 'the provider rejects the credential Key Vault serves now: rotate it, or submit a working one';
    case 'provider:ProviderUnavailable':
    case 'provider:AzureUnavailable':
      return 'the provider could not be reached: check network access and retry';
    case 'consumer:ConsumerMissing':
      return fill(
        'add consumers.{consumer} to rotation.json or remove it from the secrets that name it',
        context,
      );
    case 'consumer:SecretRefMissing':
    case 'channel:SecretRefMissing':
      return fill(
        'create secret {secret} in vault {vault}, or correct the secretRef in rotation.json',
        context,
      );
    case 'channel:Error':
    case 'channel:AzureUnavailable':
      return 'check the channel URL and outbound network access (proxy, firewall) from where the rotator runs';
    default:
      return undefined;
  }
}
