/**
 * Enough of IAM's policy evaluation to ask "does this role allow this call on this resource?" of a
 * synthesized template: Allow and Deny statements with Action/Resource wildcards (`*`, `?`),
 * CloudFormation's pseudo parameters and the template's own resources resolved to the values a
 * test gives them. Conditions are not evaluated (an Allow with a condition counts as an Allow), and
 * NotAction/NotResource are refused, so a policy that uses them fails the test rather than passing
 * it unread.
 */
import { asArray, flat } from '../cdk/synth';

type Json = Record<string, unknown>;

export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  /** Where it came from, for messages. */
  where: string;
}

/** A call as IAM sees it: who, which action, on what. */
export interface IamRequest {
  action: string;
  resource: string;
}

/** Values of `${X}` in a flattened CloudFormation string: pseudo parameters and `LogicalId` / `LogicalId.Arn`. */
export type TokenValues = Record<string, string>;

function resolveText(text: string, values: TokenValues, where: string): string {
  return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${where}: no value for ${whole} in ${text}`);
    return value;
  });
}

function statementsOf(document: Json, values: TokenValues, where: string): PolicyStatement[] {
  return asArray(document.Statement as Json | Json[]).map((s) => {
    if (s.NotAction !== undefined || s.NotResource !== undefined) throw new Error(`${where}: NotAction/NotResource are not evaluated here`);
    return {
      effect: s.Effect as 'Allow' | 'Deny',
      actions: asArray(s.Action as string | string[]),
      resources: asArray(s.Resource as unknown).map((r) => resolveText(flat(r), values, where)),
      where,
    };
  });
}

/** The identity policies of a role in a template (inline, and AWS::IAM::Policy and ManagedPolicy resources attached to it), resolved. */
export function rolePolicy(template: Json, roleLogicalId: string, values: TokenValues): PolicyStatement[] {
  const resources = template.Resources as Record<string, Json>;
  const out: PolicyStatement[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const props = r.Properties as Json;
    const isPolicy = r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy';
    if (isPolicy && asArray(props.Roles as Json[]).some((ref) => ref.Ref === roleLogicalId))
      out.push(...statementsOf(props.PolicyDocument as Json, values, id));
  }
  const role = resources[roleLogicalId];
  if (!role) throw new Error(`no role ${roleLogicalId} in the template`);
  for (const p of asArray((role.Properties as Json).Policies as Json[]))
    out.push(...statementsOf(p.PolicyDocument as Json, values, roleLogicalId));
  return out;
}

/** IAM's wildcard match: `*` any run of characters, `?` any one; actions compare without case. */
function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function matches(statement: PolicyStatement, request: IamRequest): boolean {
  return (
    statement.actions.some((a) => wildcardMatch(a, request.action, true)) &&
    statement.resources.some((r) => wildcardMatch(r, request.resource))
  );
}

/** Allowed when some Allow statement matches and no Deny does (IAM's order within one account's identity policies). */
export function isAllowed(policy: readonly PolicyStatement[], request: IamRequest): boolean {
  if (policy.some((s) => s.effect === 'Deny' && matches(s, request))) return false;
  return policy.some((s) => s.effect === 'Allow' && matches(s, request));
}

/** The Allow statements (action, resource pairs) no request used: grants wider than the run needed. */
export function unusedGrants(policy: readonly PolicyStatement[], requests: readonly IamRequest[]): string[] {
  const unused: string[] = [];
  for (const s of policy.filter((p) => p.effect === 'Allow')) {
    for (const action of s.actions) {
      for (const resource of s.resources) {
        const one: PolicyStatement = { ...s, actions: [action], resources: [resource] };
        if (!requests.some((r) => matches(one, r))) unused.push(`${action} on ${resource}`);
      }
    }
  }
  return unused;
}
