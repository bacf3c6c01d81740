// Compose writes many mappings either as a map or as a list of `KEY=VALUE` strings
// (environment, labels, sysctls, driver options). Both read into the same entries; a list entry
// without `=`, or a map value of null, has no value (null).

export function mappingEntries(v: unknown): [string, string | null][] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    return v.map((e) => {
      const s = String(e);
      const eq = s.indexOf("=");
      return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
    });
  }
  return Object.entries(v as Record<string, unknown>).map(([k, val]) => [
    k,
    val === null || val === undefined ? null : String(val),
  ]);
}
