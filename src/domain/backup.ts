// Backup vocabulary shared by the apply layer, the reconciler and the routes.

/** Archives a stack's volumes into the backup store. */
export const BACKUP_JOB = "backup";
/** Checks an archive and replaces a volume's contents with it. */
export const RESTORE_JOB = "restore";
/** Re-reads an archive end to end (checksum, and decryption when sealed). */
export const VERIFY_JOB = "backup-verify";
/** Label on a backup helper container: the job it works for (found and removed by it after a crash). */
export const JOB_LABEL = "berth.job";
/** The pg-boss trigger a backup schedule fires (it queues a backup job). */
export const BACKUP_SCHEDULE_TRIGGER = "backup-schedule";
