import type { Template } from 'aws-cdk-lib/assertions';
import { cfnText } from '../../infra/lib/cfnText.js';

export type CfnResource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
};

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** A CloudFormation value as one readable string: `arn:<AWS::Partition>:s3:::<Bucket>/telemetry/*`. */
export const flat = cfnText;

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function resourcesOfType(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.findResources(type) as Record<string, CfnResource>);
}

/** The Lambda function resource with this FunctionName. */
export function functionNamed(template: Template, name: string): [string, CfnResource] {
  const found = resourcesOfType(template, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties?.FunctionName === name,
  );
  if (!found) throw new Error(`no function named ${name}`);
  return found;
}

/** Every Allow/Deny statement of every IAM policy (stand-alone and inline), with the policy's roles. */
export function policyStatements(template: Template): { roles: string[]; statement: PolicyStatementJson }[] {
  const out: { roles: string[]; statement: PolicyStatementJson }[] = [];
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles = asArray(policy.Properties?.Roles as unknown[]).map(flat);
    const doc = policy.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] };
    for (const statement of doc.Statement) out.push({ roles, statement });
  }
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    for (const p of asArray(
      role.Properties?.Policies as { PolicyDocument: { Statement: PolicyStatementJson[] } }[],
    )) {
      for (const statement of p.PolicyDocument.Statement) out.push({ roles: [`<${id}>`], statement });
    }
  }
  return out;
}

/** The statements granted to the role of the function with this name. */
export function statementsOfFunction(template: Template, name: string): PolicyStatementJson[] {
  const [, fn] = functionNamed(template, name);
  const role = flat(fn.Properties?.Role).replace(/\.Arn>$/, '>');
  return policyStatements(template)
    .filter((s) => s.roles.includes(role))
    .map((s) => s.statement);
}

/** Action -> resources granted (flattened), for compact assertions. */
export function grants(statements: readonly PolicyStatementJson[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    for (const action of asArray(s.Action)) {
      const list = out[action] ?? [];
      list.push(...asArray(s.Resource).map(flat));
      out[action] = [...new Set(list)].sort();
    }
  }
  return out;
}

/** A resource's Properties ({} when absent), so property access needs no optional chaining. */
export function propsOf(resource: CfnResource | undefined): Record<string, unknown> {
  return resource?.Properties ?? {};
}
