// Image references, validated against the grammar of the distribution reference format that
// Docker itself uses (name[:tag][@digest], lowercase path components, optional registry host).

const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);

const MAX_NAME_LENGTH = 255;

export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

/** Parses an image reference; returns a problem string when it is not one. */
export function parseImageRef(ref: string): ImageRef | string {
  if (ref.length === 0) return "must not be empty";
  if (/\s/.test(ref)) return `'${ref}' must not contain whitespace`;
  const m = REFERENCE.exec(ref);
  if (!m) {
    return `'${ref}' is not a valid image reference (expected name[:tag][@digest], lowercase repository name)`;
  }
  const [, n, t, d] = m;
  if (n!.length > MAX_NAME_LENGTH) return `repository name must be at most ${MAX_NAME_LENGTH} characters`;
  return { name: n!, ...(t === undefined ? {} : { tag: t }), ...(d === undefined ? {} : { digest: d }) };
}
