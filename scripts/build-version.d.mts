export function buildVersion(root?: string, env?: Record<string, string | undefined>): string;
