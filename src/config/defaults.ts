// Defaults an operator would expect when the user says nothing. Quotas (a later step) override them
// per organization.

export const DEFAULT_ORG = "default";

export const DEFAULT_LIMITS = { cpus: 0.5, memoryBytes: 256 * 1024 * 1024 } as const;

/** Host ports Berth may publish on, like Kubernetes' NodePort range. */
export const DEFAULT_HOST_PORT_RANGE = { from: 30000, to: 32767 } as const;

export const DEFAULT_API_PORT = 4780;
